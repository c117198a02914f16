// Seeds × models: how much of a difference between two models is the seed? Each model of the catalog trains on the
// same MNIST subset with several seeds (initial weights and data order change, nothing else), and the table gives
// each model's test accuracy as mean ± standard deviation over the seeds, with every seed's result in the figure.
// A gap between two models smaller than their spread is not a finding.
//
//   dotnet run experiments/seeds_models.cs -- --models mlp,cnn-course,resnet-course --seeds 1,2,3,4,5 --out runs/seeds_models
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

var run = ExperimentRun.Start(args, "seeds_models", "models × seeds on an MNIST subset: test accuracy mean ± spread",
    new ExtraOption("models", "models of the catalog, comma-separated", "mlp,cnn-course,resnet-course"),
    new ExtraOption("seeds", "seeds, comma-separated", "1,2,3,4,5"),
    new ExtraOption("train", "training images (the first N of MNIST's training set)", "10000"),
    new ExtraOption("epochs", "training epochs", "3"));
if (run is null)
    return;

static List<string> List(string text) => text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList();
// Fast mode: two models, two seeds, one epoch on 1000 images, tested on 2000: both models clear chance by far.
var models = run.Fast ? ["mlp", "cnn-course"] : List(run.Options.GetString("models"));
var seeds = (run.Fast ? ["1", "2"] : List(run.Options.GetString("seeds"))).Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToList();
var trainCount = run.Fast ? 1000 : run.Options.GetInt("train");
var epochs = run.Fast ? 1 : run.Options.GetInt("epochs");
foreach (var name in models)
    ModelCatalog.Get(name);                                            // unknown names fail here, listing the valid ones

var mnist = DatasetCatalog.Get("mnist");
using var fullTrain = mnist.Load(DatasetPart.Train);
using var fullTest = mnist.Load(DatasetPart.Test);
using var train = fullTrain.Take(trainCount);
using var testSubset = run.Fast ? fullTest.Take(2000) : null;
var test = testSubset ?? fullTest;
Console.WriteLine($"  {models.Count} models × {seeds.Count} seeds; {train.Count} training and {test.Count} test images; Adam 1e-3, batch 100, {epochs} epoch(s)");

var results = new Dictionary<string, List<double>>();
foreach (var name in models)
{
    results[name] = [];
    foreach (var seed in seeds)
    {
        TorchBinding.Runtime.Seeding.SeedEverything(seed);
        var model = ModelCatalog.Create(name, new ModelRequest(mnist.InputShape, mnist.Classes)).to(run.Device);
        var trainer = new Trainer(model, LossCatalog.Log.Create(), Optim.Adam(1e-3),
            new TrainerOptions { Epochs = epochs, BatchSize = 100, Seed = seed, Metrics = [() => new Accuracy()], Progress = false });
        var clock = System.Diagnostics.Stopwatch.StartNew();
        trainer.Fit(train);
        var accuracy = trainer.Evaluate(test)["accuracy"];
        results[name].Add(accuracy);
        Console.WriteLine($"  {name,-14} seed {seed}: test accuracy {accuracy:P2}  ({clock.Elapsed.TotalSeconds:F1} s)");
    }
}

static (double Mean, double Std) Spread(IReadOnlyList<double> values)
{
    var mean = values.Average();
    var std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : 0;
    return (mean, std);
}

var table = new StringBuilder();
table.AppendLine(CultureInfo.InvariantCulture, $"| model | test accuracy (mean ± sd over {seeds.Count} seeds) | min | max |");
table.AppendLine("|---|---|---|---|");
foreach (var (name, values) in results)
{
    var (mean, std) = Spread(values);
    table.AppendLine(CultureInfo.InvariantCulture, $"| `{name}` | {mean * 100:F2} ± {std * 100:F2} % | {values.Min():P2} | {values.Max():P2} |");
    var key = name.Replace('-', '_');
    run.Metric($"test_accuracy_mean_{key}", mean);
    run.Metric($"test_accuracy_sd_{key}", std);
}
File.WriteAllText(run.PathFor("seeds_models.md"), table.ToString());
Console.WriteLine();
Console.WriteLine(table);

var points = new ScatterChart { Title = "Each seed's test accuracy (x: model)", XLabel = string.Join(", ", models.Select((m, i) => $"{i + 1} {m}")), YLabel = "test accuracy" };
var bars = new BarChart(models) { Title = "Mean test accuracy", YLabel = "test accuracy", ShowValues = true, ValueFormat = "0.0000" };
bars.Add(null, models.Select(m => results[m].Average()).ToArray());
for (var i = 0; i < models.Count; i++)
{
    var values = results[models[i]];
    points.AddPoints(models[i], values.Select((_, s) => i + 1 + (s - (values.Count - 1) / 2.0) * 0.05).ToArray(), values.ToArray(), Palette.Get(i, models.Count));
}
new MultiPanelFigure(2) { Title = $"Seeds × models on {train.Count} MNIST images" }.Add(points).Add(bars).Save(run.PathFor("seeds_models.png"));

var ranked = results.OrderByDescending(r => r.Value.Average()).ToList();
var (topMean, topStd) = Spread(ranked[0].Value);
run.Report("best_mean_test_accuracy", topMean, $"best mean ({ranked[0].Key})", "P2");
run.Metric("models", models.Count);
run.Metric("seeds", seeds.Count);
run.Finish($"seeds_models: {ranked[0].Key} leads with {topMean:P2} ± {topStd * 100:F2} % over {seeds.Count} seeds (seeds_models.md, seeds_models.png)");
