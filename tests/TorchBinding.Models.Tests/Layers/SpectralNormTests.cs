using TorchBinding.Models.Generative;
using TorchBinding.Models.Layers;
using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Layers;

/// <summary>The spectrally normalised layer against a power iteration written out in doubles, and against the SVD.</summary>
public class SpectralNormTests
{
    [SetUp]
    public void Seed() => manual_seed(17);

    // One power-iteration step from (u, v) on W [m, n], then σ = uᵀWv, in plain doubles: the reference.
    static (double[] U, double[] V, double Sigma) ReferenceStep(double[,] w, double[] u)
    {
        var (m, n) = (w.GetLength(0), w.GetLength(1));
        var v = new double[n];
        for (var j = 0; j < n; j++)
            for (var i = 0; i < m; i++)
                v[j] += w[i, j] * u[i];
        Scale(v);
        var uNext = new double[m];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
                uNext[i] += w[i, j] * v[j];
        Scale(uNext);
        double sigma = 0;
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
                sigma += uNext[i] * w[i, j] * v[j];
        return (uNext, v, sigma);

        static void Scale(double[] x)
        {
            var norm = Math.Sqrt(x.Sum(e => e * e));
            for (var k = 0; k < x.Length; k++)
                x[k] /= norm;
        }
    }

    static double[,] Matrix(Tensor w)
    {
        var flat = w.detach().flatten(1).to(float64);
        var values = flat.data<double>().ToArray();
        var (m, n) = ((int)flat.shape[0], (int)flat.shape[1]);
        var result = new double[m, n];
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
                result[i, j] = values[i * n + j];
        return result;
    }

    [Test]
    public void A_training_pass_takes_one_power_iteration_step_and_divides_the_weight_by_its_estimate()
    {
        using var scope = NewDisposeScope();
        var linear = nn.Linear(7, 4, dtype: float64);
        var layer = new SpectralNorm(linear);
        var (expectedU, expectedV, sigma) = ReferenceStep(Matrix(linear.weight!), layer.LeftVector.data<double>().ToArray());
        var x = randn(3, 7, dtype: float64);

        layer.train();
        var y = layer.call(x);

        Assert.That(layer.LeftVector.data<double>().ToArray(), Is.EqualTo(expectedU).Within(1e-12));
        Assert.That(layer.RightVector.data<double>().ToArray(), Is.EqualTo(expectedV).Within(1e-12));
        var expected = nn.functional.linear(x, linear.weight! / sigma, linear.bias);
        Assert.That((y - expected).abs().max().item<double>(), Is.LessThan(1e-10));   // the norms' 1e-12 guard
        Assert.That(layer.SigmaEstimate, Is.EqualTo(sigma).Within(1e-10));
    }

    [Test]
    public void The_estimate_converges_to_the_largest_singular_value_and_the_normalised_weight_has_norm_one()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(3, 8, 3, padding: 1);
        var layer = new SpectralNorm(conv);
        layer.train();
        var images = randn(2, 3, 6, 6);
        for (var i = 0; i < 100; i++)
            layer.call(images);

