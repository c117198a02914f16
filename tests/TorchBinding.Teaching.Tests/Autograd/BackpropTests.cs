using TorchBinding.Activations;
using TorchBinding.Runtime;
using TorchBinding.Teaching.Autograd;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Teaching.Tests.Autograd;

/// <summary>
/// Fausett's hand-written backpropagation (<see cref="BackpropNetwork"/>, no autograd) against TorchSharp's autograd on
/// an equivalent <c>Sequential</c> holding the same weights: gradients equal to 1e-10 in float64, for 1 to 3 hidden
/// layers, several activations, one sample or a mini-batch summed or averaged.
/// </summary>
public class BackpropTests
{
    const double Tolerance = 1e-10;

    public enum Batch { OneSample, SummedBatch, AveragedBatch }

    [SetUp]
    public void Start() => TorchRuntime.EnsureInitialized();

    static double MaxAbs(Tensor t) => t.abs().max().item<double>();

    static int[] Sizes(int hidden) => [3, .. new[] { 5, 4, 3 }.Take(hidden), 2];

    static (Tensor X, Tensor T) Data(int samples, int inputs, int outputs, int seed)
    {
        var generator = new Generator((ulong)seed);
        return (randn(samples, inputs, dtype: float64, generator: generator), rand(samples, outputs, dtype: float64, generator: generator));
    }

    /// <summary>∂E/∂W and ∂E/∂b of the Sequential's Linear layers by autograd, with E = ½Σ(t − y)² summed or averaged over the samples.</summary>
    static (Tensor[] Weights, Tensor[] Biases, double Loss) Autograd(Sequential model, Tensor x, Tensor t, BatchReduction reduction)
    {
        var linears = model.modules().OfType<Linear>().ToArray();
        var y = model.call(x);
        var e = 0.5 * (t - y).square().sum();
        if (reduction == BatchReduction.Mean)
            e = e / x.shape[0];
        Tensor[] parameters = [.. linears.SelectMany(l => new Tensor[] { l.weight!, l.bias! })];
        var grads = torch.autograd.grad([e], parameters);
        return ([.. Enumerable.Range(0, linears.Length).Select(l => grads[2 * l].t())], [.. Enumerable.Range(0, linears.Length).Select(l => grads[2 * l + 1])], e.item<double>());
    }

    static void AssertSameGradients(BackpropNetwork network, Tensor x, Tensor t, BatchReduction reduction)
    {
        using var scope = NewDisposeScope();
        using var model = network.ToSequential();
        using var gradients = network.ComputeGradients(x, t, reduction);
        var (weights, biases, loss) = Autograd(model, x, t, reduction);
        Assert.Multiple(() =>
        {
            Assert.That(gradients.Loss, Is.EqualTo(loss).Within(Tolerance * Math.Max(1, loss)), "E");
            for (var l = 0; l < network.LayerCount; l++)
            {
                Assert.That(gradients.Weights[l].shape, Is.EqualTo(network.Weights[l].shape), $"layout of ∂E/∂W{l + 1}");
                Assert.That(MaxAbs(gradients.Weights[l] - weights[l]), Is.LessThan(Tolerance), $"∂E/∂W{l + 1}");
                Assert.That(MaxAbs(gradients.Biases[l] - biases[l]), Is.LessThan(Tolerance), $"∂E/∂b{l + 1}");
            }
        });
    }

    static IEnumerable<TestCaseData> Cases()
    {
        foreach (var hidden in new[] { 1, 2, 3 })
            foreach (var activation in new[] { Activation.Sigmoid, Activation.Tanh, Activation.ELU })
                foreach (var batch in Enum.GetValues<Batch>())
                    yield return new TestCaseData(hidden, activation, batch);
    }

    [TestCaseSource(nameof(Cases))]
    public void Gradients_equal_autograd(int hidden, Activation activation, Batch batch)
    {
        using var network = new BackpropNetwork(Sizes(hidden), activation, seed: 100 + hidden);
        var (x, t) = Data(batch == Batch.OneSample ? 1 : 6, 3, 2, seed: hidden * 10 + (int)activation);
        AssertSameGradients(network, x, t, batch == Batch.AveragedBatch ? BatchReduction.Mean : BatchReduction.Sum);
    }

