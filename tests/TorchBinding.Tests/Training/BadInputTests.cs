using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

/// <summary>
/// What a user can get wrong when training, and what they are told: each mistake is refused before the first
/// step with a message naming the data, the shapes or values and the fix — never a silent wrong answer, never
/// a native backtrace.
/// </summary>
public class BadInputTests
{
    static TrainerOptions Quiet(int epochs = 1, int batchSize = 16) => new() { Epochs = epochs, BatchSize = batchSize, Progress = false };

    [Test]
    public void Outputs_n_by_1_with_targets_n_are_refused_before_they_broadcast()
    {
        using var data = new InMemoryDataset(rand(32, 3), rand(32), "regression");
        var model = nn.Linear(3, 1);
        var trainer = new Trainer(model, (o, y) => nn.functional.mse_loss(o, y), Optim.Sgd(0.1), Quiet());
        Assert.That(() => trainer.Fit(data), Throws.ArgumentException
            .With.Message.Contain("regression: the model's outputs are [2, 1] but the targets are [32]")
            .And.Message.Contain("broadcast").And.Message.Contain("targets.unsqueeze(-1)"));
    }

    [TestCase(new long[] { 0, 3, 10, 1 }, "label 10 is out of range for K = 10")]
    [TestCase(new long[] { 0, -1, 2, 1 }, "label -1 is out of range for K = 10")]
    public void Class_labels_outside_the_models_outputs_are_named(long[] labels, string message)
    {
        using var data = new InMemoryDataset(rand(4, 64), tensor(labels), "digits-like");
        var model = Mlp();
        var trainer = new Trainer(model, CrossEntropy, Optim.Sgd(0.1), Quiet());
        Assert.That(() => trainer.Fit(data), Throws.ArgumentException.With.Message.Contain("digits-like").And.Message.Contain(message));
    }

    [Test]
    public void Float_labels_and_labels_with_a_trailing_1_are_explained()
    {
        var model = Mlp();
        var trainer = new Trainer(model, CrossEntropy, Optim.Sgd(0.1), Quiet());
        using var floats = new InMemoryDataset(rand(4, 64), tensor(new[] { 0f, 1f, 2f, 3f }), "float-labels");
        using var column = new InMemoryDataset(rand(4, 64), tensor(new long[] { 0, 1, 2, 3 }).reshape(4, 1), "column-labels");
        Assert.Multiple(() =>
        {
            Assert.That(() => trainer.Fit(floats), Throws.ArgumentException.With.Message.Contain("float-labels: targets [4] of Float32 look like class labels")
                .And.Message.Contain("targets.to(int64)"));
            Assert.That(() => trainer.Fit(column), Throws.ArgumentException.With.Message.Contain("column-labels: class-index targets [4, 1] do not fit the model's outputs [2, 10]")
                .And.Message.Contain("targets.squeeze(1)"));
        });
    }

    [Test]
    public void A_validation_set_is_checked_too()
    {
        using var train = new InMemoryDataset(rand(8, 64), zeros(8, dtype: int64), "train");
        using var validation = new InMemoryDataset(rand(8, 64), full(8, 12L), "validation");
        var model = Mlp();
        Assert.That(() => new Trainer(model, CrossEntropy, Optim.Sgd(0.1), Quiet()).Fit(train, validation),
            Throws.ArgumentException.With.Message.Contain("validation").And.Message.Contain("label 12"));
    }

    [TestCase(double.NaN)]
    [TestCase(double.PositiveInfinity)]
    [TestCase(-0.1)]
    public void A_learning_rate_that_is_not_a_finite_number_at_least_0_is_refused(double rate)
    {
        using var data = new InMemoryDataset(rand(8, 64), zeros(8, dtype: int64), "data");
        var model = Mlp();
        // A recipe refuses such a rate itself; an optimizer made by hand and changed afterwards meets the trainer's check.
        Assert.That(() => Optim.Sgd(rate), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("LearningRate"));
        var optimizer = Optim.Custom("sgd, its rate set by hand", parameters =>
        {
            var sgd = optim.SGD(parameters, 0.1);
            foreach (var group in sgd.ParamGroups)
                group.LearningRate = rate;
            return sgd;
        });
        Assert.That(() => new Trainer(model, CrossEntropy, optimizer, Quiet()).Fit(data),
            Throws.ArgumentException.With.Message.Contain($"the learning rate is {rate}").And.Message.Contain("finite number ≥ 0"));
    }

