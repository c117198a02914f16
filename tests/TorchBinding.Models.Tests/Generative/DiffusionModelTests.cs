using TorchBinding.Data;
using TorchBinding.Models.Generative;
using TorchBinding.Training;
using static TorchBinding.Models.Tests.ModelAssertions;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Generative;

public class DiffusionModelTests
{
    [SetUp]
    public void Seed() => manual_seed(17);

    [Test]
    public void The_sinusoidal_embedding_is_sines_then_cosines_of_geometric_frequencies()
    {
        var embedding = new SinusoidalTimeEmbedding(8, maxPeriod: 10_000);
        var e = embedding.call(tensor(new long[] { 0, 5 }));
        Assert.Multiple(() =>
        {
            Assert.That(e.shape, Is.EqualTo(new long[] { 2, 8 }));
            // ω_i = 10000^(−i/4): 1, 0.1, 0.01, 0.001.
            for (var i = 0; i < 4; i++)
            {
                var omega = Math.Pow(10_000, -i / 4.0);
                Assert.That(e[0, i].item<float>(), Is.EqualTo(0).Within(1e-7), "sin(0)");
                Assert.That(e[0, 4 + i].item<float>(), Is.EqualTo(1).Within(1e-7), "cos(0)");
                Assert.That(e[1, i].item<float>(), Is.EqualTo(Math.Sin(5 * omega)).Within(1e-6));
                Assert.That(e[1, 4 + i].item<float>(), Is.EqualTo(Math.Cos(5 * omega)).Within(1e-6));
            }
            Assert.That(() => new SinusoidalTimeEmbedding(7), Throws.ArgumentException.With.Message.Contain("even"));
            Assert.That(() => embedding.call(zeros(2, 1)), Throws.ArgumentException.With.Message.Contain("one step per sample [N], got [2, 1]"));
        });
    }

    [Test]
    public void The_course_diffusion_mlp_has_its_parameters_and_sees_the_scaled_time()
    {
        var model = new DiffusionMlp();
        Assert.That(model.ParameterCount(), Is.EqualTo(132_609));
        // Its MLP sees [x, t/49 − 0.5]: feeding that by hand gives the same output.
        var x = randn(3, 1);
        var t = tensor(new long[] { 0, 24, 49 });
        var mlp = (Mlp)model.named_children().Single(c => c.name == "mlp").module;
        var byHand = mlp.call(cat([x, tensor(new[] { -0.5f, 24 / 49f - 0.5f, 0.5f }).reshape(3, 1)], 1));
        Assert.That(model.PredictNoise(x, t).allclose(byHand), Is.True);
        Assert.That(() => model.PredictNoise(randn(3, 2), t), Throws.ArgumentException.With.Message.StartWith("diffusion_mlp expects samples [N, 1], got [3, 2]."));
        Assert.That(() => model.PredictNoise(x, t, tensor(new long[] { 0, 0, 0 })), Throws.ArgumentException.With.Message.Contain("unconditional"));
    }

