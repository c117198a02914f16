using TorchBinding.Data;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchBinding.Training.Schedules;
using TorchSharp;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

/// <summary>The schedules' formulas and cases the callback tests leave out (cosine annealing, linear 1cycle, step decay's errors, plateau cooldown and floor).</summary>
public class ScheduleTests
{
    [Test]
    public void Cosine_annealing_follows_its_formula_and_stays_at_the_floor_after_its_length()
    {
        // η_t/η_0 = m + (1 − m)(1 + cos(π t/T))/2 with T = 10, m = 0.1: 1 at t = 0, 0.55 at 5, 0.1 from 10 on.
        var schedule = new CosineAnnealing(10, MinFactor: 0.1);
        Assert.Multiple(() =>
        {
            Assert.That(schedule.Factor(0), Is.EqualTo(1).Within(1e-12));
            Assert.That(schedule.Factor(5), Is.EqualTo(0.55).Within(1e-12));
            Assert.That(schedule.Factor(2), Is.EqualTo(0.1 + 0.9 * (1 + Math.Cos(Math.PI * 0.2)) / 2).Within(1e-12));
            Assert.That(schedule.Factor(10), Is.EqualTo(0.1).Within(1e-12));
            Assert.That(schedule.Factor(25), Is.EqualTo(0.1).Within(1e-12));
            Assert.That(() => new CosineAnnealing().Factor(0), Throws.InvalidOperationException.With.Message.Contain("no length"));
            Assert.That(() => new CosineAnnealing(0).Factor(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Cosine_annealing_without_a_length_spans_the_runs_epochs()
    {
        var (train, _) = Digits();
        using (train)
        {
            var model = Mlp();
            var history = new Trainer(model, CrossEntropy, Optim.Sgd(0.1), new TrainerOptions
            {
                Epochs = 4, BatchSize = 256, Progress = false,
                Callbacks = [new LearningRateScheduler(new CosineAnnealing(), ScheduleInterval.Epoch)],
            }).Fit(train);
            // The rate of epoch e (recorded at its end) is 0.1 · (1 + cos(π (e − 1)/4))/2.
            var expected = Enumerable.Range(0, 4).Select(t => 0.1 * (1 + Math.Cos(Math.PI * t / 4)) / 2).ToArray();
            Assert.That(history.Series("lr"), Is.EqualTo(expected).Within(1e-12));
        }
    }

    [Test]
    public void Linear_one_cycle_interpolates_straight_between_its_ends()
    {
        // 100 steps, peak at step 29: linear from 1/25 to 1, then from 1 to 1/25/1e4 over steps 29..99.
        var schedule = new OneCycle(100, Cosine: false);
        Assert.Multiple(() =>
        {
            Assert.That(schedule.Factor(0), Is.EqualTo(0.04).Within(1e-12));
            Assert.That(schedule.Factor(29), Is.EqualTo(1).Within(1e-12));
            Assert.That(schedule.Factor(10), Is.EqualTo(0.04 + 0.96 * 10 / 29.0).Within(1e-12));
            Assert.That(schedule.Factor(64), Is.EqualTo(1 + (4e-6 - 1) * 0.5).Within(1e-12));
            Assert.That(schedule.Factor(99), Is.EqualTo(4e-6).Within(1e-15));
            Assert.That(() => new OneCycle(1).Factor(0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("at least 2 steps"));
        });
    }

    [Test]
    public void Step_decay_multiplies_by_gamma_every_period_and_rejects_a_zero_period()
    {
        var schedule = new StepDecay(3, Gamma: 0.5);
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(0, 7).Select(t => schedule.Factor(t)), Is.EqualTo(new[] { 1, 1, 1, 0.5, 0.5, 0.5, 0.25 }));
            Assert.That(() => new StepDecay(0).Factor(1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("StepSize"));
        });
    }

    sealed class ScriptedLoss(double[] losses, nn.Module model) : ITrainingStep
    {
        public nn.Module Model => model;

        public bool AutomaticOptimization => false;

        public StepResult TrainStep(Batch batch, TrainingContext context) => new(tensor(1.0));

        public StepResult EvaluationStep(Batch batch, TrainingContext context) => new(tensor(losses[context.Epoch - 1]));
    }

    [Test]
    public void Reduce_on_plateau_waits_out_its_cooldown_and_never_goes_below_the_floor()
    {
        // Never improves after epoch 1. Patience 1: epochs 2, 3 are bad → ×0.1 after epoch 3 (1 → 0.1); cooldown 2
        // swallows epochs 4, 5; epochs 6, 7 bad → 0.01, but the floor is 0.05.
        double[] losses = [1, 1, 1, 1, 1, 1, 1, 1];
        var model = nn.Linear(1, 1);
        using var data = new InMemoryDataset(ones(4, 1), zeros(4, dtype: int64), "ones");
        var history = new Trainer(new ScriptedLoss(losses, model), Optim.Sgd(1.0), new TrainerOptions
        {
            Epochs = 8, BatchSize = 4, Progress = false,
            Callbacks = [new ReduceOnPlateau("val_loss", factor: 0.1, patience: 1, cooldown: 2, minRate: 0.05)],
        }).Fit(data, data);
        Assert.That(history.Series("lr"), Is.EqualTo(new[] { 1.0, 1.0, 1.0, 0.1, 0.1, 0.1, 0.1, 0.05 }).Within(1e-12));
        Assert.That(() => new ReduceOnPlateau(factor: 1.5), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
