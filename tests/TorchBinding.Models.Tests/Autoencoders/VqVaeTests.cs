using TorchBinding.Data;
using TorchBinding.Models.Autoencoders;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Autoencoders;

public class VqVaeTests
{
    [SetUp]
    public void Seed() => manual_seed(5);

    [Test]
    public void Each_vector_gets_its_nearest_code_and_the_losses_are_the_papers()
    {
        using var scope = NewDisposeScope();
        using var quantizer = new VectorQuantizer(7, 3, new VectorQuantizerOptions { Beta = 0.4 });
        var z = randn(50, 3) * 0.2;
        var q = quantizer.call(z);
        var codebook = quantizer.Codebook.detach();
        // Brute force: the code at the smallest Euclidean distance.
        var nearest = Enumerable.Range(0, 50).Select(i => Enumerable.Range(0, 7).MinBy(k => (z[i] - codebook[k]).square().sum().item<float>())).ToArray();
        var zq = codebook.index_select(0, q.Codes);
        var mse = (zq - z).square().mean().item<float>();
        Assert.Multiple(() =>
        {
            Assert.That(q.Codes.data<long>().ToArray(), Is.EqualTo(nearest.Select(k => (long)k).ToArray()));
            Assert.That(q.Quantized.allclose(zq, atol: 1e-6), Is.True, "the output's value is the nearest code");
            Assert.That(q.CodebookLoss.item<float>(), Is.EqualTo(mse).Within(1e-6));
            Assert.That(q.CommitmentLoss.item<float>(), Is.EqualTo(mse).Within(1e-6));
            Assert.That(q.Loss.item<float>(), Is.EqualTo(1.4f * mse).Within(1e-6), "codebook + 0.4 · commitment");
        });
    }

    [Test]
    public void The_straight_through_estimator_passes_the_decoders_gradient_unchanged()
    {
        using var quantizer = new VectorQuantizer(5, 4);
        var z = randn(6, 4).requires_grad_();
        var weights = randn(6, 4);
        var q = quantizer.call(z);
        // Only the decoder's path: L = Σ w ⊙ z_st, so ∂L/∂z_st = w, and the encoder must receive exactly w.
        (q.Quantized * weights).sum().backward();
        Assert.That(z.grad!.equal(weights).all().item<bool>(), Is.True);
        Assert.That(quantizer.Codebook.grad is null || quantizer.Codebook.grad.eq(0).all().item<bool>(), Is.True, "no gradient reaches the codebook through the decoder path");

        // The commitment loss trains the encoder only, the codebook loss the codebook only.
        z.grad!.zero_();
        quantizer.call(z).CommitmentLoss.backward();
        Assert.That(z.grad!.abs().sum().item<float>(), Is.GreaterThan(0f));
        Assert.That(quantizer.Codebook.grad is null || quantizer.Codebook.grad.eq(0).all().item<bool>(), Is.True);
        z.grad!.zero_();
        quantizer.call(z).CodebookLoss.backward();
        Assert.That(z.grad!.eq(0).all().item<bool>(), Is.True);
        Assert.That(quantizer.Codebook.grad!.abs().sum().item<float>(), Is.GreaterThan(0f));
    }

    [Test]
    public void Perplexity_of_a_uniform_usage_is_the_number_of_codes()
    {
        using var scope = NewDisposeScope();
        using var quantizer = new VectorQuantizer(8, 2);
        // Each code's own vector, twice: every code used equally often.
        var q = quantizer.call(cat([quantizer.Codebook.detach(), quantizer.Codebook.detach()], 0));
        var counts = quantizer.CodeCounts(q.Codes);
        Assert.Multiple(() =>
        {
            Assert.That(q.Perplexity.item<float>(), Is.EqualTo(8f).Within(1e-4));
            Assert.That(VectorQuantizer.Perplexity(counts), Is.EqualTo(8).Within(1e-6));
            Assert.That(VectorQuantizer.Perplexity(tensor(new long[] { 0, 5, 0, 0 })), Is.EqualTo(1).Within(1e-6), "one code for everything");
            Assert.That(VectorQuantizer.Perplexity(tensor(new long[] { 3, 3, 0, 0 })), Is.EqualTo(2).Within(1e-6));
            Assert.That(VectorQuantizer.DeadCodes(tensor(new long[] { 3, 3, 0, 0 })), Is.EqualTo(2));
            Assert.That(VectorQuantizer.DeadCodes(counts), Is.Zero);
        });
    }

