using TorchBinding.Losses;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Losses;

public class LossCatalogTests
{
    [Test]
    public void Lists_every_loss_once_with_formulas_and_snake_case_names()
    {
        var names = LossCatalog.All.Select(d => d.Name).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(names, Is.Unique);
            Assert.That(names, Is.SupersetOf(new[]
            {
                "l1", "l2", "l2_norm", "expectation", "regularised_expectation", "chebyshev", "hinge", "squared_hinge",
                "cubed_hinge", "log", "squared_log", "tanimoto", "cauchy_schwarz", "svm_hinge",
            }));
            foreach (var d in LossCatalog.All)
            {
                Assert.That(d.Name, Does.Match("^[a-z0-9_]+$"));
                Assert.That(d.Formula, Is.Not.Empty);
                Assert.That(d.LectureFormula, Is.Not.Empty);
                Assert.That(LossCatalog.Get(d.Name.ToUpperInvariant()), Is.SameAs(d));
            }
        });
    }

    [Test]
    public void Table_has_a_row_per_loss()
    {
        var table = LossCatalog.FormatTable();
        var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines, Has.Length.EqualTo(LossCatalog.All.Count + 2));
            Assert.That(table, Does.Contain("`tanimoto`").And.Contain("1 − ⟨σ(o), y⟩").And.Contain("Σ_j \\|o_j − y_j\\|"));
        });
    }

    [Test]
    public void Created_losses_default_to_softmax_and_train_a_linear_model()
    {
        using var scope = NewDisposeScope();
        var o = tensor(new[,] { { 1.0, -0.5, 2.0 } });
        var y = tensor(new long[] { 2 });
        Assert.That(LossCatalog.Log.Create()(o, y).item<double>(),
            Is.EqualTo(LectureLosses.Log(o, y, Squash.Softmax).item<double>()));

        // A few SGD steps with the squared hinge (sigmoid) separate two blobs: the loss goes down.
        TorchBinding.Runtime.Seeding.SeedEverything(3);
        var x = cat([randn(20, 2) + 2, randn(20, 2) - 2]);
        var labels = cat([zeros(20, dtype: int64), ones(20, dtype: int64)]);
        var model = nn.Linear(2, 2);
        var optimizer = optim.SGD(model.parameters(), 0.5);
        var loss = LossCatalog.SquaredHinge.Create(Squash.Sigmoid);
        var first = loss(model.call(x), labels).item<float>();
        for (var step = 0; step < 50; step++)
        {
            optimizer.zero_grad();
            loss(model.call(x), labels).backward();
            optimizer.step();
        }
        Assert.That(loss(model.call(x), labels).item<float>(), Is.LessThan(first * 0.7));
    }
}
