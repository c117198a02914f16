using TorchBinding.Data;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

public class ConvergenceAndEarlyStoppingTests
{
    /// <summary>
    /// One weight w = 0 fitting y = x at x = 1 with MSE and SGD 0.25: w − 1 halves every step, so the loss before the
    /// step of epoch t (from 1) is 4^−(t−1): 1.5e-5 at epoch 9, 3.8e-6 at epoch 10 — the first at or below 1e-5.
    /// </summary>
    static (ConvergenceStop Stop, TrainingHistory History) Halving(double threshold, int epochs)
    {
        var model = nn.Linear(1, 1, hasBias: false);
        using (no_grad())
            model.weight!.zero_();
        using var data = new InMemoryDataset(ones(1, 1), ones(1, 1), "y = x at x = 1");
        var stop = new ConvergenceStop(threshold);
        var history = new Trainer(model, (o, y) => nn.functional.mse_loss(o, y), Optim.Sgd(0.25),
            new TrainerOptions { Epochs = epochs, BatchSize = 1, Progress = false, Callbacks = [stop] }).Fit(data);
        return (stop, history);
    }

    [Test]
    public void A_run_known_to_reach_the_threshold_at_epoch_10_counts_9_epochs_as_the_course_does()
    {
        var (stop, history) = Halving(1e-5, 500);
        Assert.Multiple(() =>
        {
            Assert.That(history.StepLosses[8], Is.EqualTo(Math.Pow(4, -8)).Within(1e-3).Percent, "epoch 9: 1.5e-5, not yet");
            Assert.That(history.StepLosses[9], Is.EqualTo(Math.Pow(4, -9)).Within(1e-3).Percent, "epoch 10: 3.8e-6");
            Assert.That(stop.ConvergedEpoch, Is.EqualTo(10));
            Assert.That(stop.EpochsToConverge(cap: 500), Is.EqualTo(9), "the course's 0-based epoch");
            Assert.That(history.Epochs, Has.Count.EqualTo(10), "training stopped there");
            Assert.That(history.StopReason, Does.Contain("converged"));
        });
    }

    [Test]
    public void A_run_that_never_reaches_the_threshold_counts_the_cap()
    {
        var (stop, history) = Halving(1e-5, epochs: 6);
        Assert.Multiple(() =>
        {
            Assert.That(stop.Converged, Is.False);
            Assert.That(stop.EpochsToConverge(cap: 6), Is.EqualTo(6));
            Assert.That(history.Epochs, Has.Count.EqualTo(6));
            Assert.That(() => new ConvergenceStop(double.NaN), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [Test]
    public void Early_stopping_on_an_overfitting_run_puts_back_the_weights_of_the_best_validation_loss()
    {
        // 150 digits trained hard (Adam 0.01, 80 epochs) overfit: the validation loss has a minimum and then rises.
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            using var small = train.Take(150);
            torch.manual_seed(5);
            var model = Mlp();
            var stopping = new EarlyStopping("val_loss", patience: 5);
            var trainer = new Trainer(model, CrossEntropy, Optim.Adam(0.01),
                new TrainerOptions { Epochs = 80, BatchSize = 32, Seed = 1, Progress = false, Callbacks = [stopping] });
            var history = trainer.Fit(small, test);
            var validation = history.Series("val_loss");
            Assert.Multiple(() =>
            {
                Assert.That(stopping.StoppedEpoch, Is.Not.Null, "the validation loss stopped improving");
                Assert.That(stopping.Best, Is.EqualTo(validation.Min()).Within(1e-12));
                Assert.That(validation[^1], Is.GreaterThan(stopping.Best!.Value), "the last epoch was worse than the best");
                Assert.That(trainer.Evaluate(test)["loss"], Is.EqualTo(stopping.Best!.Value).Within(1e-5), "the model now has the best epoch's weights");
            });
        }
    }
}
