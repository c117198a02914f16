using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchBinding.Training.Checkpoints;
using TorchBinding.Training.Schedules;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

public class CheckpointTests
{
    static TrainerOptions Options(string folder, CancellationTokenSource? cancelAt = null, int cancelStep = 0, string? resume = null) => new()
    {
        Epochs = 4, BatchSize = 32, Seed = 5, Progress = false, ResumeFrom = resume,
        Callbacks =
        [
            new LearningRateScheduler(new OneCycle(), ScheduleInterval.Step), // planned over the run, also when resumed
            new EarlyStopping("val_loss", patience: 10, restoreBestWeights: false),
            new ModelCheckpoint(folder),
            new OnBatch(c => { if (cancelAt is not null && c.GlobalStep == cancelStep) cancelAt.Cancel(); }),
        ],
    };

    [Test]
    public void Interrupted_and_resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one()
    {
        var (train, test) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        using (test)
        {
            // Uninterrupted.
            Seeding.SeedEverything(1);
            var a = Mlp();
            var historyA = new Trainer(a, CrossEntropy, Optim.Adam(1e-2), Options(Path.Combine(folder.Path, "a"))).Fit(train, test);

            // Cancelled in the middle of epoch 2 (45 batches of 32 per epoch; step 60 is batch 15 of epoch 2).
            Seeding.SeedEverything(1);
            var b = Mlp();
            using var cancel = new CancellationTokenSource();
            var checkpoints = Path.Combine(folder.Path, "b");
            Assert.That(() => new Trainer(b, CrossEntropy, Optim.Adam(1e-2), Options(checkpoints, cancel, 60)).Fit(train, test, cancel.Token),
                Throws.InstanceOf<OperationCanceledException>());
            var last = Path.Combine(checkpoints, "last.ckpt");
            Assert.That(File.Exists(last), Is.True, "cancellation leaves a checkpoint");

            // Resumed in a fresh model and optimizer, with the global generator in another state.
            Seeding.SeedEverything(999);
            var c = Mlp();
            var trainerC = new Trainer(c, CrossEntropy, Optim.Adam(1e-2), Options(checkpoints, resume: last));
            var historyC = trainerC.Fit(train, test);

            var (wa, wc) = (Weights(a), Weights(c));
            Assert.Multiple(() =>
            {
                foreach (var name in wa.Keys)
                    Assert.That(wc[name], Is.EqualTo(wa[name]), $"{name} bit for bit");
                Assert.That(historyC.StepLosses, Is.EqualTo(historyA.StepLosses), "the same losses at every step");
                Assert.That(historyC.Series("val_loss"), Is.EqualTo(historyA.Series("val_loss")));
                Assert.That(historyC.Epochs, Has.Count.EqualTo(4));
            });
        }
    }