    [TestCase(Activation.GELU, Activation.LeakyReLU, Activation.Softmax)]
    [TestCase(Activation.SiLU, Activation.SoftPlus, Activation.Identity)]
    [TestCase(Activation.PReLU, Activation.ArcTan, Activation.Sigmoid)]
    [TestCase(Activation.ReLU, Activation.Tanh, Activation.Softmax)]
    public void Gradients_equal_autograd_with_an_activation_per_layer(Activation first, Activation second, Activation output)
    {
        using var network = new BackpropNetwork([3, 5, 4, 3], [first, second, output], seed: 7, initRange: 1.0);
        var (x, t) = Data(5, 3, 3, seed: 3);
        AssertSameGradients(network, x, t, BatchReduction.Sum);
        AssertSameGradients(network, x[0], t[0], BatchReduction.Sum);
    }

    [Test]
    public void The_update_is_a_gradient_descent_step_like_SGD_on_the_Sequential()
    {
        using var scope = NewDisposeScope();
        using var network = new BackpropNetwork([3, 4, 2], Activation.Tanh, seed: 5);
        using var model = network.ToSequential();
        var (x, t) = Data(4, 3, 2, seed: 9);
        const double rate = 0.3;

        network.TrainStep(x, t, rate, BatchReduction.Mean);

        using var sgd = torch.optim.SGD(model.parameters(), rate);
        var y = model.call(x);
        var e = 0.5 * (t - y).square().sum() / 4;
        e.backward();
        sgd.step();

        using var after = BackpropNetwork.FromSequential(model);
        for (var l = 0; l < network.LayerCount; l++)
        {
            Assert.That(MaxAbs(after.Weights[l] - network.Weights[l]), Is.LessThan(Tolerance));
            Assert.That(MaxAbs(after.Biases[l] - network.Biases[l]), Is.LessThan(Tolerance));
        }
    }

    [Test]
    public void One_step_by_hand_with_Fausetts_formulas()
    {
        // A 2-2-1 binary-sigmoid net, one training pair, the steps written out with doubles as in the lecture.
        using var scope = NewDisposeScope();
        using var network = new BackpropNetwork([2, 2, 1], Activation.Sigmoid, seed: 1);
        double[,] v = To2D(network.Weights[0]);
        double[] v0 = network.Biases[0].data<double>().ToArray();
        double[] w = network.Weights[1].data<double>().ToArray();    // [2, 1] row by row: w_1, w_2
        double w0 = network.Biases[1].item<double>();
        double[] x = [1, 0];
        const double target = 1, alpha = 0.25;
        static double F(double s) => 1 / (1 + Math.Exp(-s));

        // Step 4: hidden units.
        var zIn = new double[2];
        var z = new double[2];
        for (var j = 0; j < 2; j++)
        {
            zIn[j] = v0[j] + x[0] * v[0, j] + x[1] * v[1, j];
            z[j] = F(zIn[j]);
        }
        // Step 5: output unit.
        var yIn = w0 + z[0] * w[0] + z[1] * w[1];
        var y = F(yIn);
        // Step 6: output error term and corrections.
        var deltaK = (target - y) * F(yIn) * (1 - F(yIn));
        var dw = new[] { alpha * deltaK * z[0], alpha * deltaK * z[1] };
        var dw0 = alpha * deltaK;
        // Step 7: hidden error terms and corrections.
        var deltaJ = new double[2];
        var dv = new double[2, 2];
        var dv0 = new double[2];
        for (var j = 0; j < 2; j++)
        {
            var deltaIn = deltaK * w[j];
            deltaJ[j] = deltaIn * F(zIn[j]) * (1 - F(zIn[j]));
            for (var i = 0; i < 2; i++)
                dv[i, j] = alpha * deltaJ[j] * x[i];
            dv0[j] = alpha * deltaJ[j];
        }

        var inputs = tensor(x, float64);
        var targets = tensor(new[] { target }, float64);
        using (var g = network.ComputeGradients(inputs, targets))
        {
            Assert.Multiple(() =>
            {
                Assert.That(g.Deltas[1].item<double>(), Is.EqualTo(deltaK).Within(1e-15), "δ_k");
                Assert.That(g.Deltas[0].data<double>().ToArray(), Is.EqualTo(deltaJ).Within(1e-15), "δ_j");
                Assert.That(g.Loss, Is.EqualTo(0.5 * (target - y) * (target - y)).Within(1e-15));
            });
        }

        // Step 8: w_new = w_old + Δw.
        network.TrainStep(inputs, targets, alpha);
        Assert.Multiple(() =>
        {
            var vNew = To2D(network.Weights[0]);
            for (var i = 0; i < 2; i++)
                for (var j = 0; j < 2; j++)
                    Assert.That(vNew[i, j], Is.EqualTo(v[i, j] + dv[i, j]).Within(1e-15), $"v_{i + 1}{j + 1}");
            Assert.That(network.Biases[0].data<double>().ToArray(), Is.EqualTo(new[] { v0[0] + dv0[0], v0[1] + dv0[1] }).Within(1e-15), "v_0j");
            Assert.That(network.Weights[1].data<double>().ToArray(), Is.EqualTo(new[] { w[0] + dw[0], w[1] + dw[1] }).Within(1e-15), "w_jk");
            Assert.That(network.Biases[1].item<double>(), Is.EqualTo(w0 + dw0).Within(1e-15), "w_0k");
        });
    }

