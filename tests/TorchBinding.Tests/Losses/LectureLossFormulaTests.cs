using TorchBinding.Losses;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Losses;

/// <summary>Each loss of the table equals its formula, computed with plain loops, on random float64 inputs.</summary>
public class LectureLossFormulaTests
{
    const double Tolerance = 1e-10;

    /// <summary>Every (loss, σ) pair: the three squashes for losses that use σ, identity for the raw-score ones.</summary>
    public static IEnumerable<TestCaseData> LossesAndSquashes()
    {
        foreach (var loss in LossCatalog.All.Where(d => d.Name != "svm_hinge"))
        {
            foreach (var squash in loss.UsesSquash ? [Squash.Softmax, Squash.Sigmoid, Squash.Identity] : new[] { Squash.Identity })
                yield return new TestCaseData(loss.Name, squash).SetName($"{loss.Name}_{squash}");
        }
    }

    static void AssertClose(double actual, double expected, string what) =>
        Assert.That(actual, Is.EqualTo(expected).Within(Tolerance * Math.Max(1, Math.Abs(expected))), what);

    [TestCaseSource(nameof(LossesAndSquashes))]
    public void Matches_its_formula_for_one_hot_targets_and_class_indices(string name, Squash squash)
    {
        var inputs = new RandomLossInputs(RandomLossInputs.Seed(name));
        const int n = 6, k = 5;
        var o = inputs.Scores(n, k, squash);
        var labels = inputs.Labels(n, k);
        var y = RandomLossInputs.OneHot(labels, k);
        var loss = LossCatalog.Get(name);
        using var scope = NewDisposeScope();
        var output = RandomLossInputs.Tensor(o);
        var expected = LossReference.Batch(name, o, y, squash);

        var fromOneHot = loss.Create(squash)(output, RandomLossInputs.Tensor(y));
        var fromIndices = loss.Create(squash)(output, tensor(labels));
        var sum = loss.Create(squash, Reduction.Sum)(output, tensor(labels)).item<double>();
        var perSample = loss.Create(squash, Reduction.None)(output, tensor(labels)).data<double>().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(fromOneHot.shape, Is.Empty, "a scalar");
            Assert.That(fromOneHot.dtype, Is.EqualTo(ScalarType.Float64));
            AssertClose(fromOneHot.item<double>(), expected, "one-hot targets, mean");
            AssertClose(fromIndices.item<double>(), expected, "class indices, mean");
            AssertClose(sum, expected * n, "sum");
            Assert.That(perSample, Has.Length.EqualTo(n));
            for (var i = 0; i < n; i++)
                AssertClose(perSample[i], LossReference.PerSample(name, o[i], y[i], squash), $"sample {i}");
        });
    }

    [TestCaseSource(nameof(LossesAndSquashes))]
    public void Matches_its_formula_for_probability_targets(string name, Squash squash)
    {
        var inputs = new RandomLossInputs(1000 + RandomLossInputs.Seed(name));
        const int n = 5, k = 4;
        var o = inputs.Scores(n, k, squash);
        var y = inputs.Probabilities(n, k);
        using var scope = NewDisposeScope();
        var actual = LossCatalog.Get(name).Create(squash)(RandomLossInputs.Tensor(o), RandomLossInputs.Tensor(y)).item<double>();
        AssertClose(actual, LossReference.Batch(name, o, y, squash), "probability targets");
    }

    [Test]
    public void Hinge_margin_and_the_papers_raw_score_form_match_their_formula()
    {
        var inputs = new RandomLossInputs(77);
        var o = inputs.Scores(4, 3, Squash.Softmax);
        var labels = inputs.Labels(4, 3);
        var y = RandomLossInputs.OneHot(labels, 3);
        // Janocha & Czarnecki's Σ_j max(0, ½ − ŷ_j o_j) on raw scores, and cubed with margin 2 on sigmoid.
        double Expected(double margin, int power, Squash squash) => Enumerable.Range(0, 4).Average(i =>
        {
            var p = LossReference.SquashRow(o[i], squash);
            return Enumerable.Range(0, 3).Sum(j => Math.Pow(Math.Max(0, margin - (2 * y[i][j] - 1) * p[j]), power));
        });
        using var scope = NewDisposeScope();
        var output = RandomLossInputs.Tensor(o);
        Assert.Multiple(() =>
        {
            AssertClose(LectureLosses.Hinge(output, tensor(labels), Squash.Identity, margin: 0.5).item<double>(), Expected(0.5, 1, Squash.Identity), "paper's hinge");
            AssertClose(LectureLosses.SquaredHinge(output, tensor(labels), Squash.Identity, margin: 0.5).item<double>(), Expected(0.5, 2, Squash.Identity), "paper's squared hinge");
            AssertClose(LectureLosses.CubedHinge(output, tensor(labels), Squash.Sigmoid, margin: 2).item<double>(), Expected(2, 3, Squash.Sigmoid), "cubed, margin 2");
        });
    }

    [Test]
    public void Svm_hinge_matches_its_formula_for_both_score_shapes()
    {
        var inputs = new RandomLossInputs(5);
        var f = Enumerable.Range(0, 9).Select(_ => inputs.Normal(2)).ToArray();
        var y = Enumerable.Range(0, 9).Select(i => i % 3 == 0 ? -1.0 : 1.0).ToArray();
        var expected = Enumerable.Range(0, 9).Average(i => Math.Max(0, 1 - y[i] * f[i]));
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            AssertClose(LectureLosses.SvmHinge(tensor(f), tensor(y)).item<double>(), expected, "[N] scores, float labels");
            AssertClose(LectureLosses.SvmHinge(tensor(f).reshape(9, 1), tensor(y.Select(v => (long)v).ToArray())).item<double>(), expected, "[N, 1] scores, int64 labels");
        });
    }
}
