using TorchBinding.Losses;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Losses;

/// <summary>Values worked out by hand on small cases.</summary>
public class LectureLossKnownValueTests
{
    const double Tolerance = 1e-12;

    [Test]
    public void Softmax_losses_on_two_hand_computed_samples()
    {
        // o = [[0, 0], [ln 3, 0]], both of class 0, so y = [1, 0] twice.
        // softmax: s1 = [1/2, 1/2], s2 = [3/4, 1/4].
        using var scope = NewDisposeScope();
        var o = tensor(new[,] { { 0.0, 0.0 }, { Math.Log(3), 0.0 } });
        var y = tensor(new long[] { 0, 0 });
        Assert.Multiple(() =>
        {
            // |1/2 − 1| + 1/2 = 1; 1/4 + 1/4 = 1/2; mean 3/4
            Assert.That(LectureLosses.Expectation(o, y).item<double>(), Is.EqualTo(0.75).Within(Tolerance));
            // √(1/4 + 1/4) = √(1/2); √(1/16 + 1/16) = √(1/8); mean of the two
            Assert.That(LectureLosses.RegularisedExpectation(o, y).item<double>(), Is.EqualTo((Math.Sqrt(0.5) + Math.Sqrt(0.125)) / 2).Within(Tolerance));
            // 1/2 and 1/8; mean 5/16
            Assert.That(LectureLosses.RegularisedExpectationSquared(o, y).item<double>(), Is.EqualTo(0.3125).Within(Tolerance));
            // max(1/2, 1/2) = 1/2; max(1/4, 1/4) = 1/4; mean 3/8
            Assert.That(LectureLosses.Chebyshev(o, y).item<double>(), Is.EqualTo(0.375).Within(Tolerance));
            // ŷ = [1, −1]: max(0, 1 − 1/2) + max(0, 1 + 1/2) = 2; (1 − 3/4) + (1 + 1/4) = 3/2; mean 7/4
            Assert.That(LectureLosses.Hinge(o, y).item<double>(), Is.EqualTo(1.75).Within(Tolerance));
            // 1/4 + 9/4 = 5/2; 1/16 + 25/16 = 13/8; mean 33/16
            Assert.That(LectureLosses.SquaredHinge(o, y).item<double>(), Is.EqualTo(2.0625).Within(Tolerance));
            // 1/8 + 27/8 = 7/2; 1/64 + 125/64 = 63/32; mean 175/64
            Assert.That(LectureLosses.CubedHinge(o, y).item<double>(), Is.EqualTo(175.0 / 64).Within(Tolerance));
            // −ln(1/2) = ln 2; −ln(3/4) = ln(4/3); mean ln(8/3) / 2
            Assert.That(LectureLosses.Log(o, y).item<double>(), Is.EqualTo(Math.Log(8.0 / 3) / 2).Within(Tolerance));
            // ln²2 and ln²(4/3); mean
            Assert.That(LectureLosses.SquaredLog(o, y).item<double>(), Is.EqualTo((Math.Pow(Math.Log(2), 2) + Math.Pow(Math.Log(4.0 / 3), 2)) / 2).Within(Tolerance));
            // T1 = (1/2) / (1/2 + 1 − 1/2) = 1/2; T2 = (3/4) / (10/16 + 1 − 3/4) = 6/7; mean of 1 − T = (1/2 + 1/7) / 2 = 9/28
            Assert.That(LectureLosses.Tanimoto(o, y).item<double>(), Is.EqualTo(9.0 / 28).Within(Tolerance));
            // −ln((1/2) / √(1/2)) = ln(2)/2; −ln((3/4) / √(10/16)) = −ln(3/√10) = ln(10/9)/2; mean ln(20/9)/4
            Assert.That(LectureLosses.CauchySchwarz(o, y).item<double>(), Is.EqualTo(Math.Log(20.0 / 9) / 4).Within(Tolerance));
            // Raw scores: |0 − 1| + 0 = 1; |ln 3 − 1| + 0 = ln 3 − 1; mean ln(3)/2
            Assert.That(LectureLosses.L1(o, y).item<double>(), Is.EqualTo(Math.Log(3) / 2).Within(Tolerance));
            // 1 and (ln 3 − 1)²; mean
            Assert.That(LectureLosses.L2(o, y).item<double>(), Is.EqualTo((1 + Math.Pow(Math.Log(3) - 1, 2)) / 2).Within(Tolerance));
            // 1 and ln 3 − 1; mean ln(3)/2
            Assert.That(LectureLosses.L2Norm(o, y).item<double>(), Is.EqualTo(Math.Log(3) / 2).Within(Tolerance));
            // Sum and None: 2 × mean, and the two samples.
            Assert.That(LectureLosses.Expectation(o, y, reduction: Reduction.Sum).item<double>(), Is.EqualTo(1.5).Within(Tolerance));
            Assert.That(LectureLosses.Expectation(o, y, reduction: Reduction.None).data<double>().ToArray(), Is.EqualTo(new[] { 1.0, 0.5 }).Within(Tolerance));
        });
    }