    static double[,] To2D(Tensor t)
    {
        var flat = t.data<double>().ToArray();
        var result = new double[t.shape[0], t.shape[1]];
        for (var i = 0; i < result.GetLength(0); i++)
            for (var j = 0; j < result.GetLength(1); j++)
                result[i, j] = flat[i * result.GetLength(1) + j];
        return result;
    }

    [Test]
    public void Online_epoch_equals_one_update_per_sample_in_order()
    {
        using var scope = NewDisposeScope();
        var (x, t) = Data(5, 3, 2, seed: 21);
        using var online = new BackpropNetwork([3, 4, 2], Activation.Sigmoid, seed: 8);
        using var byHand = new BackpropNetwork([3, 4, 2], Activation.Sigmoid, seed: 8);
        var epochError = online.TrainEpoch(x, t, 0.5);
        var errors = new List<double>();
        for (var n = 0; n < 5; n++)
            errors.Add(byHand.TrainStep(x[n], t[n], 0.5));
        Assert.Multiple(() =>
        {
            Assert.That(epochError, Is.EqualTo(errors.Average()).Within(1e-15));
            for (var l = 0; l < 2; l++)
                Assert.That(MaxAbs(online.Weights[l] - byHand.Weights[l]), Is.EqualTo(0.0));
        });
    }

    [Test]
    public void A_summed_batch_adds_the_per_sample_gradients_and_a_mean_batch_averages_them()
    {
        using var scope = NewDisposeScope();
        var (x, t) = Data(4, 3, 2, seed: 4);
        using var network = new BackpropNetwork([3, 3, 2], Activation.Tanh, seed: 2);
        using var summed = network.ComputeGradients(x, t, BatchReduction.Sum);
        using var averaged = network.ComputeGradients(x, t, BatchReduction.Mean);
        var perSample = Enumerable.Range(0, 4).Select(n => network.ComputeGradients(x[n], t[n])).ToArray();
        var total = perSample.Select(g => g.Weights[0]).Aggregate((a, b) => a + b);
        Assert.Multiple(() =>
        {
            Assert.That(MaxAbs(summed.Weights[0] - total), Is.LessThan(1e-14));
            Assert.That(MaxAbs(averaged.Weights[0] - total / 4), Is.LessThan(1e-14));
            Assert.That(summed.Loss, Is.EqualTo(perSample.Sum(g => g.Loss)).Within(1e-14));
            Assert.That(averaged.Loss, Is.EqualTo(summed.Loss / 4).Within(1e-14));
            Assert.That(summed.Deltas[1].shape, Is.EqualTo(new long[] { 4, 2 }), "δ per sample, [N, units]");
        });
        foreach (var g in perSample)
            g.Dispose();
    }

    [Test]
    public void Sequential_round_trip_keeps_weights_and_outputs()
    {
        using var scope = NewDisposeScope();
        using var network = new BackpropNetwork([2, 3, 3, 1], [Activation.Tanh, Activation.LeakyReLU, Activation.Sigmoid], seed: 4);
        using var model = network.ToSequential();
        using var back = BackpropNetwork.FromSequential(model);
        var (x, _) = Data(6, 2, 1, seed: 1);
        Assert.Multiple(() =>
        {
            Assert.That(back.LayerSizes, Is.EqualTo(new[] { 2, 3, 3, 1 }));
            Assert.That(back.Activations, Is.EqualTo(network.Activations));
            Assert.That(MaxAbs(model.call(x).detach() - network.Predict(x)), Is.LessThan(1e-15), "the same function");
            Assert.That(MaxAbs(back.Predict(x) - network.Predict(x)), Is.EqualTo(0.0));
            Assert.That(model.modules().OfType<Linear>().First().weight!.shape, Is.EqualTo(new long[] { 3, 2 }), "Linear stores Wᵀ");
            Assert.That(network.ToString(), Is.EqualTo("2-3-3-1 (tanh, leakyrelu, sigmoid)"));
        });

        // Copy an independently initialised model's weights in, and back out.
        using var other = nn.Sequential(("a", nn.Linear(2, 3, dtype: float64)), ("b", nn.Tanh()), ("c", nn.Linear(3, 3, dtype: float64)), ("d", nn.LeakyReLU(0.01)), ("e", nn.Linear(3, 1, dtype: float64)), ("f", nn.Sigmoid()));
        network.CopyFrom(other);
        Assert.That(MaxAbs(other.call(x).detach() - network.Predict(x)), Is.LessThan(1e-15));
    }