    [Test]
    public void Resuming_with_fewer_epochs_than_the_checkpoint_has_trained_is_refused_and_equal_says_so()
    {
        var (train, _) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        {
            var model = Mlp();
            new Trainer(model, CrossEntropy, Optim.Adam(), Quiet(3, 64) with { Callbacks = [new ModelCheckpoint(folder.Path, monitor: null)] }).Fit(train);
            var last = Path.Combine(folder.Path, "last.ckpt");
            var resumed = Mlp();
            Assert.That(() => new Trainer(resumed, CrossEntropy, Optim.Adam(), Quiet(2, 64) with { ResumeFrom = last }).Fit(train),
                Throws.InvalidOperationException.With.Message.Contain("has trained 3 epoch(s)").And.Message.Contain("Epochs = 2").And.Message.Contain("Set Epochs above 3"));
            var output = new StringWriter();
            var history = new Trainer(resumed, CrossEntropy, Optim.Adam(), Quiet(3, 64) with { ResumeFrom = last, ProgressWriter = output }).Fit(train);
            Assert.That(output.ToString(), Does.Contain("has already trained all 3 epochs: nothing to train"));
            Assert.That(history.Epochs, Has.Count.EqualTo(3), "the checkpoint's history is returned");
        }
    }

    [Test]
    public void Resuming_inside_an_epoch_with_another_batch_size_is_refused()
    {
        var (train, _) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        {
            var model = Mlp();
            using var cancel = new CancellationTokenSource();
            var options = Quiet(3, 32) with { Callbacks = [new ModelCheckpoint(folder.Path, monitor: null), new OnBatch(c => { if (c.GlobalStep == 50) cancel.Cancel(); })] };
            Assert.That(() => new Trainer(model, CrossEntropy, Optim.Adam(), options).Fit(train, cancellation: cancel.Token), Throws.InstanceOf<OperationCanceledException>());
            var resumed = Mlp();
            Assert.That(() => new Trainer(resumed, CrossEntropy, Optim.Adam(), Quiet(3, 64) with { ResumeFrom = Path.Combine(folder.Path, "last.ckpt") }).Fit(train),
                Throws.InvalidOperationException.With.Message.Contain("stopped inside an epoch after 5 batch(es) of 32").And.Message.Contain("batches of 64")
                    .And.Message.Contain("Resume with BatchSize = 32"));
        }
    }

    [Test]
    public void A_batch_size_larger_than_the_data_set_trains_one_full_batch_per_epoch()
    {
        var (train, _) = Digits();
        using (train)
        {
            var model = Mlp();
            var history = new Trainer(model, CrossEntropy, Optim.Adam(), Quiet(2, int.MaxValue)).Fit(train);
            Assert.That(history.StepLosses, Has.Count.EqualTo(2), "one batch of all samples per epoch");
        }
    }

    [Test]
    public void A_disposed_data_set_says_it_was_disposed()
    {
        var (train, test) = Digits();
        test.Dispose();
        train.Dispose();
        var model = Mlp();
        Assert.Multiple(() =>
        {
            Assert.That(() => new Trainer(model, CrossEntropy, Optim.Adam(), Quiet()).Fit(train),
                Throws.TypeOf<ObjectDisposedException>().With.Message.Contain("was disposed"));
            Assert.That(() => train.Batches(8), Throws.TypeOf<ObjectDisposedException>());
            Assert.That(() => test.Count, Throws.TypeOf<ObjectDisposedException>());
        });
    }

    [Test]
    public void Metrics_log_agrees_with_the_checkpoint_after_a_kill_between_logging_and_checkpointing()
    {
        var (train, _) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        {
            var log = Path.Combine(folder.Path, "epochs.csv");
            var checkpoints = Path.Combine(folder.Path, "ckpt");
            var model = Mlp();
            // Two epochs logged and checkpointed; then epoch 3 logged but (as if killed before) not checkpointed.
            new Trainer(model, CrossEntropy, Optim.Adam(), Quiet(2, 64) with { Callbacks = [new MetricsLog(log), new ModelCheckpoint(checkpoints, monitor: null)] }).Fit(train);
            File.Copy(Path.Combine(checkpoints, "last.ckpt"), Path.Combine(folder.Path, "epoch2.ckpt"));
            new Trainer(model, CrossEntropy, Optim.Adam(), Quiet(3, 64) with { Callbacks = [new MetricsLog(log)], ResumeFrom = Path.Combine(checkpoints, "last.ckpt") }).Fit(train);
            Assert.That(File.ReadAllLines(log).Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "1", "2", "3" }));

