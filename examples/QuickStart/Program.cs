// QuickStart: a small MLP learns the UCI handwritten digits (8x8, embedded in the library).
// Everything a lecture's first experiment has: a seeded split with a held-out test set, mini-batches,
// a loss per epoch, and the test accuracy at the end, written to runs/quickstart/metrics.json, with the
// loss curve (loss.png) and the test set's confusion matrix (confusion_matrix.png) beside it.
using TorchBinding.Data;
using TorchBinding.Experiments;
using TorchBinding.Plots;
using TorchBinding.Plots.Images;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

var run = ExperimentRun.Start(args, "quickstart", "a 64-128-10 ReLU MLP on the embedded UCI digits",
    new ExtraOption("epochs", "training epochs", "30"),
    new ExtraOption("lr", "Adam learning rate", "0.001"));
if (run is null)
    return;

using var digits = Digits.Load();                     // [1797, 64] in [0, 1], labels 0..9
var (train, test) = DatasetSplits.TrainTest(digits, testFraction: 0.2, seed: run.Seed);
Console.WriteLine($"  {train.Count} training and {test.Count} held-out test images");

var model = nn.Sequential(
    ("hidden", nn.Linear(64, 128)),
    ("relu", nn.ReLU()),
    ("output", nn.Linear(128, 10))).to(run.Device);
var optimizer = optim.Adam(model.parameters(), lr: run.Options.GetDouble("lr"));
var epochs = run.Fast ? 15 : run.Options.GetInt("epochs");

using var batches = train.Batches(32, new BatchOptions { Seed = run.Seed, Device = run.Device });
var history = new TrainingHistory();
var learningRate = run.Options.GetDouble("lr");
var loss = double.NaN;
for (var epoch = 1; epoch <= epochs; epoch++)
{
    model.train();
    double sum = 0;
    foreach (var (x, y) in batches)
    {
        using var step = NewDisposeScope();
        optimizer.zero_grad();
        var batchLoss = nn.functional.cross_entropy(model.call(x), y);
        batchLoss.backward();
        optimizer.step();
        var stepLoss = batchLoss.item<float>();
        history.AddStep(stepLoss, learningRate);
        sum += stepLoss * x.shape[0];
    }
    loss = sum / batches.SampleCount;
    history.AddEpoch(new EpochRecord(epoch, new Dictionary<string, double> { ["train_loss"] = loss, ["lr"] = learningRate }));
    Console.WriteLine($"  epoch {epoch,3}/{epochs}  training loss {loss:F4}");
}

model.eval();
double accuracy;
var confusion = new long[10, 10];
using (no_grad())
using (NewDisposeScope())
{
    var x = test.Inputs.to(run.Device);
    var y = test.Targets.to(run.Device);
    var predicted = model.call(x).argmax(1);
    accuracy = predicted.eq(y).to(float64).mean().item<double>();
    var (truth, guess) = (y.cpu().data<long>().ToArray(), predicted.cpu().data<long>().ToArray());
    for (var i = 0; i < truth.Length; i++)
        confusion[truth[i], guess[i]]++;
}

HistoryPlot.Save(history, Path.Combine(run.OutputDirectory, "loss.png"), new HistoryPlotOptions { LogLoss = true, Title = "QuickStart: MLP on the digits" });
var matrix = Heatmap.ConfusionMatrix(confusion);
matrix.Title = $"Test digits: {accuracy:P1} correct";
matrix.Save(Path.Combine(run.OutputDirectory, "confusion_matrix.png"));

run.Metric("test_accuracy", accuracy);
run.Metric("final_train_loss", loss);
run.Metric("epochs", epochs);
run.Metric("test_samples", test.Count);
run.Finish($"QuickStart: test accuracy {accuracy:P2} on {test.Count} held-out digits after {epochs} epochs");
