using System.Text.Json;
using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchBinding.Training.Schedules;
using TorchSharp;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

public class CallbackTests
{
    /// <summary>
    /// A step whose validation loss follows a script (one value per epoch) and whose training step writes the
    /// epoch number into the model's single weight, so "the weights of epoch k" are recognisable.
    /// </summary>
    sealed class ScriptedStep(double[] validationLosses, nn.Module<Tensor, Tensor> model) : ITrainingStep
    {
        public nn.Module Model => model;

        public bool AutomaticOptimization => false;

        public StepResult TrainStep(Batch batch, TrainingContext context)
        {
            using (no_grad())
                model.parameters().First().fill_(context.Epoch);
            return new StepResult(tensor(1.0));
        }

        public StepResult EvaluationStep(Batch batch, TrainingContext context) => new(tensor(validationLosses[context.Epoch - 1]));
    }

    static InMemoryDataset Ones(int n = 8) => new(ones(n, 1), zeros(n, dtype: int64), "ones");

    [Test]
    public void Early_stopping_stops_at_the_right_epoch_and_restores_the_best_weights()
    {
        // Best at epoch 3 (0.5); epochs 4 and 5 do not improve by more than 0.01; patience 2 stops after epoch 6.
        double[] losses = [1.0, 0.8, 0.5, 0.495, 0.6, 0.7, 0.1, 0.1];
        var model = nn.Linear(1, 1, hasBias: false);
        using var data = Ones();
        var stopping = new EarlyStopping("val_loss", patience: 2, minDelta: 0.01);
        var trainer = new Trainer(new ScriptedStep(losses, model), Optim.Sgd(0.1),
            new TrainerOptions { Epochs = 8, BatchSize = 8, Callbacks = [stopping], Progress = false });
        var history = trainer.Fit(data, data);
        Assert.Multiple(() =>
        {
            Assert.That(history.Epochs, Has.Count.EqualTo(6));
            Assert.That(stopping.StoppedEpoch, Is.EqualTo(6));
            Assert.That(stopping.BestEpoch, Is.EqualTo(3));
            Assert.That(model.parameters().First().item<float>(), Is.EqualTo(3f), "the weights of epoch 3 are back");
            Assert.That(history.StopReason, Does.Contain("early stopping").And.Contain("epoch 3"));
        });
    }

    [Test]
    public void Early_stopping_on_a_metric_to_maximise()
    {
        var stopping = new EarlyStopping("val_accuracy", patience: 1);
        Assert.That(stopping.Mode, Is.EqualTo(MonitorMode.Max));
        Assert.That(new EarlyStopping("val_loss").Mode, Is.EqualTo(MonitorMode.Min));
    }

    /// <summary>A model whose output becomes NaN (or whose gradient becomes NaN) from a given global step on.</summary>
    sealed class Poisoned : nn.Module<Tensor, Tensor>
    {
        readonly int fromStep;
        readonly bool gradientOnly;

        public Poisoned(int fromStep, bool gradientOnly) : base("poisoned")
        {
            (this.fromStep, this.gradientOnly) = (fromStep, gradientOnly);
            RegisterComponents();
        }

        readonly TorchSharp.Modules.Linear _linear = nn.Linear(64, 10);
        int _calls;


        public override Tensor forward(Tensor input)
        {
            var output = _linear.call(input);
            if (!training || ++_calls < fromStep)
                return output;
            // sqrt at 0 has an infinite slope: the loss stays finite, the gradient does not.
            return gradientOnly ? output + sqrt(_linear.weight!.sum() * 0).reshape(1, 1) : output * double.NaN;
        }
    }

