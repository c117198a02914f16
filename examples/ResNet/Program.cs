// ResNets. 1. The course's small ResNet on MNIST (3x3 conv 1→16 + BN + ReLU; two stages of two basic
// blocks, 16 then 32 channels, the second starting with stride 2 and a 1x1 conv + BN shortcut; average
// pool; Linear 32→10), Adam 1e-3, batch 100, 5 epochs: the course reports 98.95 % and 98.71 %.
// 2. The depth experiment of He et al. (2016): plain networks and their residual twins (the same layers,
// with and without identity shortcuts; parameter-free zero-padding shortcuts, so both have exactly the
// same parameters) of increasing depth, trained on the same budget. The lecture's claim: plain networks
// get worse with depth — their training error rises — and residual networks do not.
using TorchBinding.Plots.Charts;

var run = ExperimentRun.Start(args, "resnet", "the course ResNet on MNIST, and plain vs residual networks of increasing depth",
    new ExtraOption("epochs", "epochs of the course ResNet", "5"),
    new ExtraOption("depths", "depths (6n+2) of the experiment, comma-separated", "8,20,56"),
    new ExtraOption("steps", "training steps per network in the depth experiment", "400"));
if (run is null)
    return;

using var mnistTrain = Mnist.Load(DatasetPart.Train);
using var mnistTest = Mnist.Load(DatasetPart.Test);

// 1. The course ResNet, with the course's recipe (pixels in [0, 1]).
using var subset = run.Fast ? mnistTrain.Take(12000) : null;
var (train, test) = (subset ?? mnistTrain, mnistTest);
var course = ResNet.Course().to(run.Device);
Console.WriteLine($"  course ResNet: {course.ParameterCount():N0} parameters, {train.Count} training images");
var clock = Stopwatch.StartNew();
var trainer = new Trainer(course, (o, y) => nn.functional.cross_entropy(o, y), optim.Adam(course.parameters(), 1e-3),
    new TrainerOptions { Epochs = run.Fast ? 1 : run.Options.GetInt("epochs"), BatchSize = 100, Seed = run.Seed, Metrics = [() => new Accuracy()] });
var history = trainer.Fit(train, test);
var courseSeconds = clock.Elapsed.TotalSeconds;
using (var logits = trainer.Predict(test))
{
    var confusion = ClassificationReport.Write(run.OutputDirectory, history, logits, test, "Course ResNet on MNIST", prefix: "course_");
    run.Report("course_test_accuracy", confusion.Accuracy, "course ResNet: test accuracy", "P2");
}
run.Report("course_seconds", Math.Round(courseSeconds, 1), "course ResNet: seconds", "F1");
run.Metric("course_parameters", course.ParameterCount());

// 2. Plain vs residual at increasing depth, on 14x14 MNIST (average-pooled: a quarter of the compute).
var depths = run.Fast ? [8, 26] : run.Options.GetString("depths").Split(',').Select(int.Parse).ToArray();
var steps = run.Fast ? 120 : run.Options.GetInt("steps");
using var small = mnistTrain.Take(run.Fast ? 4000 : 20000);
using var pooled = small.WithInputs(nn.functional.avg_pool2d(small.Inputs, 2), "mnist 14x14");
var finalLoss = new Dictionary<(int Depth, bool Residual), double>();
var curves = new LineChart { Title = "Training loss (moving average of 20 steps)", XLabel = "step", YLabel = "cross-entropy", LogY = true };
foreach (var depth in depths)
{
    foreach (var residual in new[] { false, true })
    {
        torch.manual_seed(run.Seed);                                   // the same initial weights for both twins
        var model = ResNet.Cifar(depth, residual, inChannels: 1, classes: 10, shortcut: Shortcut.ZeroPadding).to(run.Device);
        var name = $"{(residual ? "residual" : "plain")}-{depth}";
        var timer = Stopwatch.StartNew();
        var fit = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), optim.SGD(model.parameters(), 0.05, momentum: 0.9),
            new TrainerOptions { Epochs = 1, BatchSize = 32, MaxStepsPerEpoch = steps, Seed = run.Seed, Progress = false }).Fit(pooled);
        var losses = fit.StepLosses;
        var smoothed = losses.Select((_, i) => losses.Skip(Math.Max(0, i - 19)).Take(Math.Min(20, i + 1)).Average()).ToArray();
        finalLoss[(depth, residual)] = smoothed[^1];
        curves.Add(name, smoothed, dashed: !residual);
        Console.WriteLine($"  {name,-12} {model.ParameterCount(),9:N0} parameters: training loss {smoothed[^1]:F4} after {steps} steps ({timer.Elapsed.TotalSeconds:F0} s)");
        run.Metric($"depth_{depth}_{(residual ? "residual" : "plain")}_loss", smoothed[^1]);
    }
}
var byDepth = new LineChart { Title = $"Training loss after {steps} steps", XLabel = "depth (layers)", YLabel = "cross-entropy (last 20 steps)", ShowMarkers = true }
    .Add("plain", depths.Select(d => (double)d).ToArray(), depths.Select(d => finalLoss[(d, false)]).ToArray(), dashed: true)
    .Add("residual", depths.Select(d => (double)d).ToArray(), depths.Select(d => finalLoss[(d, true)]).ToArray());
new MultiPanelFigure(columns: 2) { Title = "Plain vs residual networks of increasing depth (14x14 MNIST, SGD 0.05, momentum 0.9, batch 32)" }
    .Add(byDepth).Add(curves).Save(run.PathFor("depth.png"));

var deepest = depths.Max();
run.Metric("deepest", deepest);
run.Metric("deepest_plain_minus_residual_loss", finalLoss[(deepest, false)] - finalLoss[(deepest, true)]);
run.Finish($"ResNet: course ResNet {run.Metrics["course_test_accuracy"]:P2} on MNIST; at depth {deepest} training loss plain {finalLoss[(deepest, false)]:F3} vs residual {finalLoss[(deepest, true)]:F3}");
