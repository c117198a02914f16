using TorchBinding.Data;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

public class ModelCatalogTests
{
    [TestCase("mlp", 784 * 128 + 128 + 128 * 10 + 10)]
    [TestCase("cnn-course", 28_938)]
    [TestCase("cnn-small", 93_482)]
    [TestCase("resnet-course", 42_938)]
    public void Each_model_builds_for_mnist_with_its_known_size_and_gives_class_logits(string name, long parameters)
    {
        var model = ModelCatalog.Create(name, new ModelRequest([1, 28, 28], 10));
        Assert.That(model.ParameterCount(), Is.EqualTo(parameters));
        model.eval();
        using var logits = model.call(zeros(2, 1, 28, 28));
        Assert.That(logits.shape, Is.EqualTo(new long[] { 2, 10 }));
    }

    [Test]
    public void Every_entry_builds_for_every_image_data_set_of_the_catalog()
    {
        foreach (var dataset in DatasetCatalog.All.Where(d => d.IsImages))
        {
            foreach (var entry in ModelCatalog.All.Where(e => e.Name != "resnet18"))   // resnet18 (11M parameters) is covered by ResNetTests
            {
                var model = entry.Create(new ModelRequest(dataset.InputShape, dataset.Classes));
                model.eval();
                using var logits = model.call(zeros([2, .. dataset.InputShape]));
                Assert.That(logits.shape, Is.EqualTo(new long[] { 2, dataset.Classes }), $"{entry.Name} on {dataset.Name}");
            }
        }
    }

    [Test]
    public void Hidden_sizes_reach_the_mlp_and_names_are_forgiving()
    {
        var mlp = (Mlp)ModelCatalog.Create("MLP", new ModelRequest([64], 10, [500]));
        Assert.That(mlp.Options.Sizes, Is.EqualTo(new[] { 64, 500, 10 }));
        Assert.That(ModelCatalog.Get("cnn_course").Name, Is.EqualTo("cnn-course"));
    }

    [Test]
    public void Unknown_names_and_unfit_data_say_what_would_work()
    {
        Assert.That(() => ModelCatalog.Get("vgg"), Throws.ArgumentException.With.Message.Contains("Unknown model 'vgg'; the models are: mlp, cnn-course, cnn-small, resnet-course, resnet18"));
        Assert.That(() => ModelCatalog.Create("cnn-course", new ModelRequest([4], 3)),
            Throws.ArgumentException.With.Message.Contains("Model 'cnn-course' needs images [C, H, W]; these inputs are [4]. Use 'mlp'"));
        Assert.That(() => ModelCatalog.Register(new ModelEntry("mlp", "again", r => new Mlp(1, 1))), Throws.ArgumentException.With.Message.Contains("already in the catalog"));
    }

    [Test]
    public void A_registered_model_is_available_by_name()
    {
        var name = $"test-model-{Guid.NewGuid():N}";
        ModelCatalog.Register(new ModelEntry(name, "a linear classifier", r => new Mlp([(int)r.Features, r.Classes])));
        var model = (Mlp)ModelCatalog.Create(name, new ModelRequest([1, 8, 8], 10));
        Assert.That(model.Options.Sizes, Is.EqualTo(new[] { 64, 10 }));
        Assert.That(ModelCatalog.Names, Does.Contain(name));
    }

    [Test]
    public void Digits_and_iris_parts_are_a_fixed_disjoint_stratified_split()
    {
        var digits = DatasetCatalog.Get("digits");
        using var train = digits.Load(DatasetPart.Train);
        using var test = digits.Load(DatasetPart.Test);
        using var again = digits.Load(DatasetPart.Test);
        Assert.That((train.Count, test.Count), Is.EqualTo((1438, 359)));
        Assert.That(train.InputShape, Is.EqualTo(new long[] { 1, 8, 8 }));
        Assert.That(test.Inputs.allclose(again.Inputs, 0, 0), Is.True, "the same test part every time");
        // A partition of the 1797 digits: the two parts' pixel totals and class counts add up to the whole set's.
        using var all = Digits.Load();
        Assert.That(train.Inputs.sum().item<float>() + test.Inputs.sum().item<float>(), Is.EqualTo(all.Inputs.sum().item<float>()).Within(1e-2));
        var counts = all.ClassLabels().GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        var parts = train.ClassLabels().Concat(test.ClassLabels()).GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(parts, Is.EquivalentTo(counts));
        using var iris = DatasetCatalog.Get("IRIS").Load(DatasetPart.Test);
        Assert.That(iris.Count, Is.EqualTo(30));
        Assert.That(iris.ClassLabels().GroupBy(l => l).Select(g => g.Count()), Is.All.EqualTo(10), "stratified: 10 of each species");
        Assert.That(() => DatasetCatalog.Get("cifar10"), Throws.ArgumentException.With.Message.Contains("the data sets are: digits, iris, mnist, fashion-mnist"));
    }
}