    [Test]
    public void Steps_outside_zero_to_t_are_refused_naming_the_step_and_t()
    {
        // T = 50: the scaled time of step 999 would be 19.9 instead of at most 0.5, and the network answers nonsense.
        var mlp = new DiffusionMlp(new DiffusionMlpOptions { Steps = 50, HiddenSizes = [8] });
        var x = randn(3, 1);
        var ddpm = new Ddpm(new DdpmOptions { Steps = 10 });
        var mixture = new GaussianMixtureNoisePredictor(ddpm, [1.0], [[0.0]], [1.0]);
        var unet = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 4, EmbeddingSize = 8, Steps = 100 });
        var images = randn(2, 1, 28, 28);
        Assert.Multiple(() =>
        {
            Assert.That(mlp.PredictNoise(x, tensor(new long[] { 0, 25, 49 })).shape, Is.EqualTo(new long[] { 3, 1 }), "0..T−1 is fine");
            Assert.That(() => mlp.PredictNoise(x, tensor(new long[] { 0, 50, 999 })),
                Throws.ArgumentException.With.Message.StartWith("diffusion_mlp: step 50 is outside 0..T−1 = 0..49 (T = 50, DiffusionMlpOptions.Steps)"));
            Assert.That(() => mlp.PredictNoise(x, tensor(new long[] { -1, 0, 0 })), Throws.ArgumentException.With.Message.Contain("step -1 is outside 0..T−1 = 0..49"));
            Assert.That(() => mlp.PredictNoise(x, tensor(new[] { 0.5f, 1, 2 })), Throws.ArgumentException.With.Message.StartWith("diffusion_mlp expects integer steps, got Float32"));
            // A model built for T = 50 trained with a DDPM of T = 1000 is refused at its first step, naming both.
            Assert.That(() => new Ddpm(new DdpmOptions { Steps = 1000 }).Sample(mlp, 2),
                Throws.ArgumentException.With.Message.Contain("step 999 is outside 0..T−1 = 0..49 (T = 50"));
            Assert.That(() => mixture.PredictNoise(randn(2, 1), tensor(new long[] { 3, 10 })),
                Throws.ArgumentException.With.Message.StartWith("GaussianMixtureNoisePredictor: step 10 is outside 0..T−1 = 0..9 (T = 10, the steps of its Ddpm)"));
            Assert.That(unet.PredictNoise(images, tensor(new long[] { 0, 99 })).shape, Is.EqualTo(new long[] { 2, 1, 28, 28 }));
            Assert.That(() => unet.PredictNoise(images, tensor(new long[] { 0, 100 })),
                Throws.ArgumentException.With.Message.StartWith("diffusion_unet: step 100 is outside 0..T−1 = 0..99 (T = 100, DiffusionUNetOptions.Steps)"));
            // Without Steps the U-Net knows no T, but a negative step is still refused.
            Assert.That(() => new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 4, EmbeddingSize = 8 }).PredictNoise(images, tensor(new long[] { -3, 0 })),
                Throws.ArgumentException.With.Message.StartWith("diffusion_unet: step -3 is negative"));
            Assert.That(() => new DiffusionUNet(new DiffusionUNetOptions { Steps = 0 }), Throws.ArgumentException.With.Message.Contain("Steps (T) must be at least 1"));
        });
    }

    [Test]
    public void The_diffusion_unet_predicts_noise_of_the_image_shape_conditioned_on_time_and_class()
    {
        var model = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 8, EmbeddingSize = 16, Classes = 10 });
        model.eval();
        var x = randn(1, 1, 28, 28).expand(3, -1, -1, -1);
        var e = model.PredictNoise(x, tensor(new long[] { 5, 500, 5 }), tensor(new long[] { 1, 1, 2 }));
        var unconditional = model.PredictNoise(x, tensor(new long[] { 5, 5, 5 }));
        Assert.Multiple(() =>
        {
            Assert.That(e.shape, Is.EqualTo(new long[] { 3, 1, 28, 28 }));
            Assert.That((e[0] - e[1]).abs().max().item<float>(), Is.GreaterThan(1e-5f), "the step matters");
            Assert.That((e[0] - e[2]).abs().max().item<float>(), Is.GreaterThan(1e-5f), "the class matters");
            Assert.That((e[0] - unconditional[0]).abs().max().item<float>(), Is.GreaterThan(1e-5f), "no class is a class of its own");
            Assert.That(model.SampleShape, Is.EqualTo(new long[] { 1, 28, 28 }));
            Assert.That(() => model.PredictNoise(x, tensor(new long[] { 5, 5, 5 }), tensor(new long[] { 1, 11, 2 })),
                Throws.ArgumentException.With.Message.StartWith("diffusion_unet: label 11 is out of range for 11 classes"));
            Assert.That(() => new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 8 }).PredictNoise(x, tensor(new long[] { 5, 5, 5 }), tensor(new long[] { 1, 1, 2 })),
                Throws.ArgumentException.With.Message.Contain("unconditional"));
            Assert.That(() => model.PredictNoise(x, tensor(new long[] { 5, 5 })), Throws.ArgumentException.With.Message.Contain("one step per sample"));
            // Depth 3 on 28x28: padded to 32 inside, cropped back.
            var deep = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 4, EmbeddingSize = 8, Depth = 3 });
            Assert.That(deep.PredictNoise(randn(2, 1, 28, 28), tensor(new long[] { 1, 2 })).shape, Is.EqualTo(new long[] { 2, 1, 28, 28 }));
            Assert.That(() => deep.PredictNoise(randn(2, 1, 30, 30), tensor(new long[] { 1, 2 })), Throws.ArgumentException.With.Message.Contain("divisible by 2^3 = 8"));
            Assert.That(() => new DiffusionUNet(new DiffusionUNetOptions { Depth = 0 }), Throws.ArgumentException.With.Message.Contain("Depth between 1 and 8"));
        });
    }

    [Test]
    public void Gradients_reach_every_parameter_of_the_conditional_diffusion_unet()
    {
        var model = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 8, EmbeddingSize = 16, Classes = 10 });
        var ddpm = new Ddpm(new DdpmOptions { Steps = 100 });
        ddpm.Loss(model, randn(4, 1, 28, 28), tensor(new long[] { 0, 1, 2, 3 }), labelDropout: 0.5).backward();
        Assert.Multiple(() =>
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (name == "labels.weight")
                    continue; // only the rows of the labels drawn get a gradient
                Assert.That(p.grad is { } g && g.abs().max().item<float>() > 0, Is.True, $"{name} gets a gradient");
            }
        });
    }

    [Test]
    public void A_conditioned_unet_adds_the_condition_in_every_block_and_the_plain_unet_keeps_its_layers()
    {
        // The state dict of the plain U-Net is the one it had before conditioning existed (92 entries, in this order).
        var plain = new UNet(inChannels: 1, classes: 4);
        Assert.That(plain.state_dict().Keys, Has.Count.EqualTo(92));
        Assert.That(plain.state_dict().Keys.Where(k => k.StartsWith("enc1.", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "enc1.conv1.weight", "enc1.bn1.weight", "enc1.bn1.bias", "enc1.conv2.weight", "enc1.bn2.weight", "enc1.bn2.bias",
            "enc1.bn1.running_mean", "enc1.bn1.running_var", "enc1.bn1.num_batches_tracked", "enc1.bn2.running_mean", "enc1.bn2.running_var", "enc1.bn2.num_batches_tracked",
        }));
        var conditioned = new UNet(new UNetOptions { Classes = 1, Depth = 2, BaseWidth = 8, Normalization = UNetNormalization.GroupNorm, ConditionSize = 6 });
        var blocks = conditioned.named_children().Select(c => c.module).OfType<DoubleConv>().ToList();
        Assert.Multiple(() =>
        {
            Assert.That(blocks, Has.Count.EqualTo(5));
            Assert.That(blocks.Select(b => b.ConditionSize), Has.All.EqualTo(6));
            Assert.That(conditioned.state_dict().Keys.Where(k => k.StartsWith("enc1.", StringComparison.Ordinal)), Is.EqualTo(new[]
            {
                "enc1.conv1.weight", "enc1.gn1.weight", "enc1.gn1.bias", "enc1.conv2.weight", "enc1.gn2.weight", "enc1.gn2.bias", "enc1.condition.weight", "enc1.condition.bias",
            }));
            // TorchSharp 0.107 leaves nn.GroupNorm's γ and β uninitialised; the blocks set them as PyTorch does.
            var norm = conditioned.Layer<GroupNorm>("dec1.gn2");
            Assert.That(norm.weight!.allclose(ones(8), rtol: 0, atol: 0) && norm.bias!.allclose(zeros(8), rtol: 0, atol: 0), Is.True, "γ = 1, β = 0");
            // Each block adds a linear map 6 → out channels: 6·out + out parameters on top of the plain U-Net.
            var unconditioned = new UNet(new UNetOptions { Classes = 1, Depth = 2, BaseWidth = 8, Normalization = UNetNormalization.GroupNorm });
            Assert.That(conditioned.ParameterCount() - unconditioned.ParameterCount(), Is.EqualTo(7 * (8 + 16 + 32 + 16 + 8)));
            var x = randn(2, 1, 16, 16);
            Assert.That((conditioned.Forward(x, zeros(2, 6)) - conditioned.Forward(x, ones(2, 6))).abs().max().item<float>(), Is.GreaterThan(1e-5f));
            Assert.That(() => conditioned.call(x), Throws.InvalidOperationException.With.Message.Contain("call Forward(input, condition)"));
            Assert.That(() => conditioned.Forward(x, zeros(2, 5)), Throws.ArgumentException.With.Message.StartWith("unet expects a condition [N, 6] for input [2, 1, 16, 16], got [2, 5]."));
            Assert.That(() => plain.Forward(randn(2, 1, 16, 16), zeros(2, 6)), Throws.InvalidOperationException.With.Message.Contain("without conditioning"));
        });
        GradientsReachEveryParameter(new UNet(new UNetOptions { Classes = 3, BaseWidth = 4, Normalization = UNetNormalization.GroupNorm }), Images(2, 1, 16, 16), randint(3, [2, 16, 16]));
    }

    [Test]
    public void Residual_blocks_add_their_input_through_a_1x1_convolution_where_the_width_changes()
    {
        var plain = new UNet(new UNetOptions { Classes = 1, Depth = 2, BaseWidth = 8 });
        var residual = new UNet(new UNetOptions { Classes = 1, Depth = 2, BaseWidth = 8, Residual = true });
        // 1x1 convolutions with bias: enc1 1→8, enc2 8→16, bottleneck 16→32, dec2 32→16, dec1 16→8.
        Assert.That(residual.ParameterCount() - plain.ParameterCount(), Is.EqualTo((1 * 8 + 8) + (8 * 16 + 16) + (16 * 32 + 32) + (32 * 16 + 16) + (16 * 8 + 8)));
        Assert.That(new DoubleConv(8, 8, UNetNormalization.None, residual: true).ParameterCount(), Is.EqualTo(new DoubleConv(8, 8, false).ParameterCount()), "same width: the identity");
        // With both convolutions' weights at zero (no normalisation), the block is relu(bias + input).
        var block = new DoubleConv(4, 4, UNetNormalization.None, residual: true);
        using (no_grad())
        {
            foreach (var p in block.parameters())
                p.zero_();
        }
        var x = randn(2, 4, 5, 5);
        Assert.That(block.call(x).allclose(nn.functional.relu(x)), Is.True);
        GradientsReachEveryParameter(new UNet(new UNetOptions { Classes = 3, BaseWidth = 4, Residual = true, Normalization = UNetNormalization.GroupNorm }), Images(2, 1, 16, 16), randint(3, [2, 16, 16]));
    }

    [Test]
    public void A_one_dimensional_ddpm_learns_a_gaussian_with_the_trainer()
    {
        // N(1.5, 0.3²), 20 steps on the cosine schedule, a small MLP with sinusoidal time, 60 epochs of 8 steps.
        // Measured: sampled mean 1.49, std 0.31. The bounds (±0.15, 0.2–0.45) fail for the untrained network
        // (its samples stay near N(0, 1) shrunk by the schedule) and for a sampler without noise (std → 0).
        var ddpm = new Ddpm(new DdpmOptions { Steps = 20, Schedule = BetaSchedule.Cosine });
        var model = new DiffusionMlp(new DiffusionMlpOptions { Steps = 20, HiddenSizes = [64, 64], TimeEncoding = TimeEncoding.Sinusoidal, TimeEmbeddingSize = 16 });
        using var data = new InMemoryDataset(randn(1024, 1) * 0.3 + 1.5, zeros(1024, dtype: int64), "normal");
        new Trainer(new DiffusionStep(ddpm, model), Optim.Adam(3e-3), new TrainerOptions { Epochs = 60, BatchSize = 128, Progress = false, Seed = 2 }).Fit(data);
        var samples = ddpm.Sample(model, 5000, new SamplingOptions { Seed = 1 });
        Assert.That(samples.mean().item<float>(), Is.EqualTo(1.5).Within(0.15));
        Assert.That(samples.std().item<float>(), Is.InRange(0.2, 0.45));
    }

    [Test]
    public void Diffusion_training_and_sampling_leave_no_tensor_alive()
    {
        // The Diffusion example's 1-D models once grew by 3 MB a step (the scalar sweeper's case); tensors must not either.
        var ddpm = new Ddpm(new DdpmOptions { Steps = 10 });
        var model = new DiffusionMlp(new DiffusionMlpOptions { Steps = 10, HiddenSizes = [16] });
        using var data = new InMemoryDataset(randn(256, 1), zeros(256, dtype: int64), "normal");
        var trainer = new Trainer(new DiffusionStep(ddpm, model), Optim.Adam(1e-3), new TrainerOptions { Epochs = 2, BatchSize = 32, Progress = false });
        trainer.Fit(data); // warm-up: the optimizer's state is made in the first run
        ddpm.Sample(model, 8).Dispose();
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Fit(data);
        ddpm.Sample(model, 8).Dispose();
        ddpm.SampleDdim(model, 8, 5).Dispose();
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before));
    }

    [Test]
    public void Sampling_and_generation_under_bf16_inference_give_float32_samples_close_to_float32_ones()
    {
        // Under autocast the U-Net (class-conditioned, with group norms) and a conditional DCGAN generator compute their
        // convolutions in bfloat16; the samplers stay in float32. DDIM (η = 0) from the same noise is deterministic, so the two precisions'
        // samples differ only by bf16 rounding carried through the steps.
        torch.manual_seed(3);
        var unet = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 4, EmbeddingSize = 8, Steps = 20, Classes = 10 });
        var ddpm = new Ddpm(new DdpmOptions { Steps = 20 });
        using var labels = arange(4, dtype: int64);
        SamplingOptions Options() => new() { Seed = 5, Labels = labels, GuidanceScale = 1 };
        using var reference = ddpm.SampleDdim(unet, 4, 5, Options());
        Tensor reduced;
        using (TorchBinding.Runtime.Autocast.Enable(DeviceType.CPU))
            reduced = ddpm.SampleDdim(unet, 4, 5, Options());
        using var again = ddpm.SampleDdim(unet, 4, 5, Options());

        var generator = new DcganGenerator(new DcganOptions { Conditioning = new LabelConditioning(10, ClassEncoding.OneHot), Width = 8 });
        using var noise = new torch.Generator(7);
        using var images = generator.Sample(4, labels, noise);
        using var noise2 = new torch.Generator(7);
        Tensor imagesBf16;
        using (TorchBinding.Runtime.Autocast.Enable(DeviceType.CPU))
            imagesBf16 = generator.Sample(4, labels, noise2);
        using (reduced)
        using (imagesBf16)
        {
            Assert.Multiple(() =>
            {
                Assert.That(reduced.dtype, Is.EqualTo(ScalarType.Float32));
                Assert.That(reduced.shape, Is.EqualTo(reference.shape));
                Assert.That(reduced.sub(reference).abs().max().item<float>(), Is.GreaterThan(0f).And.LessThan(0.2f), "bf16 rounding through 5 steps");
                Assert.That(again.allclose(reference, 0, 0), Is.True, "after the scope the U-Net computes exactly as before");
                Assert.That(imagesBf16.dtype, Is.EqualTo(ScalarType.Float32));
                Assert.That(imagesBf16.sub(images).abs().max().item<float>(), Is.GreaterThan(0f).And.LessThan(0.05f));
            });
        }
    }
}
