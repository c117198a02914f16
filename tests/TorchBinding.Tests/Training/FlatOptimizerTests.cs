using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

/// <summary>Flat-buffer optimizers: the same trajectories as TorchSharp's per-tensor ones, gradients that stay views, state that resumes.</summary>
public class FlatOptimizerTests
{
    /// <summary>A 6-16-16-3 tanh network: 6 parameter tensors, and inputs/targets fixed by a seed.</summary>
    static (Sequential Model, Tensor X, Tensor Y) Problem(int seed)
    {
        var generator = new Generator((ulong)seed);
        var model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 16), nn.Tanh(), nn.Linear(16, 3));
        using (no_grad())
        {
            foreach (var p in model.parameters())
                p.copy_(randn(p.shape, generator: generator) * 0.5);
        }
        return (model, randn([32, 6], generator: generator), randn([32, 3], generator: generator));
    }

    static List<float[]> Train(Sequential model, optim.Optimizer optimizer, Tensor x, Tensor y, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            optimizer.step();
        }
        return model.parameters().Select(p => p.detach().cpu().data<float>().ToArray()).ToList();
    }

    public static IEnumerable<TestCaseData> Pairs()
    {
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.SGD(p, 0.05)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatSgd(p, 0.05))).SetArgDisplayNames("sgd");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.SGD(p, 0.05, 0.9, 0, 1e-3, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatSgd(p, 0.05, 0.9, weightDecay: 1e-3))).SetArgDisplayNames("momentum + weight decay");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.SGD(p, 0.05, 0.9, 0, 0, true)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatSgd(p, 0.05, 0.9, nesterov: true))).SetArgDisplayNames("nesterov");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.SGD(p, 0.05, 0.9, 0.1, 0, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatSgd(p, 0.05, 0.9, dampening: 0.1))).SetArgDisplayNames("dampening");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.Adam(p, 1e-2, 0.9, 0.999, 1e-8, 0, false, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatAdam(p, 1e-2))).SetArgDisplayNames("adam");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.Adam(p, 1e-2, 0.8, 0.99, 1e-6, 1e-2, false, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatAdam(p, 1e-2, 0.8, 0.99, 1e-6, 1e-2))).SetArgDisplayNames("adam + L2");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.AdamW(p, 1e-2, 0.9, 0.999, 1e-8, 0.05, false, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => FlatAdam.AdamW(p, 1e-2, weightDecay: 0.05))).SetArgDisplayNames("adamw");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.RMSProp(p, 1e-3, 0.99, 1e-8, 0, 0, false, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatRmsProp(p, 1e-3))).SetArgDisplayNames("rmsprop");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.RMSProp(p, 1e-3, 0.9, 1e-6, 1e-3, 0.5, true, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatRmsProp(p, 1e-3, 0.9, 1e-6, 1e-3, 0.5, centered: true))).SetArgDisplayNames("rmsprop centred + momentum + L2");
    }

    [TestCaseSource(nameof(Pairs))]
    public void Trajectory_equals_torchsharps_optimizer_over_100_steps(Func<IEnumerable<Parameter>, optim.Optimizer> torchSharp, Func<IEnumerable<Parameter>, optim.Optimizer> flat)
    {
        var (a, x, y) = Problem(7);
        var (b, _, _) = Problem(7);
        var expected = Train(a, torchSharp(a.parameters()), x, y, 100);
        var actual = Train(b, flat(b.parameters()), x, y, 100);
        for (var i = 0; i < expected.Count; i++)
            TensorAssert.AreClose(tensor(actual[i]), tensor(expected[i]), rtol: 0, atol: 1e-6, what: $"parameter {i} after 100 steps");
    }

    [TestCase(0.0, false, TestName = "Fused Adam kernel equals Adam by tensor operations")]
    [TestCase(1e-2, false, TestName = "Fused Adam kernel equals Adam by tensor operations, with L2")]
    [TestCase(5e-2, true, TestName = "Fused AdamW kernel equals AdamW by tensor operations")]
    public void Fused_kernel_equals_the_tensor_operations_over_100_steps(double weightDecay, bool decoupled)
    {
        // libtorch 2.10 has the fused kernel, so the default path is the fused one; the other is the fallback for older ones.
        Assert.That(FlatAdam.FusedKernelAvailable, Is.True, "libtorch's _fused_adam_ should compile through TorchScript");
        var (a, x, y) = Problem(11);
        var (b, _, _) = Problem(11);
        var fused = Train(a, new FlatAdam(a.parameters(), 1e-2, 0.8, 0.99, 1e-6, weightDecay, decoupled), x, y, 100);
        FlatAdam.UseFusedKernel = false;
        try
        {
            var operations = Train(b, new FlatAdam(b.parameters(), 1e-2, 0.8, 0.99, 1e-6, weightDecay, decoupled), x, y, 100);
            for (var i = 0; i < fused.Count; i++)
                TensorAssert.AreClose(tensor(fused[i]), tensor(operations[i]), rtol: 0, atol: 1e-6, what: $"parameter {i} after 100 steps");
            Assert.That(fused[0], Is.Not.EqualTo(Problem(11).Model.parameters().First().detach().data<float>().ToArray()), "the weights moved");
        }
        finally
        {
            FlatAdam.UseFusedKernel = true;
        }
    }

    [Test]
    public void Fused_kernel_steps_survive_garbage_collections_running_beside_them()
    {
        // TorchSharp's invoke turns a double argument into a temporary Scalar and keeps only its native handle: a
        // collection between that and the call finalizes the Scalar and the kernel reads freed memory (the crash of the
        // example's long full mode: "Expected false to be true" in c10::Scalar::toLong). Collections running beside the
        // steps make the race likely within a few thousand calls; the arguments are ours to keep alive.
        Assert.That(FlatAdam.FusedKernelAvailable, Is.True);
        var (a, x, y) = Problem(13);
        var (b, _, _) = Problem(13);
        using var done = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!done.IsCancellationRequested)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        List<float[]> fused;
        try
        {
            fused = Train(a, new FlatAdam(a.parameters(), 1e-3, weightDecay: 1e-3), x, y, 3000);
        }
        finally
        {
            done.Cancel();
            collector.Join();
        }
        FlatAdam.UseFusedKernel = false;
        try
        {
            var operations = Train(b, new FlatAdam(b.parameters(), 1e-3, weightDecay: 1e-3), x, y, 3000);
            for (var i = 0; i < fused.Count; i++)
                TensorAssert.AreClose(tensor(fused[i]), tensor(operations[i]), rtol: 0, atol: 1e-5, what: $"parameter {i} after 3000 steps under collections");
        }
        finally
        {
            FlatAdam.UseFusedKernel = true;
        }
    }

    [Test]
    public void After_backward_every_gradient_is_still_a_view_into_the_buffer()
    {
        var (model, x, y) = Problem(1);
        var optimizer = new FlatAdam(model.parameters());
        var buffer = optimizer.Buffers.Single();
        // A parameter gets no gradient until a backward pass reaches it (so one never reached can be skipped, as in
        // PyTorch): the first step copies autograd's fresh gradients in and leaves views behind.
        Assert.That(model.parameters().All(p => p.grad is null), Is.True);
        optimizer.zero_grad();
        nn.functional.mse_loss(model.call(x), y).backward();
        optimizer.step();
        for (var step = 1; step < 4; step++)
        {
            optimizer.zero_grad();
            nn.functional.mse_loss(model.call(x), y).backward();
            var i = 0;
            foreach (var p in model.parameters())
            {
                using var grad = p.grad!;
                using var slice = buffer.SliceOf(buffer.Gradients, i);
                Assert.That(TensorMemory.DataPointer(grad), Is.EqualTo(TensorMemory.DataPointer(slice)), $"step {step}: parameter {i}'s gradient is in the buffer");
                Assert.That(TensorMemory.DataPointer(p), Is.EqualTo(TensorMemory.DataPointer(buffer.SliceOf(buffer.Values, i))), "and its values too");
                i++;
            }
            // The buffer holds exactly the gradients autograd computed.
            var total = model.parameters().Sum(p => { using var g = p.grad!; return g.abs().sum().item<float>(); });
            Assert.That(buffer.Gradients.abs().sum().item<float>(), Is.EqualTo(total).Within(1e-4));
            optimizer.step();
        }
    }

    [Test]
    public void A_gradient_replaced_by_user_code_is_used_and_made_a_view_again()
    {
        var (model, x, y) = Problem(2);
        var optimizer = new FlatSgd(model.parameters(), 1.0);
        optimizer.zero_grad();
        var first = model.parameters().First();
        var before = first.detach().clone();
        first.grad = full_like(first, 0.25f);            // not a view of the buffer
        model.parameters().Skip(1).First().grad = null;    // removed: skipped, as PyTorch skips a None gradient
        optimizer.step();
        TensorAssert.AreClose(first, before - 0.25f, what: "θ − η·g with the replaced gradient");
        using var grad = first.grad!;
        Assert.That(TensorMemory.DataPointer(grad), Is.EqualTo(TensorMemory.DataPointer(optimizer.Buffers.Single().SliceOf(optimizer.Buffers.Single().Gradients, 0))));
    }

    public static IEnumerable<TestCaseData> WeightDecayPairs()
    {
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.AdamW(p, 1e-2, 0.9, 0.999, 1e-8, 0.05, false, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => FlatAdam.AdamW(p, 1e-2, weightDecay: 0.05))).SetArgDisplayNames("adamw");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.Adam(p, 1e-2, 0.9, 0.999, 1e-8, 0.05, false, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatAdam(p, 1e-2, weightDecay: 0.05))).SetArgDisplayNames("adam + L2");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.SGD(p, 0.05, 0.9, 0, 0.05, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatSgd(p, 0.05, 0.9, weightDecay: 0.05))).SetArgDisplayNames("sgd momentum + L2");
        yield return new TestCaseData((Func<IEnumerable<Parameter>, optim.Optimizer>)(p => optim.RMSProp(p, 1e-3, 0.99, 1e-8, 0.05, 0.5, false, false)), (Func<IEnumerable<Parameter>, optim.Optimizer>)(p => new FlatRmsProp(p, 1e-3, weightDecay: 0.05, momentum: 0.5))).SetArgDisplayNames("rmsprop momentum + L2");
    }

    /// <summary>A network whose <c>Unused</c> layer is among its parameters but takes part only from step <paramref name="joinsAt"/> on.</summary>
    sealed class PartlyUsed : nn.Module<Tensor, Tensor>
    {
        readonly Sequential used;
        readonly TorchSharp.Modules.Linear unused;

        public PartlyUsed(int seed) : base(nameof(PartlyUsed))
        {
            var generator = new Generator((ulong)seed);
            used = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3));
            unused = nn.Linear(6, 3);
            RegisterComponents();
            using var noGrad = no_grad();
            foreach (var p in parameters())
                p.copy_(randn(p.shape, generator: generator) * 0.5);
        }

        public bool UseAll { get; set; }

        public override Tensor forward(Tensor x) => UseAll ? used.call(x) + unused.call(x) : used.call(x);
    }

    [TestCaseSource(nameof(WeightDecayPairs))]
    public void A_parameter_that_never_received_a_gradient_is_skipped_as_torchsharps_optimizer_skips_it(Func<IEnumerable<Parameter>, optim.Optimizer> torchSharp, Func<IEnumerable<Parameter>, optim.Optimizer> flat)
    {
        var (_, x, y) = Problem(17);
        var initial = new PartlyUsed(5).parameters().Select(p => p.detach().clone()).ToList();
        List<float[]> Run(Func<IEnumerable<Parameter>, optim.Optimizer> make)
        {
            var model = new PartlyUsed(5);
            var optimizer = make(model.parameters());
            for (var i = 0; i < 60; i++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                nn.functional.mse_loss(model.call(x), y).backward();
                optimizer.step();
            }
            return model.parameters().Select(p => p.detach().data<float>().ToArray()).ToList();
        }
        var expected = Run(torchSharp);
        var actual = Run(flat);
        Assert.Multiple(() =>
        {
            for (var i = 0; i < expected.Count; i++)
                TensorAssert.AreClose(tensor(actual[i]), tensor(expected[i]), rtol: 0, atol: 1e-6, what: $"parameter {i} after 60 steps");
            // The unused layer (the last two parameters) kept its initial weights exactly: no weight decay reached it.
            TensorAssert.AreClose(tensor(actual[^2]).view(3, 6), initial[^2], rtol: 0, atol: 0, what: "the unused weight");
            TensorAssert.AreClose(tensor(actual[^1]), initial[^1], rtol: 0, atol: 0, what: "the unused bias");
        });
    }

    [Test]
    public void A_parameter_reached_later_starts_its_momentum_as_torchsharps_sgd_does()
    {
        // SGD's state has no step count, so a layer that joins after 20 steps follows PyTorch's trajectory exactly:
        // its momentum starts from its first gradient, not from what the skipped steps would have put there.
        var (_, x, y) = Problem(19);
        List<float[]> Run(Func<IEnumerable<Parameter>, optim.Optimizer> make)
        {
            var model = new PartlyUsed(6);
            var optimizer = make(model.parameters());
            for (var i = 0; i < 50; i++)
            {
                using var scope = NewDisposeScope();
                model.UseAll = i >= 20;
                optimizer.zero_grad();
                nn.functional.mse_loss(model.call(x), y).backward();
                optimizer.step();
            }
            return model.parameters().Select(p => p.detach().data<float>().ToArray()).ToList();
        }
        var expected = Run(p => optim.SGD(p, 0.05, 0.9, 0, 0.05, false));
        var actual = Run(p => new FlatSgd(p, 0.05, 0.9, weightDecay: 0.05));
        for (var i = 0; i < expected.Count; i++)
            TensorAssert.AreClose(tensor(actual[i]), tensor(expected[i]), rtol: 0, atol: 1e-6, what: $"parameter {i} after 50 steps");
    }

    [Test]
    public void Parameters_of_two_dtypes_get_one_buffer_each_and_frozen_ones_are_left_alone()
    {
        var single = nn.Linear(3, 2);
        var wide = nn.Linear(2, 1).to(float64);
        var frozen = nn.Linear(3, 3);
        foreach (var p in frozen.parameters())
            p.requires_grad = false;
        var frozenBefore = frozen.weight!.detach().clone();
        var optimizer = new FlatAdam(single.parameters().Concat(wide.parameters()).Concat(frozen.parameters()), 0.1);
        Assert.That(optimizer.Buffers.Select(b => (b.Dtype, b.Count)), Is.EquivalentTo(new[] { (ScalarType.Float32, 2), (ScalarType.Float64, 2) }));
        optimizer.zero_grad();
        var input = randn(4, 3);
        wide.call(single.call(frozen.call(input)).to(float64)).sum().backward();
        optimizer.step();
        TensorAssert.AreClose(frozen.weight!, frozenBefore, rtol: 0, atol: 0, what: "a parameter without gradients is not touched");
    }

    [Test]
    public void Clipping_the_global_norm_over_the_buffer_equals_clip_grad_norm()
    {
        var (a, x, y) = Problem(3);
        var (b, _, _) = Problem(3);
        nn.functional.mse_loss(a.call(x), y).backward();
        var expectedNorm = nn.utils.clip_grad_norm_(a.parameters(), 0.1);
        var optimizer = new FlatSgd(b.parameters(), 0.1);
        optimizer.zero_grad();
        nn.functional.mse_loss(b.call(x), y).backward();
        var norm = optimizer.ClipGradientNorm(0.1);
        Assert.That(norm, Is.EqualTo(expectedNorm).Within(1e-5 * expectedNorm));
        foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
        {
            using var ga = pa.grad!;
            using var gb = pb.grad!;
            TensorAssert.AreClose(gb, ga, rtol: 1e-5, atol: 1e-7);
        }
    }

    [Test]
    public void Moving_the_model_after_making_the_optimizer_is_refused_with_the_fix()
    {
        var (model, x, y) = Problem(4);
        var optimizer = new FlatAdam(model.parameters());
        model.to(float64);
        Assert.That(() => optimizer.step(), Throws.InvalidOperationException.With.Message.Contain("no longer lives in its buffer").And.Message.Contain("Create the optimizer after moving the model"));
    }

    [Test]
    public void A_run_with_a_flat_optimizer_resumes_bit_for_bit_from_a_checkpoint()
    {
        var (train, test) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        using (test)
        {
            TrainerOptions Options(string path, CancellationTokenSource? cancel = null, string? resume = null) => new()
            {
                Epochs = 3, BatchSize = 32, Seed = 5, Progress = false, ResumeFrom = resume,
                Callbacks = [new ModelCheckpoint(path, monitor: null), new OnBatch(c => { if (cancel is not null && c.GlobalStep == 60) cancel.Cancel(); })],
            };
            Seeding.SeedEverything(1);
            var a = Mlp();
            new Trainer(a, CrossEntropy, Optim.Adam(1e-2), Options(Path.Combine(folder.Path, "a"))).Fit(train, test);

            Seeding.SeedEverything(1);
            var b = Mlp();
            using var cancel = new CancellationTokenSource();
            var checkpoints = Path.Combine(folder.Path, "b");
            Assert.That(() => new Trainer(b, CrossEntropy, Optim.Adam(1e-2), Options(checkpoints, cancel)).Fit(train, test, cancel.Token),
                Throws.InstanceOf<OperationCanceledException>());
            Seeding.SeedEverything(999);
            var c = Mlp();
            new Trainer(c, CrossEntropy, Optim.Adam(1e-2), Options(checkpoints, resume: Path.Combine(checkpoints, "last.ckpt"))).Fit(train, test);

            var (wa, wc) = (Weights(a), Weights(c));
            Assert.Multiple(() =>
            {
                foreach (var name in wa.Keys)
                    Assert.That(wc[name], Is.EqualTo(wa[name]), $"{name} bit for bit");
            });
        }
    }

    [Test]
    public void Bf16_mixed_precision_trains_the_digits_mlp_to_95_percent_with_fp32_master_weights()
    {
        Seeding.SeedEverything(3);
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            var model = MixedPrecision.ToBf16(nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.LayerNorm(128), nn.Linear(128, 10)));
            var trainer = new Trainer(model, CrossEntropy, Optim.Adam(3e-3), new TrainerOptions
            {
                Epochs = 25, BatchSize = 32, Precision = Precision.Bf16Mixed, Metrics = [() => new TorchBinding.Metrics.Accuracy()], Progress = false,
            });
            trainer.Fit(train);
            Assert.Multiple(() =>
            {
                Assert.That(trainer.Evaluate(test)["accuracy"], Is.GreaterThanOrEqualTo(0.95), "held-out accuracy in bf16");
                Assert.That(model.parameters().Select(p => p.dtype).Distinct(), Is.EquivalentTo(new[] { ScalarType.BFloat16, ScalarType.Float32 }), "linear layers bf16, the layer norm fp32");
                Assert.That(((FlatAdam)trainer.Optimizers.Single()).Buffers.Select(b => b.Dtype), Is.EquivalentTo(new[] { ScalarType.BFloat16, ScalarType.Float32 }));
                Assert.That(trainer.Predict(test).dtype, Is.EqualTo(ScalarType.Float32), "outputs come back in float32");
            });
        }
    }

    [Test]
    public void Bf16_autocast_trains_an_unprepared_model_in_bf16_with_float32_weights_and_any_optimizer()
    {
        if (!TorchBinding.Runtime.Autocast.IsAvailable)
            Assert.Ignore("This libtorch does not export autocast's functions (libtorch 2.4 and later do).");
        Seeding.SeedEverything(3);
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            var seen = new List<ScalarType>();
            var first = nn.Linear(64, 128);
            first.register_forward_hook((_, _, output) => { seen.Add(output.dtype); return output; });
            var model = nn.Sequential(first, nn.ReLU(), nn.LayerNorm(128), nn.Linear(128, 10));
            // TorchSharp's own Adam: autocast leaves the weights and gradients float32, so any optimizer works.
            var trainer = new Trainer(model, CrossEntropy, Optim.Adam(3e-3).WithTorchSharp(), new TrainerOptions
            {
                Epochs = 25, BatchSize = 32, Precision = Precision.Bf16Autocast, Metrics = [() => new TorchBinding.Metrics.Accuracy()], Progress = false,
            });
            trainer.Fit(train);
            // The trainer's data check runs one sample through the model before the first step, outside any step.
            var trainingDtypes = seen.Skip(1).Distinct().ToList();
            seen.Clear();
            var accuracy = trainer.Evaluate(test)["accuracy"];
            using var outputs = trainer.Predict(test);
            Assert.Multiple(() =>
            {
                Assert.That(trainingDtypes, Is.EqualTo(new[] { ScalarType.BFloat16 }), "the forward pass computed in bf16");
                Assert.That(seen.Skip(1).Distinct(), Is.EqualTo(new[] { ScalarType.BFloat16 }), "evaluation and prediction too");
                Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.95), "held-out accuracy in bf16");
                Assert.That(model.parameters().Select(p => p.dtype).Distinct(), Is.EqualTo(new[] { ScalarType.Float32 }), "the weights stay float32");
                Assert.That(outputs.dtype, Is.EqualTo(ScalarType.Float32), "outputs come back in float32");
                Assert.That(TorchBinding.Runtime.Autocast.IsEnabled(DeviceType.CPU), Is.False, "autocast is off outside the steps");
            });
        }
    }

    [Test]
    public void Bf16_mixed_precision_needs_a_prepared_model_and_a_flat_optimizer()
    {
        static TorchBinding.Data.InMemoryDataset Tiny() => new(rand(4, 4), zeros(4, dtype: int64), "tiny");
        var plain = nn.Sequential(nn.Linear(4, 2));
        var prepared = MixedPrecision.ToBf16(nn.Sequential(nn.Linear(4, 2)));
        var options = new TrainerOptions { Precision = Precision.Bf16Mixed };
        Assert.Multiple(() =>
        {
            Assert.That(() => new Trainer(plain, CrossEntropy, Optim.Adam(), options).Fit(Tiny()),
                Throws.ArgumentException.With.Message.Contain("call MixedPrecision.ToBf16(model) before making its optimizer"));
            Assert.That(() => new Trainer(prepared, CrossEntropy, Optim.Adam().WithTorchSharp(), options).Fit(Tiny()),
                Throws.ArgumentException.With.Message.Contain("needs flat optimizers").And.Message.Contain("Adam"));
        });
    }
}