    /// <summary>Trains the digits MLP from <paramref name="resume"/> (or afresh), writing checkpoints to <paramref name="folder"/>; returns the history and what the run printed.</summary>
    static (TrainingHistory History, string Output) Run(bool flat, double rate, int epochs, string folder, string? resume, params TrainingCallback[] callbacks)
    {
        var (train, _) = Digits();
        using (train)
        {
            Seeding.SeedEverything(1);
            var model = Mlp();
            var optimizer = flat ? Optim.Adam(rate) : Optim.Adam(rate).WithTorchSharp();
            var output = new StringWriter();
            var history = new Trainer(model, CrossEntropy, optimizer, new TrainerOptions
            {
                Epochs = epochs, BatchSize = 64, Seed = 5, Progress = false, ProgressWriter = output, ResumeFrom = resume,
                Callbacks = [.. callbacks, new ModelCheckpoint(folder, monitor: null)],
            }).Fit(train);
            return (history, output.ToString());
        }
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Resuming_with_another_learning_rate_uses_it_and_says_so(bool flat)
    {
        using var folder = TestSupport.TemporaryFolder();
        var first = Path.Combine(folder.Path, "first");
        Run(flat, 0.01, 1, first, resume: null);
        var last = Path.Combine(first, "last.ckpt");

        var (changed, changedOutput) = Run(flat, 0.05, 2, Path.Combine(folder.Path, "changed"), last);
        var (same, sameOutput) = Run(flat, 0.01, 2, Path.Combine(folder.Path, "same"), last);
        Assert.Multiple(() =>
        {
            Assert.That(changed.Series("lr"), Is.EqualTo(new[] { 0.01, 0.05 }), "epoch 2 trains at the rate given on resume");
            Assert.That(changedOutput, Does.Contain($"Resuming from '{last}': optimizer 0 ({(flat ? "FlatAdam" : "Adam")}) uses the learning rate given, 0.05, instead of the checkpoint's 0.01"));
            Assert.That(same.Series("lr"), Is.EqualTo(new[] { 0.01, 0.01 }));
            Assert.That(sameOutput, Does.Not.Contain("Resuming"), "the rate given is the checkpoint's: nothing to say");
        });
    }

    [Test]
    public void Resuming_a_scheduled_run_keeps_the_schedules_rate_unless_another_rate_is_given()
    {
        using var folder = TestSupport.TemporaryFolder();
        var first = Path.Combine(folder.Path, "first");
        LearningRateScheduler Halving() => new(new StepDecay(1, 0.5), ScheduleInterval.Epoch);
        Run(true, 0.1, 2, first, resume: null, Halving());
        var last = Path.Combine(first, "last.ckpt");

        // Given the rate the first run was given: an exact resume, at the schedule's position (0.1 · 0.5² in epoch 3).
        var (kept, keptOutput) = Run(true, 0.1, 3, Path.Combine(folder.Path, "kept"), last, Halving());
        // Given a new rate: the schedule goes on from it (0.2 · 0.5²).
        var (changed, changedOutput) = Run(true, 0.2, 3, Path.Combine(folder.Path, "changed"), last, Halving());
        Assert.Multiple(() =>
        {
            Assert.That(kept.Series("lr"), Is.EqualTo(new[] { 0.1, 0.05, 0.025 }).Within(1e-15));
            Assert.That(keptOutput, Does.Contain("optimizer 0 (FlatAdam) continues at the checkpoint's learning rate 0.05 — its run, given 0.1 as this one is, had moved it there"));
            Assert.That(changed.Series("lr"), Is.EqualTo(new[] { 0.1, 0.05, 0.05 }).Within(1e-15));
            Assert.That(changedOutput, Does.Contain("uses the learning rate given, 0.2, instead of the checkpoint's 0.05 (its run was given 0.1); a schedule goes on from the new rate"));
        });
    }

    [Test]
    public void Checkpoint_of_another_architecture_is_refused_naming_the_difference()
    {
        var (train, _) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        {
            var model = Mlp();
            new Trainer(model, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions { Epochs = 1, Progress = false, Callbacks = [new ModelCheckpoint(folder.Path, monitor: null)] }).Fit(train);
            var wider = nn.Sequential(("hidden", nn.Linear(64, 48)), ("dropout", nn.Dropout(0.2)), ("relu", nn.ReLU()), ("output", nn.Linear(48, 10)));
            var trainer = new Trainer(wider, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions { Epochs = 2, Progress = false, ResumeFrom = Path.Combine(folder.Path, "last.ckpt") });
            Assert.That(() => trainer.Fit(train), Throws.TypeOf<InvalidDataException>()
                .With.Message.Contain("different architecture").And.Message.Contain("'hidden.weight' is [32, 64] there and [48, 64] here"));
        }
    }

    [Test]
    public void Truncated_or_foreign_checkpoint_files_are_refused_by_name()
    {
        var (train, _) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        {
            var model = Mlp();
            new Trainer(model, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions { Epochs = 1, Progress = false, Callbacks = [new ModelCheckpoint(folder.Path, monitor: null)] }).Fit(train);
            var good = File.ReadAllBytes(Path.Combine(folder.Path, "last.ckpt"));
            var truncated = Path.Combine(folder.Path, "truncated.ckpt");
            File.WriteAllBytes(truncated, good[..(good.Length * 2 / 3)]);
            var flipped = Path.Combine(folder.Path, "flipped.ckpt");
            var altered = (byte[])good.Clone();
            altered[good.Length / 2] ^= 0x40;
            File.WriteAllBytes(flipped, altered);
            var foreign = Path.Combine(folder.Path, "foreign.ckpt");
            File.WriteAllText(foreign, "not a checkpoint at all, but long enough to have a header and a hash ............");
            Assert.Multiple(() =>
            {
                Assert.That(() => CheckpointFile.Read(truncated), Throws.TypeOf<InvalidDataException>().With.Message.Contain(truncated).And.Message.Contain("truncated or corrupt"));
                Assert.That(() => CheckpointFile.Read(flipped), Throws.TypeOf<InvalidDataException>().With.Message.Contain("truncated or corrupt"));
                Assert.That(() => CheckpointFile.Read(foreign), Throws.TypeOf<InvalidDataException>().With.Message.Contain("not a TorchBinding checkpoint"));
                Assert.That(() => CheckpointFile.Read(Path.Combine(folder.Path, "missing.ckpt")), Throws.TypeOf<FileNotFoundException>());
            });
        }
    }

    [Test]
    public void Killing_a_process_while_it_writes_checkpoints_leaves_the_previous_one_intact()
    {
        using var folder = TestSupport.TemporaryFolder();
        var path = Path.Combine(folder.Path, "loop.ckpt");
        var child = TestSupport.ProjectOutput("tests/TorchBinding.TestChild", "TorchBinding.TestChild");
        var random = new Random(1);
        var strays = 0;
        var lastIteration = -1;
        var removedByNextWrite = false;
        List<string> Temporaries() => Directory.GetFiles(folder.Path).Where(f => f.EndsWith(".tmp", StringComparison.Ordinal)).ToList();
        void RunUntilOneWrite(Action? thenBeforeKill = null)
        {
            var start = new System.Diagnostics.ProcessStartInfo("dotnet", [child, "checkpoint-loop", path]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = System.Diagnostics.Process.Start(start)!;
            while (process.StandardOutput.ReadLine() is { } line && !line.StartsWith("wrote", StringComparison.Ordinal)) { }
            thenBeforeKill?.Invoke();
            process.Kill();
            process.WaitForExit();
        }
        // At least 8 kills, and on until one lands inside a write (the machine's load shifts the timing).
        for (var kill = 0; kill < 8 || (strays == 0 && kill < 40); kill++)
        {
            var before = Temporaries();
            // Wait for at least one complete write of this process, then kill at a random moment.
            RunUntilOneWrite(() =>
            {
                removedByNextWrite |= before.Count > 0 && before.All(f => !File.Exists(f));
                Thread.Sleep(random.Next(20, 300));
            });
            var data = CheckpointFile.Read(path); // must load: never half-written
            var iteration = (int)data.Metadata["iteration"]!;
            Assert.That(data.Model, Has.Length.GreaterThan(16_000_000));
            lastIteration = iteration;
            if (Temporaries().Count > 0)
                strays++;
        }
        if (!removedByNextWrite && Temporaries() is { Count: > 0 } left)
            RunUntilOneWrite(() => removedByNextWrite = left.All(f => !File.Exists(f)));
        Assert.That(lastIteration, Is.GreaterThanOrEqualTo(0));
        Assert.That(removedByNextWrite, Is.True, "a killed write's temporary file is removed by the next process's first write");
        Assert.That(strays, Is.GreaterThan(0), "at least one kill landed in the middle of a write (it left its temporary file)");
    }
}