    [TestCase(false, NonFiniteCheck.Loss, "the loss became NaN at epoch 2, step 3", true)]
    [TestCase(false, NonFiniteCheck.LossAndGradients, "the loss became NaN at epoch 2, step 3", true)]
    [TestCase(true, NonFiniteCheck.LossAndGradients, "the gradient of '_linear.weight' became NaN at epoch 2, step 3", true)]
    [TestCase(true, NonFiniteCheck.Loss, "the loss became NaN at epoch 2, step 4 (global step 27) because the weights are no longer finite ('_linear.weight' holds NaN): a gradient became non-finite in the update of the step before", false)]
    public void Non_finite_guard_stops_naming_epoch_step_and_what_went_bad(bool gradientOnly, NonFiniteCheck check, string message, bool weightsStayFinite)
    {
        var (train, _) = Digits();
        using (train)
        {
            var model = new Poisoned(fromStep: 26, gradientOnly); // 23 batches of 64 per epoch: step 26 is epoch 2, step 3
            var trainer = new Trainer(model, CrossEntropy, Optim.Sgd(0.01), new TrainerOptions { Epochs = 5, BatchSize = 64, Progress = false, NonFiniteCheck = check });
            var history = trainer.Fit(train);
            Assert.Multiple(() =>
            {
                Assert.That(history.StopReason, Does.Contain(message));
                Assert.That(history.Epochs, Has.Count.EqualTo(1), "the second epoch did not finish");
                Assert.That(model.parameters().All(p => p.isfinite().all().item<bool>()), Is.EqualTo(weightsStayFinite),
                    weightsStayFinite ? "the bad step was not applied" : "without the gradient check the bad update happened, and the message says so");
            });
        }
    }

    [Test]
    public void Gradient_clipping_by_norm_and_by_value_bounds_the_gradients()
    {
        var (train, _) = Digits();
        using (train)
        {
            foreach (var clip in new[] { GradientClipping.ByNorm(0.05), GradientClipping.ByValue(0.001) })
            {
                var model = Mlp();
                var observed = new List<(double Norm, double Max)>();
                var probe = new AfterBackward(context =>
                {
                    using var scope = NewDisposeScope();
                    var grads = context.Model.parameters().Select(p => p.grad!).ToList();
                    observed.Add((stack(grads.Select(g => g.norm()).ToArray()).norm().item<float>(), grads.Max(g => g.abs().max().item<float>())));
                });
                new Trainer(model, CrossEntropy, Optim.Sgd(0.1),
                    new TrainerOptions { Epochs = 1, BatchSize = 64, Callbacks = [clip, probe], Progress = false }).Fit(train);
                if (clip.MaxNorm is { } maxNorm)
                {
                    Assert.That(observed.Select(o => o.Norm), Has.All.LessThanOrEqualTo(maxNorm * 1.0001));
                    Assert.That(clip.LastNorm, Is.GreaterThan(maxNorm), "the raw norm was larger, so clipping acted");
                }
                else
                {
                    Assert.That(observed.Select(o => o.Max), Has.All.LessThanOrEqualTo(0.001 + 1e-9));
                }
            }
        }
    }

    sealed class AfterBackward(Action<TrainingContext> action) : TrainingCallback
    {
        public override void OnAfterBackward(TrainingContext context) => action(context);
    }