    [Test]
    public void Ema_updates_move_the_used_code_to_the_moving_average_of_its_vectors()
    {
        using var scope = NewDisposeScope();
        using var quantizer = new VectorQuantizer(2, 2, new VectorQuantizerOptions { EmaDecay = 0.5, EmaEpsilon = 1e-5 });
        quantizer.train();
        var before = quantizer.Codebook.detach().clone();
        // Four vectors around (3, 3), all nearest the same code: the one closer to (3, 3).
        var used = (before[0] - 3).square().sum().item<float>() < (before[1] - 3).square().sum().item<float>() ? 0 : 1;
        var other = 1 - used;
        var z = tensor(new[,] { { 2.0f, 3 }, { 4, 3 }, { 3, 2 }, { 3, 4 } });
        var q = quantizer.call(z);
        // By hand: N = 0.5·1 + 0.5·n, m = 0.5·e₀ + 0.5·Σz (initial counts 1, sums the initial codes);
        // smoothed N_k = (N_k + ε) / (ΣN + 2ε) · ΣN; code = m / N.
        double[] n = [0, 0];
        n[used] = 0.5 + 0.5 * 4;
        n[other] = 0.5;
        var total = n[0] + n[1];
        var smoothedUsed = (n[used] + 1e-5) / (total + 2e-5) * total;
        var smoothedOther = (n[other] + 1e-5) / (total + 2e-5) * total;
        var expectedUsed = (0.5 * before[used] + 0.5 * tensor(new[] { 12.0f, 12 })) / (float)smoothedUsed;
        var expectedOther = 0.5 * before[other] / (float)smoothedOther;
        Assert.Multiple(() =>
        {
            Assert.That(q.Codes.eq(used).all().item<bool>(), Is.True);
            Assert.That(quantizer.Codebook[used].allclose(expectedUsed, atol: 1e-5), Is.True, $"{quantizer.Codebook[used].str()} vs {expectedUsed.str()}");
            Assert.That(quantizer.Codebook[other].allclose(expectedOther, atol: 1e-6), Is.True, "an unused code stays where it was (up to smoothing)");
            Assert.That(quantizer.Codebook.requires_grad, Is.False, "EMA codes are not learned by gradients");
            Assert.That(q.CodebookLoss.item<float>(), Is.Zero);
        });
    }

