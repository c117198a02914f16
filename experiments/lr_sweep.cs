// Learning-rate sweep: the quick start's 64-128-10 MLP on the UCI digits, trained with Adam at each learning rate,
// one run folder per rate (metrics.json, epochs.csv, loss.png: compare them with `torchbinding runs compare`),
// and one figure comparing them: too small a rate learns slowly, too large a one oscillates or diverges.
//
//   dotnet run experiments/lr_sweep.cs -- --lrs 1e-4,1e-3,1e-2 --out runs/lr_sweep
//
// A single-file program: the #:project lines below are all the build it needs (.NET 10 `dotnet run file.cs`).
#:project ../src/TorchBinding.Models/TorchBinding.Models.csproj
#:project ../src/TorchBinding.Plots/TorchBinding.Plots.csproj
#:project ../examples/Shared/TorchBinding.Experiments/TorchBinding.Experiments.csproj

using System.Globalization;
using TorchBinding.Data;
using TorchBinding.Experiments;
using TorchBinding.Losses;
using TorchBinding.Metrics;
using TorchBinding.Models;
using TorchBinding.Plots;
using TorchBinding.Plots.Charts;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;

var run = ExperimentRun.Start(args, "lr_sweep", "Adam learning rates for the digits MLP, one run folder per rate",
    new ExtraOption("lrs", "learning rates, comma-separated", "1e-4,3e-4,1e-3,3e-3,1e-2,3e-2,1e-1"),
    new ExtraOption("epochs", "training epochs per rate", "30"));
if (run is null)
    return;

var rates = run.Options.GetString("lrs").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
    .Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToList();
// Fast mode: 5 epochs per rate. Adam at 1e-3 is then already well above chance on the digits, 1e-4 is not yet.
var epochs = run.Fast ? 5 : run.Options.GetInt("epochs");

var digits = DatasetCatalog.Get("digits");
using var trainPart = digits.Load(DatasetPart.Train);
using var test = digits.Load(DatasetPart.Test);
var (train, validation) = DatasetSplits.TrainTest(trainPart, 0.1, run.Seed);
Console.WriteLine($"  {train.Count} training, {validation.Count} validation, {test.Count} test digits; {epochs} epochs per rate");

var curves = new LineChart { Title = "Validation loss per epoch", XLabel = "epoch", YLabel = "validation loss", LogY = true };
var results = new List<(double Rate, double Accuracy)>();
for (var i = 0; i < rates.Count; i++)
{
    var rate = rates[i];
    var label = rate.ToString("0.####", CultureInfo.InvariantCulture);
    var folder = run.PathFor($"lr_{label}");
    TorchBinding.Runtime.Seeding.SeedEverything(run.Seed);            // every rate starts from the same weights
    var model = ModelCatalog.Create("mlp", new ModelRequest(digits.InputShape, digits.Classes, [128])).to(run.Device);
    var trainer = new Trainer(model, LossCatalog.Log.Create(), Optim.Adam(rate),
        new TrainerOptions
        {
            Epochs = epochs, BatchSize = 32, Seed = run.Seed, Metrics = [() => new Accuracy()], Progress = false,
            Callbacks = [new MetricsLog(Path.Combine(folder, "epochs.csv"))],
        });
    var history = trainer.Fit(train, validation);
    var accuracy = trainer.Evaluate(test)["accuracy"];
    HistoryPlot.Save(history, Path.Combine(folder, "loss.png"), new HistoryPlotOptions { LogLoss = true, Title = $"Adam lr {label}" });
    RunFolder.WriteMetrics(folder, new() { ["lr"] = rate, ["test_accuracy"] = accuracy, ["epochs"] = history.Epochs.Count, ["val_loss"] = history.Last("val_loss") ?? double.NaN });
    curves.Add($"lr {label}", history.Series("val_loss").ToArray(), Palette.Get(i, rates.Count));
    results.Add((rate, accuracy));
    Console.WriteLine($"  lr {label,-8} test accuracy {accuracy:P2}  final validation loss {history.Last("val_loss"):F4}{(history.StopReason is { } reason ? $"  ({reason})" : "")}");
    run.Metric($"test_accuracy_lr_{label.Replace('.', '_').Replace('-', 'm')}", accuracy);
}

var accuracyChart = new LineChart { Title = "Test accuracy after training", XLabel = "learning rate (log scale: log10)", YLabel = "test accuracy", ShowMarkers = true };
accuracyChart.Add("Adam", results.Select(r => Math.Log10(r.Rate)).ToArray(), results.Select(r => r.Accuracy).ToArray());
new MultiPanelFigure(2) { Title = "Learning-rate sweep: 64-128-10 MLP on the digits" }
    .Add(curves).Add(accuracyChart).Save(run.PathFor("lr_sweep.png"));

var best = results.MaxBy(r => r.Accuracy);
run.Report("best_lr", best.Rate, "best learning rate", "G3");
run.Report("best_test_accuracy", best.Accuracy, "its test accuracy", "P2");
run.Metric("rates", results.Count);
run.Finish($"lr_sweep: best Adam learning rate {best.Rate.ToString("G3", CultureInfo.InvariantCulture)} ({best.Accuracy:P2} test accuracy) of {results.Count} rates; figure lr_sweep.png, one folder per rate");

/// <summary>A run folder's metrics.json, as ExperimentRun writes it (a flat object of numbers).</summary>
static class RunFolder
{
    public static void WriteMetrics(string folder, Dictionary<string, double> metrics)
    {
        Directory.CreateDirectory(folder);
        var json = new System.Text.Json.Nodes.JsonObject(metrics.Select(m => KeyValuePair.Create(m.Key, double.IsFinite(m.Value) ? (System.Text.Json.Nodes.JsonNode?)m.Value : null)));
        File.WriteAllText(Path.Combine(folder, "metrics.json"), json.ToJsonString(new() { WriteIndented = true }));
    }
}