            var resumed = Mlp();
            new Trainer(resumed, CrossEntropy, Optim.Adam(), Quiet(4, 64) with { Callbacks = [new MetricsLog(log)], ResumeFrom = Path.Combine(folder.Path, "epoch2.ckpt") }).Fit(train);
            Assert.That(File.ReadAllLines(log).Skip(1).Select(l => l.Split(',')[0]), Is.EqualTo(new[] { "1", "2", "3", "4" }), "epoch 3's first row was dropped, not duplicated");
        }
    }

    [Test]
    public void Stray_temporary_files_of_killed_writes_are_removed_by_the_next_write()
    {
        using var folder = TestSupport.TemporaryFolder();
        var target = Path.Combine(folder.Path, "last.ckpt");
        var dead = Path.Combine(folder.Path, $".last.ckpt.{int.MaxValue - 7}.{Guid.NewGuid():N}.tmp"); // no such process
        var live = Path.Combine(folder.Path, $".last.ckpt.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp"); // this one's (another thread's write)
        var other = Path.Combine(folder.Path, $".best.ckpt.{int.MaxValue - 7}.{Guid.NewGuid():N}.tmp"); // another file's
        foreach (var file in new[] { dead, live, other })
            File.WriteAllText(file, "partial");
        TorchBinding.Runtime.AtomicFile.WriteAllText(target, "complete");
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(target), Is.EqualTo("complete"));
            Assert.That(File.Exists(dead), Is.False, "a dead process's temporary file is removed");
            Assert.That(File.Exists(live), Is.True, "a live process's is not");
            Assert.That(File.Exists(other), Is.True, "other files' are left to their own next write");
        });
    }

    [Test]
    public void A_write_abandoned_by_a_process_ending_at_once_leaves_the_previous_file_and_no_temporary()
    {
        // What a second Ctrl+C does in the CLI, mid-way through a checkpoint write.
        using var folder = TestSupport.TemporaryFolder();
        var target = Path.Combine(folder.Path, "last.ckpt");
        File.WriteAllText(target, "previous");
        Assert.That(() => TorchBinding.Runtime.AtomicFile.Write(target, stream =>
        {
            stream.Write("half of the new"u8);
            TorchBinding.Runtime.AtomicFile.AbandonWritesInProgress();
            stream.Write(" checkpoint"u8);
        }), Throws.InstanceOf<IOException>(), "the abandoned write does not complete");
        Assert.Multiple(() =>
        {
            Assert.That(File.ReadAllText(target), Is.EqualTo("previous"));
            Assert.That(Directory.GetFiles(folder.Path, "*.tmp"), Is.Empty);
        });
        TorchBinding.Runtime.AtomicFile.WriteAllText(target, "next");
        Assert.That(File.ReadAllText(target), Is.EqualTo("next"), "later writes work as before");
    }

    [Test]
    public void Temporaries_of_ended_processes_are_removed_when_a_run_or_a_checkpointed_fit_starts()
    {
        using var folder = TestSupport.TemporaryFolder();
        string Plant(string name, int pid)
        {
            var path = Path.Combine(folder.Path, $".{name}.{pid}.{Guid.NewGuid():N}.tmp");
            File.WriteAllText(path, "partial");
            return path;
        }
        var dead = int.MaxValue - 7; // no such process
        var strays = new[] { Plant("last.ckpt", dead), Plant("metrics.json", dead), Plant("model.v1.safetensors", dead) };
        var live = Plant("last.ckpt", Environment.ProcessId); // a write of this process in progress
        var unrelated = Path.Combine(folder.Path, ".notes.tmp");
        File.WriteAllText(unrelated, "mine");
        TorchBinding.Experiments.ExperimentRun.Start(new TorchBinding.Experiments.ExperimentOptions { Name = "stray", OutputDirectory = folder.Path, Device = Devices.Parse("cpu") }, "a run folder with strays");
        Assert.Multiple(() =>
        {
            Assert.That(strays.Where(File.Exists), Is.Empty, "a dead process's temporaries of any file are removed");
            Assert.That(File.Exists(live) && File.Exists(unrelated), Is.True, "a live process's temporaries and other files stay");
        });

        var checkpoints = Path.Combine(folder.Path, "checkpoints");
        Directory.CreateDirectory(checkpoints);
        var stray = Path.Combine(checkpoints, $".best.ckpt.{dead}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(stray, "partial");
        using var data = new InMemoryDataset(rand(8, 3), rand(8, 1), "regression");
        var model = nn.Linear(3, 1);
        new Trainer(model, (o, y) => nn.functional.mse_loss(o, y), Optim.Sgd(0.1),
            new TrainerOptions { Epochs = 1, BatchSize = 4, Progress = false, Callbacks = [new ModelCheckpoint(checkpoints, monitor: null)] }).Fit(data);
        Assert.That(File.Exists(stray), Is.False, "ModelCheckpoint clears its folder when the fit starts");
    }
}