    [Test]
    public void Sigmoid_and_identity_cases()
    {
        using var scope = NewDisposeScope();
        // Sigmoid: o = [0, ln 3] gives σ(o) = [1/2, 3/4]; y = [1, 0].
        var o = tensor(new[,] { { 0.0, Math.Log(3) } });
        var y = tensor(new[,] { { 1.0, 0.0 } });
        // Paper's hinge on raw scores: o = [2, −1/4], ŷ = [1, −1]: max(0, 1/2 − 2) + max(0, 1/2 − 1/4) = 1/4.
        var raw = tensor(new[,] { { 2.0, -0.25 } });
        Assert.Multiple(() =>
        {
            // |1/2 − 1| + |3/4 − 0| = 5/4
            Assert.That(LectureLosses.Expectation(o, y, Squash.Sigmoid).item<double>(), Is.EqualTo(1.25).Within(Tolerance));
            // max(1/2, 3/4)
            Assert.That(LectureLosses.Chebyshev(o, y, Squash.Sigmoid).item<double>(), Is.EqualTo(0.75).Within(Tolerance));
            // only the target class counts: −ln(1/2)
            Assert.That(LectureLosses.Log(o, y, Squash.Sigmoid).item<double>(), Is.EqualTo(Math.Log(2)).Within(Tolerance));
            Assert.That(LectureLosses.Hinge(raw, y, Squash.Identity, margin: 0.5).item<double>(), Is.EqualTo(0.25).Within(Tolerance));
            // Identity: the outputs are probabilities; −ln 0.8 for o = [0.8, 0.2]
            Assert.That(LectureLosses.Log(tensor(new[,] { { 0.8, 0.2 } }), y, Squash.Identity).item<double>(), Is.EqualTo(-Math.Log(0.8)).Within(Tolerance));
        });
    }

    [Test]
    public void Cauchy_schwarz_stays_finite_and_right_for_logits_far_apart_in_float32()
    {
        using var scope = NewDisposeScope();
        // A logit gap of 200: float32's softmax underflows to 0 for the target class (e^-200 < 1e-38), which made the
        // direct formula log(0) = -Inf. In log space the loss is -log σ_target + ½ log Σσ² ≈ 200 (σ_other ≈ 1).
        var logits = tensor(new[] { 0f, 200f, -10f, 0f, 3f, 1f }).reshape(2, 3);
        var targets = tensor(new long[] { 0, 0 });
        var exact = LectureLosses.CauchySchwarz(logits.to(float64), targets, reduction: Reduction.None);
        var single = LectureLosses.CauchySchwarz(logits, targets, reduction: Reduction.None);
        Assert.Multiple(() =>
        {
            Assert.That(single.isfinite().all().item<bool>(), Is.True, $"float32 per-sample values {string.Join(", ", single.data<float>().ToArray())}");
            Assert.That(single[0].item<float>(), Is.EqualTo(exact[0].item<double>()).Within(1e-4).And.EqualTo(200).Within(1e-3));
            Assert.That(single[1].item<float>(), Is.EqualTo(exact[1].item<double>()).Within(1e-5));
        });
    }