    [Test]
    public void Dead_codes_are_restarted_on_encoder_outputs()
    {
        using var scope = NewDisposeScope();
        using var quantizer = new VectorQuantizer(6, 2, new VectorQuantizerOptions { DeadCodeThreshold = 0.5, UsageDecay = 0.5 });
        quantizer.train();
        // Data far from every initial code (which lie within ±1/6): one code takes all; the others' usage decays
        // 1 → 0.5 → 0.25 < 0.5 on the second batch, and they move onto data points.
        var z = randn(64, 2) * 0.1 + 10;
        quantizer.call(z);
        quantizer.call(z);
        var codebook = quantizer.Codebook.detach();
        var distanceToData = Enumerable.Range(0, 6).Select(k => (z - codebook[k]).square().sum(dim: 1).min().item<float>()).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(quantizer.Restarts, Is.EqualTo(5));
            Assert.That(distanceToData.Count(d => d < 1e-10f), Is.EqualTo(5), "the five restarted codes sit on encoder outputs (the used one stays: no optimizer step here)");
            Assert.That(quantizer.call(z).Perplexity.item<float>(), Is.GreaterThan(1.5f), "the restarted codes take part");
        });
    }

    [Test]
    public void Moving_the_quantizer_moves_the_state_its_updates_use()
    {
        // After .to(float64) (as after .to(cuda)), the EMA and usage updates must act on the moved buffers: a stale
        // reference to the float32 originals would leave the registered buffers unchanged.
        using var quantizer = new VectorQuantizer(4, 2, new VectorQuantizerOptions { EmaDecay = 0.9, DeadCodeThreshold = 1e-3 });
        quantizer.to(float64);
        quantizer.train();
        var before = quantizer.named_buffers().ToDictionary(b => b.name, b => b.buffer.clone());
        using var q = quantizer.call(randn(32, 2, dtype: float64) + 3).Quantized;
        var after = quantizer.named_buffers().ToDictionary(b => b.name, b => b.buffer);
        Assert.Multiple(() =>
        {
            Assert.That(after.Keys, Is.EquivalentTo(new[] { "ema_count", "ema_sum", "usage" }));
            Assert.That(after.Values.Select(b => b.dtype), Has.All.EqualTo(ScalarType.Float64));
            foreach (var name in after.Keys)
                Assert.That(after[name].allclose(before[name]), Is.False, $"{name} was updated");
            Assert.That(quantizer.Codebook.dtype, Is.EqualTo(ScalarType.Float64));
        });
    }

    [Test]
    public void The_course_and_convolutional_vq_vaes_have_the_right_sizes_and_refuse_bad_input()
    {
        using var course = VqVae.Mlp();
        using var conv = VqVae.Convolutional(codes: 64, codeSize: 16);
        using var images = rand(4, 1, 28, 28);
        var output = conv.Run(images);
        Assert.Multiple(() =>
        {
            // Encoder 2·32+32 + 32·2+2 = 162, decoder the same, codebook 12·2 = 24: 348 (the notebook's count).
            Assert.That(course.ParameterCount(), Is.EqualTo(162 + 162 + 24).And.EqualTo(348));
            Assert.That(course.call(randn(10, 2)).shape, Is.EqualTo(new long[] { 10, 2 }));
            Assert.That(output.Reconstruction.shape, Is.EqualTo(new long[] { 4, 1, 28, 28 }));
            Assert.That(output.Quantization.Codes.shape, Is.EqualTo(new long[] { 4, 7, 7 }));
            Assert.That(output.Quantization.Quantized.shape, Is.EqualTo(new long[] { 4, 16, 7, 7 }));
            Assert.That(conv.DecodeCodes(output.Quantization.Codes).shape, Is.EqualTo(new long[] { 4, 1, 28, 28 }));
            Assert.That(() => new VectorQuantizer(0, 2), Throws.ArgumentException.With.Message.Contain("at least 1 code"));
            Assert.That(() => VqVae.Mlp(codes: 0), Throws.ArgumentException.With.Message.Contain("at least 1 code"));
            Assert.That(() => new VectorQuantizer(4, 0), Throws.ArgumentException.With.Message.Contain("code size"));
            Assert.That(() => course.Quantizer.call(randn(3, 5)), Throws.ArgumentException.With.Message.Contain("[N, 2]").And.Message.Contain("[3, 5]"));
        });
    }

    static Dictionary<string, Tensor> State(nn.Module module) =>
        module.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).Concat(module.named_buffers().Select(b => (b.name, b.buffer)))
            .ToDictionary(e => e.Item1, e => e.Item2.detach().clone());

    [Test]
    public void A_nan_input_is_refused_before_the_ema_update_and_the_codebook_stays_as_it_was()
    {
        using var model = VqVae.Mlp(options: new VectorQuantizerOptions { EmaDecay = 0.9, DeadCodeThreshold = 0.5 });
        model.train();
        var before = State(model);
        using var batch = randn(8, 2);
        batch[3, 1] = tensor(float.NaN);
        Assert.Multiple(() =>
        {
            // Unchecked, the EMA update in the forward pass made a NaN code that every later input mapped to.
            Assert.That(() => model.call(batch), Throws.ArgumentException.With.Message.StartWith(
                "vq_vae: input must be finite; got NaN at element 7 of input [8, 2]. A non-finite input would poison the codebook; nothing was changed."));
            Assert.That(() => model.Run(batch * float.PositiveInfinity), Throws.ArgumentException.With.Message.StartWith("vq_vae: input must be finite; got"));
            var after = State(model);
            foreach (var (name, value) in before)
                Assert.That(after[name].equal(value).all().item<bool>(), Is.True, $"{name} unchanged");
            Assert.That(model.Quantizer.Restarts, Is.Zero);
            // The quantizer called on its own checks the encoder outputs it would write into the codebook.
            Assert.That(() => model.Quantizer.call(batch), Throws.ArgumentException.With.Message.StartWith("vector_quantizer: input must be finite; got NaN at element 7 of input [8, 2]."));
            Assert.That(model.Quantizer.Codebook.isfinite().all().item<bool>(), Is.True);
            // A finite batch still trains as before.
            Assert.That(model.call(randn(8, 2)).isfinite().all().item<bool>(), Is.True);
        });
    }

    sealed class Folder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("torchbinding-vqvae-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }

    sealed class AtEpochEnd(Action<EpochRecord> action) : TrainingCallback
    {
        public override void OnEpochEnd(TrainingContext context, EpochRecord epoch) => action(epoch);
    }

    /// <summary>Poisons one value of the <paramref name="poisoned"/>-th training batch (counted from 1).</summary>
    sealed class PoisonBatch(int poisoned) : Data.Augmentation.IBatchTransform
    {
        int _calls;

        public Tensor Apply(Tensor batch)
        {
            var copy = batch.clone();
            if (++_calls == poisoned)
                copy[0, 0] = tensor(float.NaN);
            return copy;
        }
    }

    [Test]
    public void A_run_that_meets_a_nan_batch_stops_with_its_last_good_checkpoint_and_codebook_intact()
    {
        using var folder = new Folder();
        using var data = new InMemoryDataset(randn(64, 2), zeros(64, dtype: int64), "points");
        using var model = VqVae.Mlp(options: new VectorQuantizerOptions { EmaDecay = 0.9 });
        Dictionary<string, Tensor>? afterEpoch1 = null;
        TrainerOptions Options(int epochs, Data.Augmentation.IBatchTransform? poison, string? resume = null) => new()
        {
            Epochs = epochs, BatchSize = 32, Seed = 1, Progress = false, Augmentation = poison, ResumeFrom = resume,
            Callbacks = [new ModelCheckpoint(folder.Path, monitor: null), new AtEpochEnd(e => afterEpoch1 ??= State(model))],
        };
        // The data set itself is checked before the first step.
        using var nanData = new InMemoryDataset(data.Inputs.clone().index_put_(tensor(float.NaN), tensor(5L), tensor(1L)), data.Targets, "points with a NaN");
        Assert.That(() => new Trainer(new VqVaeStep(model), Optim.Adam(1e-2), Options(2, null)).Fit(nanData),
            Throws.ArgumentException.With.Message.StartWith("vq_vae (points with a NaN): input must be finite; got NaN at element 11 of input [64, 2]."));
        // Two batches per epoch: the third batch (the first of epoch 2) turns NaN on its way to the model.
        var last = Path.Combine(folder.Path, "last.ckpt");
        Assert.That(() => new Trainer(new VqVaeStep(model), Optim.Adam(1e-2), Options(2, new PoisonBatch(3))).Fit(data),
            Throws.ArgumentException.With.Message.StartWith("vq_vae: input must be finite; got NaN at element 0 of input [32, 2]."));
        var now = State(model);
        Assert.Multiple(() =>
        {
            foreach (var (name, value) in afterEpoch1!)
                Assert.That(now[name].equal(value).all().item<bool>(), Is.True, $"{name} as after epoch 1: the refused batch changed nothing");
            Assert.That(now["quantizer.codebook"].isfinite().all().item<bool>(), Is.True);
        });
        // The checkpoint of epoch 1 is intact: the run resumes from it and finishes.
        using var resumed = VqVae.Mlp(options: new VectorQuantizerOptions { EmaDecay = 0.9 });
        var history = new Trainer(new VqVaeStep(resumed), Optim.Adam(1e-2),
            new TrainerOptions { Epochs = 2, BatchSize = 32, Seed = 1, Progress = false, ResumeFrom = last }).Fit(data);
        Assert.That(history.Epochs.Count, Is.EqualTo(2));
        Assert.That(resumed.Quantizer.Codebook.isfinite().all().item<bool>(), Is.True);
    }
}
