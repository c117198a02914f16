using System.Reflection;
using TorchBinding.Analysis.Interpretability;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Tests.Interpretability;

/// <summary>
/// The one attribution interface: every method implements it and keeps its contract (attributions of the inputs' shape),
/// each class computes what it computed before (checked against autograd and hand computations), and the faithfulness
/// and sanity checks take any method.
/// </summary>
public class AttributionMethodTests
{
    [SetUp]
    public void Seed() => TestModels.Seed(19);

    /// <summary>The small CNN of <see cref="TestModels.SmallCnn"/> on three-channel 16x16 images, 3 classes.</summary>
    static Sequential ColourCnn() => nn.Sequential(
        ("conv1", nn.Conv2d(3, 4, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(4, 8, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(8 * 4 * 4, 3)));

    static Tensor ColourImages(int n, int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return rand([n, 3, 16, 16], generator: generator);
    }

    static IAttributionMethod[] EveryMethod() =>
    [
        new Saliency(),
        new GradientTimesInput(),
        new SmoothGrad(new() { Samples = 4, Seed = 1 }),
        new IntegratedGradients(new() { Steps = 8 }),
        new Occlusion(new() { PatchSize = 4, Stride = 2 }),
        new GradCam("conv2"),
        new RandomAttribution(seed: 1),
    ];

    [Test]
    public void Every_method_implements_the_interface_and_the_old_static_entry_points_are_gone()
    {
        var methods = typeof(IAttributionMethod).Assembly.GetTypes()
            .Where(t => t.IsPublic && !t.IsAbstract && typeof(IAttributionMethod).IsAssignableFrom(t)).Select(t => t.Name).Order();
        Assert.That(methods, Is.EqualTo(new[] { "GradCam", "GradientTimesInput", "IntegratedGradients", "Occlusion", "RandomAttribution", "Saliency", "SmoothGrad" }));
        Assert.That(EveryMethod().Select(m => m.Name), Is.EqualTo(new[] { "saliency", "gradient_x_input", "smoothgrad", "integrated_gradients", "occlusion", "grad_cam", "random" }));
        Assert.That(new Saliency { Name = "gradient" }.Name, Is.EqualTo("gradient"), "a name can be replaced");
        // One mechanism: what remains static is the pixel-map helper and Grad-CAM's layer lookup, no second way to attribute.
        static string[] PublicStatics(Type type) => type.GetMethods(BindingFlags.Public | BindingFlags.Static).Select(m => m.Name).Distinct().Order().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(PublicStatics(typeof(Attribution)), Is.EqualTo(new[] { "ToPixelMap" }));
            Assert.That(PublicStatics(typeof(GradCam)), Is.EqualTo(new[] { "FindLayer" }));
            Assert.That(PublicStatics(typeof(Occlusion)), Is.Empty);
        });
    }

    [TestCase(1)]
    [TestCase(3)]
    public void Every_method_returns_detached_attributions_of_the_inputs_shape_on_a_small_cnn(int channels)
    {
        using var scope = NewDisposeScope();
        var model = channels == 1 ? TestModels.SmallCnn() : ColourCnn();
        var images = channels == 1 ? TestModels.Images(3, 16, 16, seed: 1) : ColourImages(3, seed: 1);
        var targets = tensor(new long[] { 0, 1, 2 });
        foreach (var method in EveryMethod())
        {
            var attributions = method.Attribute(model, images, targets);
            Assert.Multiple(() =>
            {
                Assert.That(attributions.shape, Is.EqualTo(images.shape), method.Name);
                Assert.That(attributions.dtype, Is.EqualTo(images.dtype), method.Name);
                Assert.That(attributions.device_type, Is.EqualTo(images.device_type), method.Name);
                Assert.That(attributions.requires_grad, Is.False, method.Name);
                Assert.That(attributions.isfinite().all().item<bool>(), Is.True, method.Name);
            });
            if (method is Occlusion or GradCam)
            {
                // A per-pixel method gives every channel of a pixel the same value.
                for (var c = 1; c < channels; c++)
                    Assert.That(attributions[.., c].equal(attributions[.., 0]).all().item<bool>(), Is.True, $"{method.Name}: channel {c} holds the pixel's value");
            }
        }
    }

