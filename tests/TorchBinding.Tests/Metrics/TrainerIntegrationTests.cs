using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Metrics;
using TorchBinding.Runtime;
using TorchBinding.Training;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Metrics;

/// <summary>The trainer takes a loss of the table and reports the metrics under their names.</summary>
public class TrainerIntegrationTests
{
    [Test]
    public void Trainer_with_a_table_loss_reports_accuracy_top_k_and_macro_f1()
    {
        Seeding.SeedEverything(1);
        using var digits = Digits.Load();
        var (train, test) = DatasetSplits.TrainTest(digits, 0.2, seed: 1);
        using (train)
        using (test)
        {
            var model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10));
            var trainer = new Trainer(model, LossCatalog.SquaredHinge.Create(Squash.Softmax), Optim.Adam(0.01), new TrainerOptions
            {
                Epochs = 4,
                Seed = 1,
                Progress = false,
                Metrics = [() => new Accuracy(), () => new TopKAccuracy(3), () => new MacroF1(10)],
            });
            var history = trainer.Fit(train, test);
            Assert.Multiple(() =>
            {
                Assert.That(history.Last("val_accuracy"), Is.GreaterThan(0.85));
                Assert.That(history.Last("val_top3_accuracy"), Is.GreaterThanOrEqualTo(history.Last("val_accuracy")!.Value));
                Assert.That(history.Last("val_macro_f1"), Is.GreaterThan(0.8));
                Assert.That(history.Last("train_accuracy"), Is.Not.Null);
            });
        }
    }
}
