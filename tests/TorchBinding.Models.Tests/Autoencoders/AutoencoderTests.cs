using TorchBinding.Activations;
using TorchBinding.Data;
using TorchBinding.Models.Autoencoders;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Autoencoders;

public class AutoencoderTests
{
    [SetUp]
    public void Seed() => manual_seed(3);

    [Test]
    public void The_course_autoencoder_has_its_hand_counted_parameters_and_keeps_the_image_shape()
    {
        using var model = Autoencoder.Course();
        // Encoder 784·1000+1000 + 1000·500+500 + 500·250+250 + 250·2+2 = 785,000 + 500,500 + 125,250 + 502 = 1,411,252;
        // decoder 2·250+250 + 250·500+500 + 500·1000+1000 + 1000·784+784 = 750 + 125,500 + 501,000 + 784,784 = 1,412,034.
        Assert.That(model.ParameterCount(), Is.EqualTo(1_411_252 + 1_412_034).And.EqualTo(2_823_286));
        using var images = rand(5, 1, 28, 28);
        Assert.Multiple(() =>
        {
            Assert.That(model.Encode(images).shape, Is.EqualTo(new long[] { 5, 2 }));
            Assert.That(model.call(images).shape, Is.EqualTo(new long[] { 5, 1, 28, 28 }));
            Assert.That(model.call(images.reshape(5, 784)).shape, Is.EqualTo(new long[] { 5, 784 }));
            Assert.That(model.Decode(randn(3, 2)).shape, Is.EqualTo(new long[] { 3, 784 }));
            Assert.That(model.LatentSize, Is.EqualTo(2));
        });
    }

    [Test]
    public void Any_sizes_and_activations_and_a_decoder_of_its_own()
    {
        using var model = new Autoencoder(new AutoencoderOptions
        {
            EncoderSizes = [10, 6, 3], DecoderSizes = [3, 8, 10], Activation = Activation.Tanh, OutputActivation = Activation.Sigmoid,
        });
        // 10·6+6 + 6·3+3 = 87; 3·8+8 + 8·10+10 = 122.
        using var output = model.call(randn(4, 10));
        Assert.Multiple(() =>
        {
            Assert.That(model.ParameterCount(), Is.EqualTo(87 + 122));
            Assert.That(output.min().item<float>(), Is.GreaterThanOrEqualTo(0f), "sigmoid output");
            Assert.That(model.modules().OfType<TorchSharp.Modules.Tanh>().Count(), Is.EqualTo(2));
        });
    }

    [Test]
    public void Bad_configurations_and_inputs_are_refused_with_clear_messages()
    {
        using var model = new Autoencoder(new AutoencoderOptions { EncoderSizes = [10, 4] });
        Assert.Multiple(() =>
        {
            Assert.That(() => new Autoencoder(new AutoencoderOptions { EncoderSizes = [784, 100, 0] }),
                Throws.ArgumentException.With.Message.Contain("latent").And.Message.Contain("got 0"));
            Assert.That(() => new Autoencoder(new AutoencoderOptions { EncoderSizes = [10, 4], DecoderSizes = [5, 10] }),
                Throws.ArgumentException.With.Message.Contain("decoder starts at 5").And.Message.Contain("4"));
            Assert.That(() => model.call(randn(2, 12)), Throws.ArgumentException.With.Message.Contain("[N, 10]").And.Message.Contain("[2, 12]"));
            Assert.That(() => model.Decode(randn(2, 3)), Throws.ArgumentException.With.Message.Contain("[N, 4]").And.Message.Contain("[2, 3]"));
            Assert.That(() => new VariationalAutoencoder(new VariationalAutoencoderOptions { LatentSize = 0 }), Throws.ArgumentException.With.Message.Contain("latent size"));
            Assert.That(() => new ConvAutoencoder(new ConvAutoencoderOptions { LatentSize = 0 }), Throws.ArgumentException.With.Message.Contain("latent size"));
        });
    }