    [Test]
    public void Saliency_and_gradient_times_input_are_the_autograd_gradient_of_the_target_score()
    {
        using var scope = NewDisposeScope();
        var model = ColourCnn();
        var images = ColourImages(4, seed: 2);
        var targets = tensor(new long[] { 2, 0, 1, 2 });
        foreach (var score in new[] { ClassScores.Logit, ClassScores.Probability })
        {
            var x = images.clone().requires_grad_(true);
            var chosen = score(model.call(x), targets);
            var gradient = torch.autograd.grad([chosen.sum()], [x])[0].detach();
            TensorAssert.AreClose(new Saliency(new() { Score = score }).Attribute(model, images, targets), gradient, rtol: 1e-6, atol: 1e-9, what: "saliency");
            TensorAssert.AreClose(new Saliency(new() { Score = score, Absolute = true }).Attribute(model, images, targets), gradient.abs(), rtol: 1e-6, atol: 1e-9, what: "|saliency|");
            TensorAssert.AreClose(new GradientTimesInput(new() { Score = score }).Attribute(model, images, targets), gradient * images, rtol: 1e-6, atol: 1e-9, what: "gradient x input");
        }
    }

    [Test]
    public void SmoothGrad_on_a_linear_model_is_the_weight_row_whatever_the_noise()
    {
        using var scope = NewDisposeScope();
        // The gradient of a linear model's logit is its weight row everywhere, so averaging it over noisy copies changes nothing.
        var model = TestModels.Linear(5, 6, classes: 3);
        model.to(float64);
        var images = TestModels.Images(4, 5, 6, seed: 3).to(float64);
        var targets = tensor(new long[] { 1, 0, 2, 1 });
        var weights = ((Linear)model[1]).weight!.detach().index_select(0, targets).view(4, 1, 5, 6);
        var noisy = new SmoothGradOptions { Samples = 5, NoiseLevel = 0.5, Seed = 3 };
        TensorAssert.AreClose(new SmoothGrad(noisy).Attribute(model, images, targets), weights, rtol: 1e-10, atol: 1e-12, what: "SmoothGrad");
        TensorAssert.AreClose(new SmoothGrad(noisy with { Absolute = true }).Attribute(model, images, targets), weights.abs(), rtol: 1e-10, atol: 1e-12, what: "|SmoothGrad|");
        TensorAssert.AreClose(new SmoothGrad(noisy with { Squared = true }).Attribute(model, images, targets), weights.square(), rtol: 1e-10, atol: 1e-12, what: "SmoothGrad-squared");
    }

    [Test]
    public void Integrated_gradients_in_windows_of_a_few_path_points_equal_the_whole_path_at_once()
    {
        // 33 points per sample through the model 5 at a time (Interpretability's refinement reaches 2,049 per sample).
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(3, 16, 16, seed: 4);
        var targets = tensor(new long[] { 0, 1, 2 });
        var whole = new IntegratedGradients(new() { Steps = 32, BatchSize = 128 }).AttributeWithCompleteness(model, images, targets);
        var windows = new IntegratedGradients(new() { Steps = 32, BatchSize = 5 }).AttributeWithCompleteness(model, images, targets);
        Assert.Multiple(() =>
        {
            Assert.That(windows.Attributions.allclose(whole.Attributions, rtol: 1e-4, atol: 1e-6), Is.True);
            Assert.That(windows.AttributionSums, Is.EqualTo(whole.AttributionSums).Within(1e-5));
            Assert.That(windows.ScoreDifferences, Is.EqualTo(whole.ScoreDifferences).Within(1e-6));
        });
    }