    [Test]
    public void Tanimoto_near_the_target_keeps_its_relative_precision_in_float32()
    {
        using var scope = NewDisposeScope();
        // σ(o) = y + ε: 1 − T ≈ ‖ε‖² / ‖y‖² ≈ 2e-8, below float32's resolution near 1 (6e-8), so 1 − T computed as a
        // difference was 0 or 6e-8; the cancellation-free form keeps it.
        var y = tensor(new[] { 0.5, 0.3, 0.2 }).reshape(1, 3);
        var p = y + tensor(new[] { 1e-4, -1e-4, 0 }).reshape(1, 3);
        var exact = LectureLosses.Tanimoto(p, y, Squash.Identity).item<double>();
        var single = LectureLosses.Tanimoto(p.to(float32), y.to(float32), Squash.Identity).item<float>();
        Assert.That(single, Is.EqualTo(exact).Within(exact * 1e-3), $"float64 {exact:G6}, float32 {single:G6}");
    }

    [Test]
    public void Svm_hinge_on_three_samples()
    {
        using var scope = NewDisposeScope();
        // f = [2, 0.5, −1], y = [1, −1, 1]: max(0, 1 − 2) = 0; max(0, 1 + 0.5) = 1.5; max(0, 1 + 1) = 2; mean 3.5/3.
        var f = tensor(new[] { 2.0, 0.5, -1.0 });
        var y = tensor(new long[] { 1, -1, 1 });
        Assert.Multiple(() =>
        {
            Assert.That(LectureLosses.SvmHinge(f, y).item<double>(), Is.EqualTo(3.5 / 3).Within(Tolerance));
            Assert.That(LectureLosses.SvmHinge(f, y, Reduction.None).data<double>().ToArray(), Is.EqualTo(new[] { 0.0, 1.5, 2.0 }));
        });
    }

    [Test]
    public void Weight_penalties_and_their_gradients()
    {
        using var scope = NewDisposeScope();
        // w1 = [[1, −2], [0, 3]], w2 = [−0.5]: Σ|w| = 1 + 2 + 0 + 3 + 0.5 = 6.5; ½ Σ w² = ½ (1 + 4 + 0 + 9 + 0.25) = 7.125.
        var w1 = tensor(new[,] { { 1.0, -2.0 }, { 0.0, 3.0 } }).requires_grad_();
        var w2 = tensor(new[] { -0.5 }).requires_grad_();
        var l1 = WeightPenalty.L1([w1, w2]);
        var l2 = WeightPenalty.L2([w1, w2]);
        // d(½ Σ w²)/dw = w: the lecture's (λ/2) wᵀw has gradient λ w.
        var gradients = TorchSharp.torch.autograd.grad([l2], [w1, w2]);
        Assert.Multiple(() =>
        {
            Assert.That(l1.item<double>(), Is.EqualTo(6.5));
            Assert.That(l2.item<double>(), Is.EqualTo(7.125));
            Assert.That(gradients[0].data<double>().ToArray(), Is.EqualTo(new[] { 1.0, -2, 0, 3 }));
            Assert.That(gradients[1].data<double>().ToArray(), Is.EqualTo(new[] { -0.5 }));
            Assert.That(WeightPenalty.L2([]).item<float>(), Is.EqualTo(0f), "no parameters: 0");
        });
    }

    [Test]
    public void Weight_penalties_of_a_module_sum_over_its_parameters()
    {
        using var scope = NewDisposeScope();
        var model = TorchSharp.torch.nn.Linear(3, 2);
        var expected = model.parameters().Sum(p => p.abs().sum().item<float>());
        Assert.That(WeightPenalty.L1(model.parameters()).item<float>(), Is.EqualTo(expected).Within(1e-5));
    }
}
