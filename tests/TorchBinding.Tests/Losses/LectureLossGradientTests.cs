using TorchBinding.Losses;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Losses;

/// <summary>
/// Autograd's gradient of each loss equals central finite differences in float64 (ε = 1e-6) at random points, which
/// lie away from the kinks of |·|, max and the hinge with probability 1 (the seeds are fixed).
/// </summary>
public class LectureLossGradientTests
{
    const double Epsilon = 1e-6;
    const double RelativeTolerance = 1e-6;

    public static IEnumerable<TestCaseData> LossesAndSquashes() => LectureLossFormulaTests.LossesAndSquashes();

    /// <summary>Checks d loss / d output of <paramref name="loss"/> at <paramref name="o"/> against central differences.</summary>
    static void CheckGradient(LossFunction loss, double[][] o, Tensor target)
    {
        using var scope = NewDisposeScope();
        var output = RandomLossInputs.Tensor(o).requires_grad_();
        var value = loss(output, target);
        var gradient = torch.autograd.grad([value], [output])[0].data<double>().ToArray();

        double At(double[][] point)
        {
            using var inner = NewDisposeScope();
            using var noGrad = no_grad();
            return loss(RandomLossInputs.Tensor(point), target).item<double>();
        }

        var k = o[0].Length;
        Assert.Multiple(() =>
        {
            for (var i = 0; i < o.Length; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    var plus = o.Select(r => (double[])r.Clone()).ToArray();
                    var minus = o.Select(r => (double[])r.Clone()).ToArray();
                    plus[i][j] += Epsilon;
                    minus[i][j] -= Epsilon;
                    var numeric = (At(plus) - At(minus)) / (2 * Epsilon);
                    var analytic = gradient[i * k + j];
                    Assert.That(analytic, Is.EqualTo(numeric).Within(RelativeTolerance * Math.Max(1, Math.Abs(numeric))), $"d loss / d o[{i}, {j}]");
                }
            }
        });
    }

    [TestCaseSource(nameof(LossesAndSquashes))]
    public void Gradient_matches_central_differences(string name, Squash squash)
    {
        var inputs = new RandomLossInputs(2000 + RandomLossInputs.Seed(name));
        var o = inputs.Scores(3, 4, squash);
        var labels = inputs.Labels(3, 4);
        using var target = tensor(labels);
        CheckGradient(LossCatalog.Get(name).Create(squash), o, target);
    }

    [TestCaseSource(nameof(LossesAndSquashes))]
    public void Gradient_matches_central_differences_for_probability_targets(string name, Squash squash)
    {
        var inputs = new RandomLossInputs(3000 + RandomLossInputs.Seed(name));
        var o = inputs.Scores(2, 3, squash);
        using var target = RandomLossInputs.Tensor(inputs.Probabilities(2, 3));
        CheckGradient(LossCatalog.Get(name).Create(squash, Reduction.Sum), o, target);
    }

    [Test]
    public void Papers_hinge_form_and_svm_hinge_gradients_match_central_differences()
    {
        var inputs = new RandomLossInputs(11);
        var o = inputs.Scores(3, 4, Squash.Softmax);
        using var labels = tensor(inputs.Labels(3, 4));
        CheckGradient((x, t) => LectureLosses.SquaredHinge(x, t, Squash.Identity, margin: 0.5), o, labels);
        CheckGradient((x, t) => LectureLosses.Hinge(x, t, Squash.Identity, margin: 0.5), o, labels);

        var f = Enumerable.Range(0, 6).Select(_ => new[] { inputs.Normal(1.5) }).ToArray();
        using var signs = tensor(new[] { 1.0, -1, 1, 1, -1, -1 }).reshape(6, 1);
        CheckGradient(LossCatalog.SvmHinge.Create(), f, signs);
    }

    [Test]
    public void Norm_losses_have_a_finite_zero_gradient_at_the_target()
    {
        using var scope = NewDisposeScope();
        var y = tensor(new[,] { { 1.0, 0, 0 }, { 0, 0, 1 } });
        foreach (var loss in new[] { LossCatalog.L2Norm.Create(), LossCatalog.RegularisedExpectation.Create(Squash.Identity) })
        {
            var output = y.clone().requires_grad_();
            var gradient = torch.autograd.grad([loss(output, y)], [output])[0];
            Assert.That(gradient.abs().max().item<double>(), Is.EqualTo(0.0));
        }
    }
}