    [Test]
    public void The_conv_autoencoder_halves_and_doubles_and_refuses_other_image_sizes()
    {
        using var model = new ConvAutoencoder();
        using var grid = new ConvAutoencoder(new ConvAutoencoderOptions { LatentSize = null, Channels = [8, 4] });
        using var images = rand(3, 1, 28, 28);
        Assert.Multiple(() =>
        {
            Assert.That(model.Encode(images).shape, Is.EqualTo(new long[] { 3, 16 }));
            Assert.That(model.call(images).shape, Is.EqualTo(new long[] { 3, 1, 28, 28 }));
            Assert.That(grid.CodeShape, Is.EqualTo(new long[] { 4, 7, 7 }));
            Assert.That(grid.Encode(images).shape, Is.EqualTo(new long[] { 3, 4, 7, 7 }));
            Assert.That(grid.call(images).shape, Is.EqualTo(new long[] { 3, 1, 28, 28 }));
            // conv1 1·16·9+16 = 160, conv2 16·32·9+32 = 4,640, to_code 1568·16+16 = 25,104; from_code 16·1568+1568 = 26,656,
            // deconv1 32·16·9+16 = 4,624, deconv2 16·1·9+1 = 145.
            Assert.That(model.ParameterCount(), Is.EqualTo(160 + 4_640 + 25_104 + 26_656 + 4_624 + 145));
            Assert.That(() => model.call(rand(2, 1, 32, 32)), Throws.ArgumentException.With.Message.Contain("[N, 1, 28, 28]").And.Message.Contain("[2, 1, 32, 32]"));
            Assert.That(() => model.call(rand(2, 28, 28)), Throws.ArgumentException.With.Message.Contain("unsqueeze(1)"));
            Assert.That(() => model.Decode(randn(2, 8)), Throws.ArgumentException.With.Message.Contain("[N, 16]"));
            Assert.That(() => new ConvAutoencoder(new ConvAutoencoderOptions { ImageSize = (30, 30) }), Throws.ArgumentException.With.Message.Contain("multiples of 4").And.Message.Contain("30x30"));
        });
    }

