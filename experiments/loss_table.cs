// The lecture's loss table as an experiment (Janocha & Czarnecki, "On loss functions for deep neural networks in
// classification", 2017): every loss of LossCatalog trains the same 64-128-10 MLP on the UCI digits from the same
// initial weights, with the same data order and optimizer (Adam 1e-3, batch 32). For each loss: the test accuracy
// (how well it classifies) and the epochs until validation accuracy first reaches 90 % (how fast it learns). The
// paper's finding to look for: log loss is not the only good choice — the expectation losses and the squared hinge
// train about as well, and losses without a probabilistic reading still classify. One identity shows in the table:
// with softmax σ, the hinge loss Σ_j max(0, 1 − ŷ_j σ_j) = K − 2σ_y, the expectation loss Σ_j |σ_j − y_j| = 2(1 − σ_y)
// and Chebyshev's max_j |σ_j − y_j| = 1 − σ_y (no other σ_j exceeds 1 − σ_y) differ only by constants and scale,
// which Adam does not see: the three train identically, to the same accuracy.
//
//   dotnet run experiments/loss_table.cs -- --epochs 30 --out runs/loss_table
#:project ../src/TorchBinding.Models/TorchBinding.Models.csproj
#:project ../src/TorchBinding.Plots/TorchBinding.Plots.csproj
#:project ../examples/Shared/TorchBinding.Experiments/TorchBinding.Experiments.csproj

using System.Globalization;
using System.Text;
using TorchBinding.Data;
using TorchBinding.Experiments;
using TorchBinding.Losses;
using TorchBinding.Metrics;
using TorchBinding.Models;
using TorchBinding.Plots;
using TorchBinding.Plots.Charts;
using TorchBinding.Training;
using TorchSharp;

var run = ExperimentRun.Start(args, "loss_table", "every loss of the lecture's table trains the digits MLP: accuracy and speed",
    new ExtraOption("epochs", "training epochs per loss", "30"),
    new ExtraOption("target", "validation accuracy that counts as converged", "0.9"));
if (run is null)
    return;

// Fast mode: 4 epochs per loss, enough for log loss to pass 90 % validation accuracy on the digits.
var epochs = run.Fast ? 4 : run.Options.GetInt("epochs");
var target = run.Options.GetDouble("target");
var digits = DatasetCatalog.Get("digits");
using var trainPart = digits.Load(DatasetPart.Train);
using var test = digits.Load(DatasetPart.Test);
var (train, validation) = DatasetSplits.TrainTest(trainPart, 0.1, run.Seed);
// The SVM hinge takes one score per sample and ±1 labels: a binary loss, not one of the table's multi-class ones.
var losses = LossCatalog.All.Where(l => l != LossCatalog.SvmHinge).ToList();
Console.WriteLine($"  {losses.Count} losses, {train.Count} training / {validation.Count} validation / {test.Count} test digits, {epochs} epochs each");

var rows = new List<(LossDefinition Loss, double Accuracy, int? EpochsToTarget, IReadOnlyList<double> Curve)>();
foreach (var loss in losses)
{
    TorchBinding.Runtime.Seeding.SeedEverything(run.Seed);              // the same initial weights for every loss
    var model = ModelCatalog.Create("mlp", new ModelRequest(digits.InputShape, digits.Classes, [128])).to(run.Device);
    var trainer = new Trainer(model, loss.Create(), Optim.Adam(1e-3),
        new TrainerOptions { Epochs = epochs, BatchSize = 32, Seed = run.Seed, Metrics = [() => new Accuracy()], Progress = false });
    var history = trainer.Fit(train, validation);
    var curve = history.Series("val_accuracy");
    var first = curve.ToList().FindIndex(a => a >= target);
    int? reached = first >= 0 ? first + 1 : null;
    var accuracy = trainer.Evaluate(test)["accuracy"];
    rows.Add((loss, accuracy, reached, curve));
    Console.WriteLine($"  {loss.Name,-32} test accuracy {accuracy,8:P2}   epochs to {target:P0} validation accuracy: {(reached?.ToString(CultureInfo.InvariantCulture) ?? "not reached")}");
    run.Metric($"test_accuracy_{loss.Name}", accuracy);
    run.Metric($"epochs_to_target_{loss.Name}", reached ?? double.NaN);
}

// The table, as Markdown (README-ready), sorted by accuracy.
var table = new StringBuilder();
table.AppendLine(CultureInfo.InvariantCulture, $"| loss | formula (per sample) | test accuracy | epochs to {target:P0} validation accuracy |");
table.AppendLine("|---|---|---|---|");
foreach (var row in rows.OrderByDescending(r => r.Accuracy))
    table.AppendLine(CultureInfo.InvariantCulture, $"| `{row.Loss.Name}` | {row.Loss.Formula.Replace("|", "\\|", StringComparison.Ordinal)} | {row.Accuracy:P2} | {(row.EpochsToTarget?.ToString(CultureInfo.InvariantCulture) ?? $"> {epochs}")} |");
File.WriteAllText(run.PathFor("loss_table.md"), table.ToString());
Console.WriteLine();
Console.WriteLine(table);

var curves = new LineChart { Title = "Validation accuracy per epoch", XLabel = "epoch", YLabel = "validation accuracy", Legend = LegendPosition.Right };
for (var i = 0; i < rows.Count; i++)
    curves.Add(rows[i].Loss.Name, rows[i].Curve.ToArray(), Palette.Get(i, rows.Count), dashed: i >= 10);
var ordered = rows.OrderByDescending(r => r.Accuracy).ToList();
var floor = Math.Max(0, Math.Floor(ordered[^1].Accuracy * 20) / 20 - 0.05);   // the differences are a few percent: start the axis near them
var bars = new BarChart(ordered.Select(r => r.Loss.Name).ToList()) { Title = "Test accuracy", YLabel = "test accuracy", ShowValues = true, ValueFormat = "0.000", YMin = floor, YMax = 1.01 };
bars.Add(null, ordered.Select(r => r.Accuracy).ToArray());
new MultiPanelFigure(1) { Title = $"Janocha & Czarnecki's comparison on the digits: one MLP, {rows.Count} losses", PanelWidth = 1000, PanelHeight = 460 }
    .Add(curves).Add(bars).Save(run.PathFor("loss_table.png"));

var log = rows.Single(r => r.Loss == LossCatalog.Log);
var best = ordered[0];
run.Report("log_loss_test_accuracy", log.Accuracy, "log loss test accuracy", "P2");
run.Report("best_test_accuracy", best.Accuracy, $"best ({best.Loss.Name}) test accuracy", "P2");
run.Metric("losses", rows.Count);
run.Metric("losses_reaching_target", rows.Count(r => r.EpochsToTarget is not null));
run.Finish($"loss_table: {rows.Count(r => r.EpochsToTarget is not null)} of {rows.Count} losses reach {target:P0} validation accuracy in {epochs} epochs; best {best.Loss.Name} {best.Accuracy:P2}, log loss {log.Accuracy:P2} (loss_table.md, loss_table.png)");
