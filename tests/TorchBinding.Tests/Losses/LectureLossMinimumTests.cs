using TorchBinding.Losses;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Losses;

/// <summary>
/// Each loss is minimised at the target: at scores whose σ(o) is (almost) y, it is at the value its formula gives for
/// σ(o) = y (0 for all but the squashed hinges), and below its value at random and at wrong-class scores.
/// </summary>
public class LectureLossMinimumTests
{
    public static IEnumerable<TestCaseData> LossesAndSquashes() => LectureLossFormulaTests.LossesAndSquashes();

    /// <summary>Scores that reach the one-hot target: y itself for identity (±1 for the hinges), ±12 before a squash.</summary>
    static double[][] ScoresAtTarget(string name, double[][] y, Squash squash) => y.Select(row => row.Select(v => squash switch
    {
        Squash.Identity when name.Contains("hinge", StringComparison.Ordinal) => 2 * v - 1,
        Squash.Identity => v,
        _ => 12 * (2 * v - 1),
    }).ToArray()).ToArray();

    [TestCaseSource(nameof(LossesAndSquashes))]
    public void Is_minimised_at_the_target(string name, Squash squash)
    {
        var inputs = new RandomLossInputs(4000 + RandomLossInputs.Seed(name));
        const int n = 4, k = 3;
        var labels = inputs.Labels(n, k);
        var y = RandomLossInputs.OneHot(labels, k);
        var loss = LossCatalog.Get(name).Create(squash, Reduction.None);
        using var scope = NewDisposeScope();
        using var target = tensor(labels);
        double[] At(double[][] o) => loss(RandomLossInputs.Tensor(o), target).data<double>().ToArray();

        var scoresAtTarget = ScoresAtTarget(name, y, squash);
        var atTarget = At(scoresAtTarget);
        // The formula's value when σ(o) equals y exactly (K − 1 for the squashed hinges, 0 for the others; 0 for the
        // hinges on raw scores ±1).
        var best = Enumerable.Range(0, n).Select(i => LossReference.FromProbabilities(name, y[i], squash == Squash.Identity ? scoresAtTarget[i] : y[i], y[i])).ToArray();
        var wrongClass = ScoresAtTarget(name, RandomLossInputs.OneHot(labels.Select(l => (l + 1) % k).ToArray(), k), squash);
        var exact = squash == Squash.Identity;
        Assert.Multiple(() =>
        {
            for (var i = 0; i < n; i++)
                Assert.That(atTarget[i], exact ? Is.EqualTo(best[i]) : Is.EqualTo(best[i]).Within(1e-4), $"sample {i} at the target");
            Assert.That(At(wrongClass), Is.All.GreaterThan(best.Max() + 0.1), "scores of the wrong class");
            for (var trial = 0; trial < 5; trial++)
            {
                var random = inputs.Scores(n, k, squash == Squash.Identity ? Squash.Identity : Squash.Softmax);
                var values = At(random);
                for (var i = 0; i < n; i++)
                    Assert.That(values[i], Is.GreaterThan(atTarget[i]), $"random scores, trial {trial}, sample {i}");
            }
        });
    }

    [Test]
    public void Exact_zero_where_the_formula_gives_zero()
    {
        using var scope = NewDisposeScope();
        var y = tensor(new[,] { { 0.0, 1.0, 0.0 }, { 1.0, 0.0, 0.0 } });
        var labels = tensor(new long[] { 1, 0 });
        Assert.Multiple(() =>
        {
            foreach (var loss in LossCatalog.All.Where(d => d.Name != "svm_hinge" && !d.Name.Contains("hinge", StringComparison.Ordinal)))
                Assert.That(loss.Create(Squash.Identity)(y, labels).item<double>(), Is.EqualTo(0.0), loss.Name);
            // The hinges on raw scores ±1 (margin 1), and the SVM hinge with every y·f ≥ 1.
            foreach (var loss in new[] { LossCatalog.Hinge, LossCatalog.SquaredHinge, LossCatalog.CubedHinge })
                Assert.That(loss.Create(Squash.Identity)(2 * y - 1, labels).item<double>(), Is.EqualTo(0.0), loss.Name);
            Assert.That(LectureLosses.SvmHinge(tensor(new[] { 1.0, -3.0 }), tensor(new[] { 1.0, -1.0 })).item<double>(), Is.EqualTo(0.0), "svm_hinge");
        });
    }

    [Test]
    public void Squared_log_is_never_negative_unlike_the_tables_sign()
    {
        // The table's −Σ [y log σ(o)]² is ≤ 0 and 0 at the target, so it would be maximised there; ours is ≥ 0.
        var inputs = new RandomLossInputs(9);
        using var scope = NewDisposeScope();
        var values = LectureLosses.SquaredLog(RandomLossInputs.Tensor(inputs.Scores(50, 4, Squash.Softmax)), tensor(inputs.Labels(50, 4)), reduction: Reduction.None);
        Assert.That(values.min().item<double>(), Is.GreaterThan(0.0));
    }
}