    [Test]
    public void Noise_models_corrupt_as_described_and_are_seeded()
    {
        using var scope = NewDisposeScope();
        var clean = full(200, 1, 50, 50, 0.5f); // 500,000 values
        using var gaussian = NoiseModel.Gaussian(0.2, seed: 1);
        using var again = NoiseModel.Gaussian(0.2, seed: 1);
        using var masking = NoiseModel.Masking(0.3, seed: 2);
        using var saltAndPepper = NoiseModel.SaltAndPepper(0.2, seed: 3);
        var noisy = gaussian.Apply(clean);
        var masked = masking.Apply(clean);
        var salted = saltAndPepper.Apply(clean);
        double Fraction(Tensor t) => t.to(float64).mean().item<double>();
        Assert.Multiple(() =>
        {
            // Standard errors over 500,000 values: mean 0.2/√N ≈ 3e−4, fraction √(p(1−p)/N) ≈ 7e−4: bounds of ~10 s.e.
            Assert.That(Fraction(noisy - clean), Is.EqualTo(0).Within(3e-3));
            Assert.That((noisy - clean).std().item<float>(), Is.EqualTo(0.2).Within(3e-3));
            Assert.That(again.Apply(clean).equal(noisy).all().item<bool>(), Is.True, "same seed, same noise");
            Assert.That(Fraction(masked.eq(0)), Is.EqualTo(0.3).Within(7e-3));
            Assert.That(Fraction(masked.eq(0).logical_or(masked.eq(0.5f))), Is.EqualTo(1), "kept values are unchanged");
            Assert.That(Fraction(salted.eq(0)), Is.EqualTo(0.1).Within(5e-3));
            Assert.That(Fraction(salted.eq(1)), Is.EqualTo(0.1).Within(5e-3));
            Assert.That(Fraction(salted.eq(0.5f)), Is.EqualTo(0.8).Within(7e-3));
            Assert.That(NoiseModel.Gaussian(5, clamp: true, seed: 4).Apply(clean).max().item<float>(), Is.EqualTo(1f), "clamped to [0, 1]");
            Assert.That(noisy.shape, Is.EqualTo(clean.shape));
            Assert.That(() => NoiseModel.Masking(1.5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("[0, 1]"));
            Assert.That(() => masking.Apply(ones(3, dtype: int64)), Throws.ArgumentException.With.Message.Contain("floating-point"));
        });
    }

    [Test]
    public void The_denoising_step_scores_the_reconstruction_of_the_noisy_input_against_the_clean_one()
    {
        using var model = new Autoencoder(new AutoencoderOptions { EncoderSizes = [6, 3] });
        using var data = new InMemoryDataset(rand(8, 6), zeros(8, dtype: int64), "eight");
        var batch = new Batch(data.Inputs, data.Targets, 0); // not disposed: its tensors are the data set's
        var step = new AutoencoderStep(model, noise: NoiseModel.SaltAndPepper(0.5, seed: 9));
        using var twin = NoiseModel.SaltAndPepper(0.5, seed: 9);
        var loss = step.EvaluationStep(batch, null!).Loss.item<float>();
        using var expected = nn.functional.mse_loss(model.call(twin.Apply(data.Inputs)), data.Inputs);
        using var plain = nn.functional.mse_loss(model.call(data.Inputs), data.Inputs);
        Assert.Multiple(() =>
        {
            Assert.That(loss, Is.EqualTo(expected.item<float>()).Within(1e-6));
            Assert.That(Math.Abs(loss - plain.item<float>()), Is.GreaterThan(1e-3), "the noise was applied");
            Assert.That(new Trainer(step, Optim.Sgd(0.1), new TrainerOptions { Progress = false }).Evaluate(data)["loss"], Is.GreaterThan(0));
        });
    }

    [Test]
    public void A_linear_autoencoder_trained_with_mse_spans_the_principal_subspace()
    {
        // Points near a 2-D subspace of R⁶ (variances 9 and 4 in it, 0.01 off it): PCA's plane and the trained
        // linear AE's decoder columns must span the same plane. 300 epochs of Adam on 512 points takes ~2 s.
        manual_seed(12);
        var basis = linalg.qr(randn(6, 6, dtype: float64)).Q[.., ..2];
        var points = (randn(512, 2, dtype: float64) * tensor(new[] { 3.0, 2.0 })).matmul(basis.t()) + 0.1 * randn(512, 6, dtype: float64) + 1.0;
        using var data = new InMemoryDataset(points.to(float32), zeros(512, dtype: int64), "plane");
        using var model = new Autoencoder(new AutoencoderOptions { EncoderSizes = [6, 2], Activation = Activation.Identity });
        new Trainer(new AutoencoderStep(model), Optim.Adam(0.02),
            new TrainerOptions { Epochs = 300, BatchSize = 128, Seed = 1, Progress = false }).Fit(data);
        using var pca = Pca.Fit(points, 2);
        var decoder = model.modules().OfType<TorchSharp.Modules.Linear>().Last().weight!; // [6, 2]: its columns span the output plane
        var angles = Pca.PrincipalAngles(pca.Components.t(), decoder.detach());
        Assert.Multiple(() =>
        {
            Assert.That(angles, Has.Length.EqualTo(2));
            Assert.That(angles.Max(), Is.LessThan(1.0), string.Join(", ", angles));
            Assert.That(Pca.PrincipalAngles(basis, pca.Components.t()).Max(), Is.LessThan(2.0), "PCA finds the plane the points were drawn on");
            Assert.That(pca.ExplainedFraction, Is.GreaterThan(0.99));
        });
    }

    [Test]
    public void Principal_angles_of_known_subspaces()
    {
        var e = eye(4, dtype: float64);
        // span{e1, e2} against span{e1, cos30·e2 + sin30·e3}: angles 0° and 30°; against span{e3, e4}: 90°, 90°.
        var tilted = stack([e[0], e[1] * Math.Cos(Math.PI / 6) + e[2] * Math.Sin(Math.PI / 6)], 1);
        Assert.Multiple(() =>
        {
            Assert.That(Pca.PrincipalAngles(e[.., ..2], tilted), Is.EqualTo(new[] { 0.0, 30.0 }).Within(1e-9));
            Assert.That(Pca.PrincipalAngles(e[.., ..2], e[.., 2..]), Is.EqualTo(new[] { 90.0, 90.0 }).Within(1e-9));
            Assert.That(Pca.PrincipalAngles(e[.., ..2], e[.., ..2] * 5 + e[.., 1..3] * 0), Is.EqualTo(new[] { 0.0, 0.0 }).Within(1e-6), "any basis of the same plane");
            Assert.That(() => Pca.PrincipalAngles(e, eye(3)), Throws.ArgumentException.With.Message.Contain("[4, 4]").And.Message.Contain("[3, 3]"));
            Assert.That(() => Pca.Fit(randn(5, 3), 4), Throws.ArgumentException.With.Message.Contain("1..3"));
        });
    }
}