    [Test]
    public void A_Linear_without_activation_is_the_identity()
    {
        using var model = nn.Sequential(("h", nn.Linear(2, 3)), ("relu", nn.ReLU()), ("out", nn.Linear(3, 2)));
        using var network = BackpropNetwork.FromSequential(model);
        Assert.That(network.Activations, Is.EqualTo(new[] { Activation.ReLU, Activation.Identity }));
    }

    [Test]
    public void A_step_network_learns_only_with_a_surrogate()
    {
        using var scope = NewDisposeScope();
        var (x, t) = Data(4, 3, 1, seed: 2);
        using var network = new BackpropNetwork([3, 4, 1], [Activation.BinaryStep, Activation.Sigmoid], seed: 3);
        using (var none = network.ComputeGradients(x, t))
            Assert.That(MaxAbs(none.Weights[0]), Is.EqualTo(0.0), "no gradient passes a step");
        network.StepSurrogate = StepSurrogate.Identity;
        using (var straightThrough = network.ComputeGradients(x, t))
            Assert.That(MaxAbs(straightThrough.Weights[0]), Is.GreaterThan(0.0));
    }

    [Test]
    public void Bad_shapes_and_settings_are_argument_exceptions()
    {
        using var scope = NewDisposeScope();
        using var network = new BackpropNetwork([2, 3, 1], seed: 1);
        Assert.Multiple(() =>
        {
            Assert.That(() => network.Predict(zeros(4, 3)), Throws.ArgumentException.With.Message.Contains("[N, 2]").And.Message.Contains("[4, 3]"));
            Assert.That(() => network.ComputeGradients(zeros(4, 2), zeros(3, 1)), Throws.ArgumentException.With.Message.Contains("[4, 1]").And.Message.Contains("[3, 1]"));
            Assert.That(() => network.TrainStep(zeros(4, 2), zeros(4), 0), Throws.ArgumentException.With.Message.Contains("learning rate"));
            Assert.That(() => new BackpropNetwork([2]), Throws.ArgumentException.With.Message.Contains("at least an input and an output"));
            Assert.That(() => new BackpropNetwork([2, 3, 1], [Activation.Tanh]), Throws.ArgumentException.With.Message.Contains("2 activations"));
            Assert.That(() => network.CopyTo(nn.Sequential(("a", nn.Linear(2, 3)))), Throws.ArgumentException.With.Message.Contains("1 Linear layers"));
            Assert.That(() => BackpropNetwork.FromSequential(nn.Sequential(("a", nn.Linear(2, 3)), ("d", nn.Dropout()))), Throws.ArgumentException.With.Message.Contains("Dropout"));
            Assert.That(() => BackpropNetwork.FromSequential(nn.Sequential(("a", nn.Linear(2, 3)), ("b", nn.Linear(4, 1)))), Throws.ArgumentException.With.Message.Contains("takes 4 inputs"));
        });
    }

    [Test]
    public void Initial_weights_are_seeded_and_in_range()
    {
        using var a = new BackpropNetwork([2, 4, 1], seed: 42);
        using var b = new BackpropNetwork([2, 4, 1], seed: 42);
        using var c = new BackpropNetwork([2, 4, 1], seed: 43);
        Assert.Multiple(() =>
        {
            Assert.That(MaxAbs(a.Weights[0] - b.Weights[0]), Is.EqualTo(0.0));
            Assert.That(MaxAbs(a.Weights[0] - c.Weights[0]), Is.GreaterThan(0.0));
            Assert.That(a.Weights.Concat(a.Biases).All(t => MaxAbs(t) <= 0.5));
            Assert.That(a.Weights[0].shape, Is.EqualTo(new long[] { 2, 4 }));
            Assert.That(a.Biases[0].shape, Is.EqualTo(new long[] { 4 }));
            Assert.That(a.Weights[0].dtype, Is.EqualTo(ScalarType.Float64));
        });
    }
}
