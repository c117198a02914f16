using TorchBinding.Data;
using TorchBinding.Metrics;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

public class TrainerTests
{
    [Test]
    public void Mlp_on_the_digits_reaches_95_percent_on_held_out_data()
    {
        Seeding.SeedEverything(3);
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            var model = Mlp();
            var trainer = new Trainer(model, CrossEntropy, Optim.Adam(3e-3),
                new TrainerOptions { Epochs = 25, BatchSize = 32, Metrics = [() => new Accuracy()], Progress = false });
            var history = trainer.Fit(train, test);
            var result = trainer.Evaluate(test);
            Assert.Multiple(() =>
            {
                Assert.That(result["accuracy"], Is.GreaterThanOrEqualTo(0.95), "held-out accuracy");
                Assert.That(history.Epochs, Has.Count.EqualTo(25));
                Assert.That(history.Last("val_accuracy"), Is.EqualTo(result["accuracy"]).Within(1e-12), "validation = evaluation of the same data");
                Assert.That(history.Series("train_loss")[^1], Is.LessThan(history.Series("train_loss")[0]));
                Assert.That(history.StepLosses, Has.Count.EqualTo(25 * (int)Math.Ceiling(train.Count / 32.0)));
                Assert.That(history.SeriesNames, Is.SupersetOf(new[] { "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds" }));
                Assert.That(history.StopReason, Is.Null);
            });
        }
    }

    [TestCase(OptimizerImplementation.Flat)]
    [TestCase(OptimizerImplementation.TorchSharp)]
    public void Fit_leaves_no_live_tensors_behind(OptimizerImplementation implementation)
    {
        // The flat case found handles left by every checkpoint of a flat optimizer's state (now disposed).
        Seeding.SeedEverything(4);
        var (train, test) = Digits();
        var model = Mlp();
        var optimizer = Optim.Adam(1e-3).With(implementation);
        using var folder = TestSupport.TemporaryFolder();
        var options = new TrainerOptions
        {
            Epochs = 2, BatchSize = 64, Metrics = [() => new Accuracy()], Progress = false,
            Callbacks = [new EarlyStopping(patience: 5), new ModelCheckpoint(folder.Path), GradientClipping.ByNorm(1.0)],
        };
        var trainer = new Trainer(model, CrossEntropy, optimizer, options);
        trainer.Fit(train, test); // warm-up: optimizer state and caches are made in the first run
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.Fit(train, test);
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before));
        train.Dispose();
        test.Dispose();
    }

    [Test]
    public void Predict_and_evaluate_run_in_eval_mode_without_gradients()
    {
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            var model = Mlp();
            var trainer = new Trainer(model, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions { Epochs = 1, Progress = false });
            using var predictions = trainer.Predict(test);
            var a = trainer.Evaluate(test)["loss"];
            var b = trainer.Evaluate(test)["loss"];
            Assert.Multiple(() =>
            {
                Assert.That(predictions.shape, Is.EqualTo(new long[] { test.Count, 10 }));
                Assert.That(predictions.requires_grad, Is.False);
                Assert.That(b, Is.EqualTo(a), "dropout is off in eval mode, so evaluation is deterministic");
            });
        }
    }

    [Test]
    public void Predict_frees_each_batchs_activations_before_the_next_batch()
    {
        // A scope around the whole loop once kept every batch's activations alive to the end: 14 GB for the course
        // ResNet on the MNIST test set. The probe keeps a reference to its last intermediate and looks at it next time.
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            var probe = new ActivationProbe();
            var trainer = new Trainer(probe, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions { EvaluationBatchSize = 100, Progress = false });
            using var outer = NewDisposeScope();
            using var predictions = trainer.Predict(test);
            Assert.Multiple(() =>
            {
                Assert.That(probe.Calls, Is.EqualTo((test.Count + 99) / 100));
                Assert.That(probe.PreviousAliveOnNextCall, Is.Zero, "no earlier batch's intermediate was alive when the next batch came");
                Assert.That(predictions.shape, Is.EqualTo(new long[] { test.Count, 10 }));
                Assert.That(predictions.IsInvalid, Is.False);
            });
        }
    }

    sealed class ActivationProbe : nn.Module<Tensor, Tensor>
    {
        readonly TorchSharp.Modules.Linear _layer = nn.Linear(64, 10);
        Tensor? _previous;

        public ActivationProbe() : base(nameof(ActivationProbe)) => RegisterComponents();

        public int Calls { get; private set; }

        public int PreviousAliveOnNextCall { get; private set; }

        public override Tensor forward(Tensor input)
        {
            Calls++;
            if (_previous is { IsInvalid: false })
                PreviousAliveOnNextCall++;
            _previous = input.relu();
            return _layer.call(_previous);
        }
    }

    [Test]
    public void Progress_writes_one_line_per_epoch_when_redirected()
    {
        var (train, _) = Digits();
        using (train)
        {
            var model = Mlp();
            var output = new StringWriter();
            new Trainer(model, CrossEntropy, Optim.Sgd(0.05), new TrainerOptions { Epochs = 3, ProgressWriter = output }).Fit(train);
            var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Has.Length.EqualTo(3));
            Assert.That(lines[2], Does.StartWith("epoch   3/3  train_loss").And.Contain("lr 5.00e-02"));
        }
    }

    [Test]
    public void Bad_options_and_data_are_refused_with_messages()
    {
        var model = Mlp();
        var optimizer = Optim.Sgd(0.1);
        using var tiny = new InMemoryDataset(zeros(5, 64), zeros(5, dtype: int64), "tiny");
        Assert.Multiple(() =>
        {
            Assert.That(() => new Trainer(model, CrossEntropy, optimizer, new TrainerOptions { Epochs = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("at least one epoch"));
            Assert.That(() => new Trainer(model, CrossEntropy, optimizer, new TrainerOptions { BatchSize = 10, DropLast = true, Progress = false }).Fit(tiny),
                Throws.ArgumentException.With.Message.Contain("5 samples make no full batch of 10"));
        });
    }

    /// <summary>A step that reports each batch's size and first input as extra values.</summary>
    sealed class ValuesStep(nn.Module model) : ITrainingStep
    {
        public nn.Module Model => model;

        public bool AutomaticOptimization => false;

        public StepResult TrainStep(Batch batch, TrainingContext context) => new(tensor(0.0),
            Values: new Dictionary<string, Tensor> { ["size"] = tensor((double)batch.Size), ["first"] = batch.Inputs[0, 0] });

        public StepResult EvaluationStep(Batch batch, TrainingContext context) => new(tensor(0.0));
    }

    [Test]
    public void A_steps_extra_values_are_averaged_per_epoch_weighted_by_batch_size()
    {
        // Inputs 0..9 in order, batches of 4: sizes 4, 4, 2; first inputs 0, 4, 8.
        // Mean size weighted by samples: (4·4 + 4·4 + 2·2) / 10 = 3.6; mean first input: (0·4 + 4·4 + 8·2) / 10 = 3.2.
        using var data = new InMemoryDataset(arange(10, dtype: float32).reshape(10, 1), zeros(10, dtype: int64), "ten");
        var model = nn.Linear(1, 1);
        var history = new Trainer(new ValuesStep(model), Optim.Sgd(0.1),
            new TrainerOptions { Epochs = 2, BatchSize = 4, Shuffle = false, Progress = false }).Fit(data);
        Assert.Multiple(() =>
        {
            Assert.That(history.Series("train_size"), Is.EqualTo(new[] { 3.6, 3.6 }).Within(1e-12));
            Assert.That(history.Series("train_first"), Is.EqualTo(new[] { 3.2, 3.2 }).Within(1e-6));
        });
    }
}

public class ProgressDisplayTests
{
    [Test]
    public void Long_runs_print_about_fifty_epoch_lines()
    {
        using var data = new TorchBinding.Data.InMemoryDataset(torch.rand(8, 2), torch.rand(8, 1), "tiny");
        var model = torch.nn.Linear(2, 1);
        var output = new StringWriter();
        new TorchBinding.Training.Trainer(model, (o, y) => torch.nn.functional.mse_loss(o, y), TorchBinding.Training.Optim.Sgd(0.01),
            new TorchBinding.Training.TrainerOptions { Epochs = 1000, BatchSize = 8, ProgressWriter = output }).Fit(data);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines, Has.Length.EqualTo(51), "epoch 1, then every 20th up to 1000");
        Assert.That(lines[^1], Does.StartWith("epoch 1000/1000"));
    }
}
