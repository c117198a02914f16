using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

/// <summary>
/// Every optimizer name's first two steps against its published update rule, computed by hand in double precision
/// for one weight w₀ = 1 on f(w) = w²/2 (gradient g = w), for the flat-buffer and TorchSharp's per-tensor variant.
/// </summary>
public class OptimizerStepTests
{
    /// <summary>w after each of two steps of the named optimizer on f(w) = c·w²/2 (c = 0: only the decay acts).</summary>
    static double[] TwoSteps(string name, OptimizerSettings settings, double curvature = 1)
    {
        var w = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0 }, dtype: float64));
        var optimizer = Optimizers.Create(name, [w], settings);
        var trajectory = new double[2];
        for (var t = 0; t < 2; t++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            (0.5 * curvature * w.square().sum()).backward();
            optimizer.step();
            trajectory[t] = w.item<double>();
        }
        return trajectory;
    }

    /// <summary>The update rules (PyTorch's, as each optimizer documents them), step by step for g = w.</summary>
    static double[] ByHand(string name, double lr)
    {
        double w = 1, m = 0, v = 0, u = 0, buffer = 0;
        var result = new double[2];
        for (var t = 1; t <= 2; t++)
        {
            var g = w;
            switch (name)
            {
                case "sgd": w -= lr * g; break;
                case "momentum": buffer = t == 1 ? g : 0.9 * buffer + g; w -= lr * buffer; break;
                case "nesterov": buffer = t == 1 ? g : 0.9 * buffer + g; w -= lr * (g + 0.9 * buffer); break;
                case "adagrad": v += g * g; w -= lr * g / (Math.Sqrt(v) + 1e-10); break;
                case "adadelta":
                    v = 0.9 * v + 0.1 * g * g;
                    var delta = Math.Sqrt(u + 1e-6) / Math.Sqrt(v + 1e-6) * g;
                    u = 0.9 * u + 0.1 * delta * delta;
                    w -= lr * delta;
                    break;
                case "rmsprop": v = 0.99 * v + 0.01 * g * g; w -= lr * g / (Math.Sqrt(v) + 1e-8); break;
                case "adam" or "adamw":
                    if (name == "adamw")
                        w -= lr * 0.01 * w;                       // AdamW's default decay 0.01, before the Adam step
                    m = 0.9 * m + 0.1 * g;
                    v = 0.999 * v + 0.001 * g * g;
                    w -= lr * (m / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(v / (1 - Math.Pow(0.999, t))) + 1e-8);
                    break;
            }
            result[t - 1] = w;
        }
        return result;
    }

    [TestCase("sgd", 0.1)]
    [TestCase("momentum", 0.1)]
    [TestCase("nesterov", 0.1)]
    [TestCase("adagrad", 0.1)]
    [TestCase("adadelta", 1.0)]
    [TestCase("rmsprop", 0.01)]
    [TestCase("adam", 0.1)]
    [TestCase("adamw", 0.1)]
    public void Two_steps_follow_the_published_update_rule(string name, double lr)
    {
        var expected = ByHand(name, lr);
        foreach (var flat in new[] { true, false })
            Assert.That(TwoSteps(name, new OptimizerSettings { LearningRate = lr, Flat = flat }), Is.EqualTo(expected).Within(1e-12), $"{name}, flat {flat}");
    }

    [Test]
    public void The_named_rules_give_the_textbook_numbers()
    {
        // A few of the values above, by pencil: SGD 1 → 0.9 → 0.81; momentum 0.9 → 0.9 − 0.1·(0.9 + 0.9) = 0.72;
        // Nesterov 1 − 0.1·1.9 = 0.81 → 0.81 − 0.1·(0.81 + 0.9·1.71) = 0.5751; RMSprop 1 − 0.01·1/√0.01 = 0.9.
        Assert.Multiple(() =>
        {
            Assert.That(ByHand("sgd", 0.1), Is.EqualTo(new[] { 0.9, 0.81 }).Within(1e-12));
            Assert.That(ByHand("momentum", 0.1), Is.EqualTo(new[] { 0.9, 0.72 }).Within(1e-12));
            Assert.That(ByHand("nesterov", 0.1), Is.EqualTo(new[] { 0.81, 0.5751 }).Within(1e-12));
            Assert.That(ByHand("rmsprop", 0.01)[0], Is.EqualTo(0.9).Within(1e-6));
            Assert.That(ByHand("adam", 0.1)[0], Is.EqualTo(0.9).Within(1e-6), "Adam's first step is lr · sign(g)");
        });
    }

    [Test]
    public void Decoupled_decay_in_AdamW_shrinks_by_a_factor_while_L2_in_Adam_is_normalised_into_a_full_step()
    {
        // No loss gradient (c = 0): only the weight decay λ = 0.01 acts on w₀ = 1, lr η = 0.1.
        // AdamW (decoupled): w ← w(1 − ηλ), and the Adam part sees g = 0: w = 0.999, then 0.999² = 0.998001.
        // Adam with L2 (coupled): g = λw is normalised by √v̂ = |g|, so the first step is a full η:
        //   w₁ = 1 − 0.1 · 0.01/(0.01 + 1e-8) ≈ 0.9;
        //   g₁ = 0.01 w₁, m = 0.9·0.001 + 0.1·g₁, v = 0.999·1e-7 + 0.001·g₁²,
        //   w₂ = w₁ − 0.1 · (m/0.19) / (√(v/0.001999) + 1e-8) ≈ 0.80041: a hundred times the decay AdamW applies.
        var settings = new OptimizerSettings { LearningRate = 0.1, WeightDecay = 0.01 };
        var w1 = 1 - 0.1 * 0.01 / (0.01 + 1e-8);
        var g1 = 0.01 * w1;
        var m = 0.9 * (0.1 * 0.01) + 0.1 * g1;
        var v = 0.999 * (0.001 * 1e-4) + 0.001 * g1 * g1;
        var w2 = w1 - 0.1 * (m / (1 - 0.81)) / (Math.Sqrt(v / (1 - 0.999 * 0.999)) + 1e-8);
        Assert.That(w2, Is.EqualTo(0.80041).Within(1e-5), "the hand computation itself");
        foreach (var flat in new[] { true, false })
        {
            Assert.Multiple(() =>
            {
                Assert.That(TwoSteps("adamw", settings with { Flat = flat }, curvature: 0), Is.EqualTo(new[] { 0.999, 0.998001 }).Within(1e-12), $"AdamW, flat {flat}");
                Assert.That(TwoSteps("adam", settings with { Flat = flat }, curvature: 0), Is.EqualTo(new[] { w1, w2 }).Within(1e-12), $"Adam + L2, flat {flat}");
            });
        }
    }
}