    [Test]
    public void One_cycle_follows_pytorchs_formula()
    {
        // PyTorch OneCycleLR(max_lr=0.1, total_steps=100), defaults pct_start=0.3, div_factor=25,
        // final_div_factor=1e4, cosine: initial 0.004, peak 0.1 at step 29 (= 0.3*100 - 1), final 4e-7 at step 99.
        // In between, cos annealing from a to b over phase progress p: b + (a - b)/2 * (1 + cos(pi p)).
        var schedule = new OneCycle(100);
        double Rate(long t) => 0.1 * schedule.Factor(t);
        double Cos(double a, double b, double p) => b + (a - b) / 2 * (1 + Math.Cos(Math.PI * p));
        Assert.Multiple(() =>
        {
            Assert.That(Rate(0), Is.EqualTo(0.004).Within(1e-12));
            Assert.That(Rate(29), Is.EqualTo(0.1).Within(1e-12));
            Assert.That(Rate(99), Is.EqualTo(4e-7).Within(1e-15));
            Assert.That(Rate(10), Is.EqualTo(Cos(0.004, 0.1, 10 / 29.0)).Within(1e-12));
            Assert.That(Rate(64), Is.EqualTo(Cos(0.1, 4e-7, 35 / 70.0)).Within(1e-12));
            Assert.That(Rate(64), Is.EqualTo((0.1 + 4e-7) / 2).Within(1e-12), "half way down the second phase");
            Assert.That(() => schedule.Factor(100), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Step_schedules_drive_the_optimizers_learning_rate_per_batch_and_per_epoch()
    {
        var (train, _) = Digits();
        using (train)
        {
            var model = Mlp();
            var steps = 3 * 23;
            var history = new Trainer(model, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions
            {
                Epochs = 3, BatchSize = 64, Progress = false,
                Callbacks = [new LearningRateScheduler(new OneCycle(steps), ScheduleInterval.Step)],
            }).Fit(train);
            var expected = Enumerable.Range(0, steps).Select(t => 0.1 * new OneCycle(steps).Factor(t)).ToList();
            Assert.That(history.StepLearningRates, Is.EqualTo(expected).Within(1e-12), "the rate used at each step, read from the param groups");

            // Planned by the trainer: a OneCycle without a length spans the run's 3 × 23 steps, as Lightning's estimated_stepping_batches.
            var planned = Mlp();
            var plannedHistory = new Trainer(planned, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions
            {
                Epochs = 3, BatchSize = 64, Progress = false,
                Callbacks = [new LearningRateScheduler(new OneCycle(), ScheduleInterval.Step)],
            }).Fit(train);
            Assert.That(plannedHistory.StepLearningRates, Is.EqualTo(expected).Within(1e-12), "OneCycle() planned over the run");
            Assert.That(() => new OneCycle().Factor(0), Throws.InvalidOperationException.With.Message.Contain("OneCycle has no length"));

            var model2 = Mlp();
            var history2 = new Trainer(model2, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions
            {
                Epochs = 5, BatchSize = 64, Progress = false,
                Callbacks = [new LearningRateScheduler(new StepDecay(2, 0.5), ScheduleInterval.Epoch)],
            }).Fit(train);
            Assert.That(history2.Series("lr"), Is.EqualTo(new[] { 0.1, 0.1, 0.05, 0.05, 0.025 }).Within(1e-12));
        }
    }

    [Test]
    public void Reduce_on_plateau_cuts_the_rate_after_patience_epochs_without_improvement()
    {
        double[] losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8, 0.8, 0.8];
        var model = nn.Linear(1, 1, hasBias: false);
        using var data = Ones();
        var history = new Trainer(new ScriptedStep(losses, model), Optim.Sgd(1.0), new TrainerOptions
        {
            Epochs = 9, BatchSize = 8, Progress = false, Callbacks = [new ReduceOnPlateau("val_loss", factor: 0.5, patience: 2)],
        }).Fit(data, data);
        // lr is recorded at the end of each epoch, after the plateau decision of the epoch before.
        // Bad epochs: 3, 4, 5 (3 > patience 2) -> halved after epoch 5; 6 improves; 7, 8, 9 bad -> halved after 9.
        Assert.That(history.Series("lr"), Is.EqualTo(new[] { 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5 }));
    }

    [Test]
    public void Metrics_logs_write_csv_and_json_lines()
    {
        var (train, test) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        using (test)
        {
            var model = Mlp();
            var csv = Path.Combine(folder.Path, "metrics.csv");
            var jsonl = Path.Combine(folder.Path, "metrics.jsonl");
            var history = new Trainer(model, CrossEntropy, Optim.Adam(), new TrainerOptions
            {
                Epochs = 3, Progress = false, Callbacks = [new MetricsLog(csv), new MetricsLog(jsonl, MetricsLogFormat.JsonLines)],
            }).Fit(train, test);
            var rows = File.ReadAllLines(csv);
            var objects = File.ReadAllLines(jsonl).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Multiple(() =>
            {
                Assert.That(rows[0], Is.EqualTo("epoch,lr,seconds,train_loss,val_loss"));
                Assert.That(rows, Has.Length.EqualTo(4));
                Assert.That(double.Parse(rows[3].Split(',')[4], System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(history.Last("val_loss")));
                Assert.That(objects, Has.Count.EqualTo(3));
                Assert.That(objects[1].GetProperty("epoch").GetInt32(), Is.EqualTo(2));
                Assert.That(objects[1].GetProperty("train_loss").GetDouble(), Is.EqualTo(history.Series("train_loss")[1]));
            });
        }
    }

    [Test]
    public void TensorBoard_log_writes_an_event_file()
    {
        var (train, _) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        {
            var model = Mlp();
            new Trainer(model, CrossEntropy, Optim.Adam(), new TrainerOptions
            {
                Epochs = 2, Progress = false, Callbacks = [new TensorBoardLog(folder.Path, logSteps: true)],
            }).Fit(train);
            var events = Directory.GetFiles(folder.Path, "events.out.tfevents.*", SearchOption.AllDirectories);
            Assert.That(events, Is.Not.Empty);
            Assert.That(new FileInfo(events[0]).Length, Is.GreaterThan(100));
        }
    }
}