    [Test]
    public void Integrated_gradients_attribute_gives_the_attributions_whose_completeness_the_concrete_class_reports()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(3, 16, 16, seed: 4);
        var targets = tensor(new long[] { 0, 1, 2 });
        var method = new IntegratedGradients(new() { Steps = 16 });
        var result = method.AttributeWithCompleteness(model, images, targets);
        Assert.That(method.Attribute(model, images, targets).equal(result.Attributions).all().item<bool>(), Is.True);
        Assert.That(result.Steps, Is.EqualTo(new[] { 16, 16, 16 }));
        Assert.That(result.AttributionSums, Has.Count.EqualTo(3));
    }

    [Test]
    public void Occlusion_is_the_mean_score_drop_over_the_patches_covering_each_pixel_computed_by_hand_on_a_linear_model()
    {
        using var scope = NewDisposeScope();
        // A linear model on three-channel 4x5 images: occluding a patch with the fill value f lowers the logit by exactly
        // Σ over the patch's pixels and channels of w·(x − f).
        var (channels, height, width, fill) = (3, 4, 5, 0.5);
        var model = nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(channels * height * width, 2)));
        model.to(float64);
        using var generator = new Generator(5, CPU);
        var images = rand([2, channels, height, width], dtype: float64, generator: generator);
        var targets = tensor(new long[] { 1, 0 });
        var attributions = new Occlusion(new() { PatchSize = 2, Stride = 2, Fill = fill }).Attribute(model, images, targets);

        // Patch starts every 2 pixels; the last column of positions is moved in to end at the border (0, 2, 3).
        long[] rows = [0, 2], columns = [0, 2, 3];
        var w = ((Linear)model[1]).weight!.detach().view(2, channels, height, width);
        var expected = new double[2, channels, height, width];
        for (var n = 0; n < 2; n++)
        {
            var wx = (w[targets[n].item<long>()] * (images[n] - fill)).data<double>().ToArray();   // [C, H, W], flattened
            double Contribution(long i, long j) => Enumerable.Range(0, channels).Sum(c => wx[(c * height + i) * width + j]);
            var (sum, count) = (new double[height, width], new int[height, width]);
            foreach (var r in rows)
            {
                foreach (var s in columns)
                {
                    var drop = 0.0;
                    for (var i = r; i < r + 2; i++)
                        for (var j = s; j < s + 2; j++)
                            drop += Contribution(i, j);
                    for (var i = r; i < r + 2; i++)
                    {
                        for (var j = s; j < s + 2; j++)
                            (sum[i, j], count[i, j]) = (sum[i, j] + drop, count[i, j] + 1);
                    }
                }
            }
            for (var c = 0; c < channels; c++)
                for (var i = 0; i < height; i++)
                    for (var j = 0; j < width; j++)
                        expected[n, c, i, j] = sum[i, j] / count[i, j];
        }
        TensorAssert.AreClose(attributions, tensor(expected), rtol: 1e-10, atol: 1e-12, what: "occlusion");
        // The per-pixel map comes back as the mean over the channels.
        TensorAssert.AreClose(Attribution.ToPixelMap(attributions, PixelReduction.Mean), tensor(expected)[.., 0], rtol: 1e-10, atol: 1e-12, what: "pixel map");
    }

    [Test]
    public void Grad_cam_is_the_gradient_weighted_feature_map_computed_by_hand_and_upsampled_to_the_images()
    {
        using var scope = NewDisposeScope();
        var model = ColourCnn();
        var images = ColourImages(3, seed: 6);
        var targets = tensor(new long[] { 2, 1, 0 });
        // By hand: run the layers up to relu2, differentiate the target logit with respect to its output A, weight each
        // feature map by its mean gradient, sum, ReLU.
        var layers = Enumerable.Range(0, 8).Select(i => (nn.Module<Tensor, Tensor>)model[i]).ToArray();
        var h = images;
        for (var i = 0; i < 5; i++)
            h = layers[i].call(h);                                                   // conv1 … relu2: A, [3, 8, 8, 8]
        var a = h.detach().requires_grad_(true);
        var logits = layers[7].call(layers[6].call(layers[5].call(a)));
        var score = ClassScores.Logit(logits, targets).sum();
        var gradient = torch.autograd.grad([score], [a])[0];
        var cam = nn.functional.relu((gradient.mean([2, 3], keepdim: true) * a).sum([1])).detach();          // [3, 8, 8]
        var upsampled = nn.functional.interpolate(cam.unsqueeze(1), [16, 16], mode: InterpolationMode.Bilinear, align_corners: false);

        var gradCam = new GradCam("relu2");
        TensorAssert.AreClose(gradCam.LayerMaps(model, images, targets), cam, rtol: 1e-5, atol: 1e-7, what: "layer map");
        TensorAssert.AreClose(gradCam.Attribute(model, images, targets), upsampled.expand(3, 3, 16, 16), rtol: 1e-5, atol: 1e-7, what: "attributions");
    }

    [Test]
    public void Random_attributions_are_seeded_uniform_values_that_ignore_the_model()
    {
        using var scope = NewDisposeScope();
        var images = TestModels.Images(2, 16, 16, seed: 7);
        var targets = tensor(new long[] { 0, 1 });
        var first = new RandomAttribution(seed: 4).Attribute(TestModels.SmallCnn(), images, targets);
        var second = new RandomAttribution(seed: 4).Attribute(TestModels.SmallCnn(), images, targets);
        using var generator = new Generator(4, CPU);
        Assert.Multiple(() =>
        {
            Assert.That(first.equal(second).all().item<bool>(), Is.True, "the same seed, another model: the same values");
            Assert.That(first.equal(rand([2, 1, 16, 16], generator: generator)).all().item<bool>(), Is.True, "torch.rand's draws of the seed");
            Assert.That(first.equal(new RandomAttribution(seed: 5).Attribute(TestModels.SmallCnn(), images, targets)).all().item<bool>(), Is.False, "another seed");
        });
    }

    [Test]
    public void Faithfulness_and_the_sanity_check_run_any_method()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(4, 16, 16, seed: 8);
        var targets = tensor(new long[] { 0, 1, 2, 0 });
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var options = new FaithfulnessOptions { Steps = 8, Seed = 2 };
        foreach (var method in new IAttributionMethod[] { new Saliency(new() { Absolute = true }), new GradCam("conv2") })
        {
            // The method's curves are those of its attributions.
            var attributions = method.Attribute(model, images, targets);
            var deletion = Faithfulness.Deletion(model, images, targets, method, options);
            var insertion = Faithfulness.Insertion(model, images, targets, method, options);
            var curves = Faithfulness.Curves(model, images, targets, method, options);
            Assert.Multiple(() =>
            {
                Assert.That(deletion.Scores, Is.EqualTo(Faithfulness.Deletion(model, images, targets, attributions, options).Scores), method.Name);
                Assert.That(insertion.Scores, Is.EqualTo(Faithfulness.Insertion(model, images, targets, attributions, options).Scores), method.Name);
                Assert.That(curves.Deletion.Scores, Is.EqualTo(deletion.Scores), $"{method.Name}: Curves' deletion");
                Assert.That(curves.Insertion.Scores, Is.EqualTo(insertion.Scores), $"{method.Name}: Curves' insertion");
                Assert.That(deletion.Fractions, Has.Count.EqualTo(9), method.Name);
            });

            var steps = SanityChecks.CascadingRandomization(model, images, targets, method, new() { Seed = 3 });
            Assert.Multiple(() =>
            {
                Assert.That(steps.Select(s => s.Layer), Is.EqualTo(new[] { "original", "fc", "conv2", "conv1" }), method.Name);
                Assert.That(steps.All(s => s.Attributions.shape.SequenceEqual(images.shape)), Is.True, $"{method.Name}: the inputs' shape at every step");
                Assert.That(steps[0].Attributions.equal(attributions.to(float64)).all().item<bool>(), Is.True, $"{method.Name}: step 0 is the trained model's attributions");
                Assert.That(steps[0].MeanRankCorrelation, Is.EqualTo(1), method.Name);
                Assert.That(steps[^1].Attributions.equal(steps[0].Attributions).all().item<bool>(), Is.False, $"{method.Name}: random weights change the attributions");
            });
        }
        var after = model.parameters().ToList();
        for (var i = 0; i < before.Count; i++)
            Assert.That(before[i].equal(after[i]).all().item<bool>(), Is.True, $"parameter {i} restored bit for bit");
        var flat = Assert.Throws<ArgumentException>(() => Faithfulness.Deletion(TestModels.Linear(4, 4, 2), zeros(2, 16), zeros(2, dtype: int64), new Saliency()))!;
        Assert.That(flat.Message, Does.Contain("Faithfulness works on images [N, C, H, W]; got [2, 16]"));
    }
}