        var largest = linalg.svdvals(conv.weight.detach().flatten(1))[0].item<float>();
        Assert.That(layer.SigmaEstimate, Is.EqualTo(largest).Within(1e-4 * largest));
        using var normalised = layer.NormalizedWeight(refine: false);
        Assert.That(linalg.svdvals(normalised.detach().flatten(1))[0].item<float>(), Is.EqualTo(1).Within(1e-4));
    }

    [Test]
    public void Evaluation_mode_freezes_the_vectors_and_keeps_the_convolution_settings()
    {
        using var scope = NewDisposeScope();
        var conv = nn.Conv2d(2, 5, 4, stride: 2, padding: 1);
        var layer = new SpectralNorm(conv);
        layer.eval();
        var (u, v) = (layer.LeftVector, layer.RightVector);
        var images = randn(3, 2, 8, 8);

        var first = layer.call(images);
        var second = layer.call(images);

        Assert.That(layer.LeftVector.allclose(u, rtol: 0, atol: 0) && layer.RightVector.allclose(v, rtol: 0, atol: 0), Is.True, "the vectors moved in evaluation mode");
        Assert.That(first.shape, Is.EqualTo(new long[] { 3, 5, 4, 4 }));
        Assert.That(first.allclose(second, rtol: 0, atol: 0), Is.True);
        var sigma = layer.SigmaEstimate;
        var expected = nn.functional.conv2d(images, conv.weight / sigma, conv.bias, strides: [2, 2], padding: [1, 1]);
        Assert.That((first - expected).abs().max().item<float>(), Is.LessThan(1e-5));
    }

    [Test]
    public void Gradients_reach_the_weight_through_sigma_as_finite_differences_say()
    {
        using var scope = NewDisposeScope();
        var linear = nn.Linear(5, 3, dtype: float64);
        var layer = new SpectralNorm(linear);
        layer.eval();                         // u and v fixed, so the loss is a function of W alone
        var x = randn(4, 5, dtype: float64);
        double Loss() => layer.call(x).square().sum().item<double>();

        layer.call(x).square().sum().backward();
        var analytic = linear.weight!.grad!.clone();
        const double h = 1e-6;
        for (var (i, j) = (0, 0); i < 3; i++, j = (j + 2) % 5)
        {
            double At(double delta)
            {
                using (no_grad())
                    linear.weight![i, j].add_(delta);
                var loss = Loss();
                using (no_grad())
                    linear.weight![i, j].sub_(delta);
                return loss;
            }
            var numeric = (At(h) - At(-h)) / (2 * h);
            Assert.That(analytic[i, j].item<double>(), Is.EqualTo(numeric).Within(1e-6 * Math.Max(1, Math.Abs(numeric))), $"dL/dW[{i},{j}]");
        }
    }

    [Test]
    public void Under_autocast_the_layer_computes_in_bf16_and_the_estimate_stays_float32()
    {
        if (!Autocast.IsAvailable)
            Assert.Ignore("this libtorch has no autocast");
        using var scope = NewDisposeScope();
        var layer = new SpectralNorm(nn.Conv2d(1, 4, 3));
        layer.train();
        Tensor output;
        using (Autocast.Enable(DeviceType.CPU))
            output = layer.call(randn(2, 1, 8, 8));
        Assert.That(output.dtype, Is.EqualTo(ScalarType.BFloat16));
        Assert.That(layer.LeftVector.dtype, Is.EqualTo(ScalarType.Float32));
        Assert.That(layer.SigmaEstimate, Is.GreaterThan(0));
    }

    [Test]
    public void The_vectors_are_buffers_saved_with_the_model()
    {
        using var scope = NewDisposeScope();
        var layer = new SpectralNorm(nn.Linear(6, 2));
        var state = layer.state_dict();
        Assert.That(state.Keys, Is.EquivalentTo(new[] { "layer.weight", "layer.bias", "u", "v" }));
        Assert.That(layer.parameters().Count(), Is.EqualTo(2), "u and v are not learned");
        Assert.That(state["v"].shape, Is.EqualTo(new long[] { 6 }));
    }

    [Test]
    public void Unsupported_layers_and_settings_are_refused_by_name()
    {
        Assert.That(() => new SpectralNorm(nn.ConvTranspose2d(2, 2, 3)), Throws.ArgumentException.With.Message.Contain("Linear or Conv2d").And.Message.Contain("ConvTranspose2d"));
        Assert.That(() => new SpectralNorm(nn.Conv2d(2, 2, 3, padding: 1, padding_mode: PaddingModes.Reflect)), Throws.ArgumentException.With.Message.Contain("zero padding"));
        Assert.That(() => new SpectralNorm(nn.Linear(2, 2), powerIterations: 0), Throws.ArgumentException.With.Message.Contain("power iteration"));
    }

    [Test]
    public void A_dcgan_discriminator_with_spectral_norm_has_no_batch_norm_and_trains()
    {
        using var scope = NewDisposeScope();
        var options = new DcganOptions { Width = 8, SpectralNorm = true, Conditioning = new LabelConditioning(10, ClassEncoding.OneHot) };
        var discriminator = new DcganDiscriminator(options);
        var names = discriminator.state_dict().Keys.ToList();
        Assert.That(names, Does.Contain("conv1.layer.weight").And.Contain("conv2.u").And.Contain("head.v"));
        Assert.That(names.Any(n => n.StartsWith("bn2", StringComparison.Ordinal)), Is.False);

        var gan = new Gan(new DcganGenerator(options with { SpectralNorm = false }), discriminator);
        var recipes = Gan.OptimizerRecipes(1e-4, discriminatorLearningRate: 4e-4);
        Assert.That(recipes.Select(r => r.Settings.LearningRate), Is.EqualTo(new[] { 4e-4, 1e-4 }), "the discriminator's first, at its own rate");
        var trainer = new Training.Trainer(new GanStep(gan), recipes, new Training.TrainerOptions { Epochs = 1, BatchSize = 16, Seed = 3, Progress = false });
        using var data = new Data.InMemoryDataset(rand(64, 1, 28, 28) * 2 - 1, arange(64, dtype: int64) % 10, "noise images");
        var history = trainer.Fit(data);
        Assert.That(history.Epochs[^1]["train_d_loss"], Is.Positive.And.LessThan(10));
        Assert.That(((SpectralNorm)discriminator.named_modules().Single(m => m.name == "conv2").module).SigmaEstimate, Is.Positive);
    }
}
