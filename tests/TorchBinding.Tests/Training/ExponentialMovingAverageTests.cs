using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

public class ExponentialMovingAverageTests
{
    static float[] Values(Tensor t) => t.detach().cpu().to(float32).contiguous().data<float>().ToArray();

    [Test]
    public void Each_update_folds_the_weights_in_with_the_warmed_up_decay()
    {
        var layer = nn.Linear(1, 1);
        using var ema = new ExponentialMovingAverage(layer, decay: 0.5);
        var weights = new[] { 1.0, 3.0, -2.0, 4.0 };
        double expected = 0;
        for (var n = 0; n < weights.Length; n++)
        {
            using (no_grad())
                layer.weight!.fill_(weights[n]);
            var d = Math.Min(0.5, (1.0 + n) / (10.0 + n));    // 0.1, 0.1818..., 0.25, 0.3077...
            Assert.That(ema.CurrentDecay, Is.EqualTo(d).Within(1e-12));
            // The first update starts from the weights themselves, so its decay blends the value with itself.
            expected = n == 0 ? weights[0] : d * expected + (1 - d) * weights[n];
            ema.Update();
        }
        Assert.That(Values(ema.Averages["weight"])[0], Is.EqualTo(expected).Within(1e-6));
        Assert.That(ema.Updates, Is.EqualTo(4));
        Assert.That(new ExponentialMovingAverage(layer, decay: 0.99, warmup: false).CurrentDecay, Is.EqualTo(0.99));
    }

    [Test]
    public void Through_the_trainer_the_average_follows_every_steps_weights_and_validation_sees_it()
    {
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            Seeding.SeedEverything(1);
            var model = Mlp();
            using var ema = new ExponentialMovingAverage(model, decay: 0.9);
            double? expected = null;
            var steps = 0;
            // Observed before the average's own update (callbacks run in order): the recursion by hand, in doubles.
            var observe = new OnBatch(_ =>
            {
                var w = (double)Values(model.named_parameters().First().parameter)[0];
                var d = Math.Min(0.9, (1.0 + steps) / (10.0 + steps));
                expected = expected is null ? w : d * expected.Value + (1 - d) * w;
                steps++;
            });
            var trainer = new Trainer(model, CrossEntropy, Optim.Adam(1e-2),
                new TrainerOptions { Epochs = 2, BatchSize = 64, Seed = 5, Progress = false, Callbacks = [observe, ema] });
            var history = trainer.Fit(train, test);
            Assert.Multiple(() =>
            {
                Assert.That(ema.Updates, Is.EqualTo(steps));
                Assert.That(Values(ema.Averages["hidden.weight"])[0], Is.EqualTo(expected!.Value).Within(1e-5));
                // The last validation ran on the average: evaluating with it swapped in gives the same loss, without it another one.
                double averaged, trained;
                using (ema.Apply())
                    averaged = trainer.Evaluate(test)["loss"];
                trained = trainer.Evaluate(test)["loss"];
                Assert.That(history.Epochs[^1]["val_loss"], Is.EqualTo(averaged).Within(1e-6));
                Assert.That(trained, Is.Not.EqualTo(averaged).Within(1e-6));
            });
        }
    }

    [Test]
    public void Apply_swaps_the_average_in_and_back_exactly_and_CopyTo_keeps_it()
    {
        var model = nn.Sequential(("conv", nn.Conv2d(1, 2, 3)), ("bn", nn.BatchNorm2d(2)));
        using var ema = new ExponentialMovingAverage(model, decay: 0.5, warmup: false);
        ema.Update();
        using (no_grad())
        {
            foreach (var p in model.parameters())
                p.add_(1);
        }
        model.train();
        model.call(randn(4, 1, 5, 5));                     // running statistics and num_batches_tracked move
        ema.Update();
        var trained = Weights(model);
        var averages = ema.Averages.ToDictionary(p => p.Key, p => Values(p.Value));
        using (ema.Apply())
        {
            var swapped = Weights(model);
            Assert.That(swapped["conv.weight"], Is.EqualTo(averages["conv.weight"]));
            Assert.That(averages["conv.weight"][0], Is.EqualTo(trained["conv.weight"][0] - 0.5f).Within(1e-6), "halfway between before and after the +1");
            Assert.That(averages["bn.num_batches_tracked"], Is.EqualTo(trained["bn.num_batches_tracked"]), "integer buffers are copied");
            var error = Assert.Throws<InvalidOperationException>(() => ema.Update());
            Assert.That(error!.Message, Does.Contain("Apply() scope"));
        }
        Assert.That(Weights(model)["conv.weight"], Is.EqualTo(trained["conv.weight"]), "the trained weights are back, bit for bit");
        ema.CopyTo();
        Assert.That(Weights(model)["bn.running_mean"], Is.EqualTo(averages["bn.running_mean"]));
    }

    [Test]
    public void An_interrupted_and_resumed_run_ends_with_the_same_average_bit_for_bit()
    {
        var (train, _) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        {
            float[] Run(string checkpoints, CancellationTokenSource? cancel, string? resume)
            {
                Seeding.SeedEverything(resume is null ? 1 : 999);
                var model = Mlp();
                using var ema = new ExponentialMovingAverage(model, decay: 0.95);
                var callbacks = new List<TrainingCallback> { ema, new ModelCheckpoint(checkpoints, monitor: null) };
                if (cancel is not null)
                    callbacks.Add(new OnBatch(c => { if (c.GlobalStep == 30) cancel.Cancel(); }));
                new Trainer(model, CrossEntropy, Optim.Adam(1e-2), new TrainerOptions
                {
                    Epochs = 3, BatchSize = 64, Seed = 5, Progress = false, ResumeFrom = resume, Callbacks = callbacks,
                }).Fit(train, cancellation: cancel?.Token ?? default);
                return [.. ema.Averages.OrderBy(p => p.Key).SelectMany(p => Values(p.Value))];
            }
            var whole = Run(Path.Combine(folder.Path, "a"), null, null);
            using var cancel = new CancellationTokenSource();
            var b = Path.Combine(folder.Path, "b");
            Assert.That(() => Run(b, cancel, null), Throws.InstanceOf<OperationCanceledException>());
            var resumed = Run(b, null, Path.Combine(b, "last.ckpt"));
            Assert.That(resumed, Is.EqualTo(whole));
        }
    }

    [Test]
    public void A_bad_decay_or_another_models_average_is_refused_by_name()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new ExponentialMovingAverage(nn.Linear(2, 2), decay: 1.0));
        Assert.That(error!.Message, Does.Contain("decay in [0, 1)"));
        using var small = new ExponentialMovingAverage(nn.Linear(2, 2));
        small.Update();
        using var wide = new ExponentialMovingAverage(nn.Linear(2, 3));
        var mismatch = Assert.Throws<InvalidDataException>(() => wide.LoadState(small.SaveState()));
        Assert.That(mismatch!.Message, Does.Contain("'weight'").And.Contain("[2, 2]").And.Contain("[3, 2]"));
        Assert.Throws<InvalidOperationException>(() => new ExponentialMovingAverage(nn.Linear(2, 2)).Apply());
    }
}
