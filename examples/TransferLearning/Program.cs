// Transfer learning: features learned on one task help another that has few labels. The course's example is
// fastai's cnn_learner with an ImageNet ResNet-18, whose pretrained body is frozen and whose new head is trained
// (on colorectal histology tiles; the notebook kept no numbers), which needs pretrained ImageNet weights. Here the
// same three moves on data this machine has: pretrain the small CNN (60,986 parameters) on Fashion-MNIST, then
// learn MNIST digits from 10, 100 and 1,000 labelled images (balanced: 1, 10, 100 per class), three ways:
//   scratch   — the same network, randomly initialised, all layers trained;
//   frozen    — the pretrained body frozen (its batch norms too), a new output layer trained on its features;
//   finetune  — the pretrained body with a new output layer, everything trained, the body at a tenth of the
//               head's learning rate (1e-4 vs 1e-3) so that what it learned is adjusted rather than overwritten.
// Each setting runs with 3 seeds (different labelled images and initialisations) for the same number of steps,
// and is tested on all 10,000 MNIST test images. Pixels stay in [0, 1] for both data sets.
using TorchBinding.Plots.Charts;
using TorchBinding.Transfer;

var run = ExperimentRun.Start(args, "transfer_learning", "pretrain on Fashion-MNIST, then learn MNIST from 10, 100 and 1000 labels: scratch vs frozen features vs fine-tuning",
    new ExtraOption("pretrain-epochs", "epochs of pretraining on Fashion-MNIST", "5"),
    new ExtraOption("steps", "optimizer steps of each MNIST training", "300"),
    new ExtraOption("seeds", "seeds per setting", "3"),
    new ExtraOption("body-lr", "fine-tuning: the pretrained body's learning rate (the head's is 1e-3)", "1e-4"));
if (run is null)
    return;

int[] labelCounts = [10, 100, 1000];
string[] strategies = ["scratch", "frozen", "finetune"];
var seeds = run.Fast ? 1 : run.Options.GetInt("seeds");
var steps = run.Fast ? 80 : run.Options.GetInt("steps");
var bodyLearningRate = run.Options.GetDouble("body-lr");

// 1. Pretraining on Fashion-MNIST (fast mode: 1 epoch on 10,000 images).
Dictionary<string, Tensor> pretrained;
using (var fashionTrain = FashionMnist.Load(DatasetPart.Train))
using (var fashionTest = FashionMnist.Load(DatasetPart.Test))
using (var fashionSubset = run.Fast ? fashionTrain.Take(10000) : null)
{
    var model = Cnn.Small().to(run.Device);
    var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), new FlatAdam(model.parameters(), 1e-3),
        new TrainerOptions { Epochs = run.Fast ? 1 : run.Options.GetInt("pretrain-epochs"), BatchSize = 100, Seed = run.Seed, Metrics = [() => new Accuracy()] });
    trainer.Fit(fashionSubset ?? fashionTrain);
    run.Report("pretrain_fashion_accuracy", trainer.Evaluate(fashionTest)["accuracy"], "pretraining: Fashion-MNIST test accuracy", "P2");
    pretrained = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
}

using var mnistTrain = Mnist.Load(DatasetPart.Train);
using var mnistTest = Mnist.Load(DatasetPart.Test);
// Fast mode: tested on the first 2,000 test images.
using var testSubset = run.Fast ? mnistTest.Take(2000) : null;
var test = testSubset ?? mnistTest;

// `count` labelled MNIST images, count/10 of each digit, chosen by `seed`; repeated (in shuffled order) so that one
// epoch is exactly `steps` batches.
InMemoryDataset Labelled(int count, int seed, int batchSize)
{
    var generator = new Random(seed);
    var labels = mnistTrain.Targets.data<long>().ToArray();
    var chosen = Enumerable.Range(0, 10)
        .SelectMany(digit => Enumerable.Range(0, labels.Length).Where(i => labels[i] == digit).OrderBy(_ => generator.Next()).Take(count / 10))
        .Select(i => (long)i).ToArray();
    var repeats = (steps * batchSize + chosen.Length - 1) / chosen.Length;
    var indices = Enumerable.Repeat(chosen, repeats).SelectMany(c => c).Take(steps * batchSize).ToArray();
    return mnistTrain.Subset(indices, $"mnist, {count} labels");
}

// One MNIST training of one strategy: returns the test accuracy.
double Learn(string strategy, int count, int seed)
{
    manual_seed(seed);
    var model = Cnn.Small();
    if (strategy != "scratch")
    {
        model.load_state_dict(pretrained);
        TransferLearning.ReplaceHead(model, classes: 10);                       // a new output layer: digits, not clothes
        TransferLearning.Reinitialize(model, "fc1");                            // the head's hidden layer starts afresh too
        if (strategy == "frozen")
            TransferLearning.Freeze(model, except: ["fc1", model.HeadName]);
    }
    model.to(run.Device);                                                       // before the optimizer, which takes the parameters' storage
    optim.Optimizer optimizer = strategy == "finetune"
        ? new FlatAdam(TransferLearning.LearningRateGroups(model, bodyLearningRate, ("fc1", 1e-3), (model.HeadName, 1e-3)).ToParamGroups<FlatAdam.Options>())
        : new FlatAdam(model.parameters(), 1e-3);                              // frozen: only the head requires gradients
    List<TrainingCallback> callbacks = strategy == "frozen" ? [new FrozenBatchNormCallback(model)] : [];
    var batchSize = Math.Min(count, 32);
    using var data = Labelled(count, seed, batchSize);
    var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), optimizer,
        new TrainerOptions { Epochs = 1, BatchSize = batchSize, Seed = seed, Progress = false, Metrics = [() => new Accuracy()], Callbacks = callbacks });
    trainer.Fit(data);
    return trainer.Evaluate(test)["accuracy"];
}

// 2. Every strategy, label count and seed.
var results = strategies.ToDictionary(s => s, _ => labelCounts.ToDictionary(n => n, _ => new List<double>()));
var clock = Stopwatch.StartNew();
foreach (var count in labelCounts)
{
    foreach (var strategy in strategies)
    {
        for (var s = 1; s <= seeds; s++)
            results[strategy][count].Add(Learn(strategy, count, run.Seed + s));
        var accuracies = results[strategy][count];
        run.Report($"{strategy}_accuracy_{count}", accuracies.Average(), $"{count,5} labels, {strategy,-8}: test accuracy (mean of {seeds}: {string.Join(", ", accuracies.Select(a => a.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)))})", "P2");
        run.Metric($"{strategy}_accuracy_{count}_min", accuracies.Min());
        run.Metric($"{strategy}_accuracy_{count}_max", accuracies.Max());
    }
    Console.WriteLine($"  ({clock.Elapsed.TotalSeconds:F0} s)");
}
run.Report("finetune_minus_scratch_100", run.Metrics["finetune_accuracy_100"] - run.Metrics["scratch_accuracy_100"], "fine-tuning minus scratch at 100 labels", "P2");

var chart = new LineChart
{
    Title = $"MNIST from few labels, after pretraining on Fashion-MNIST (mean and range of {seeds} seed{(seeds > 1 ? "s" : "")})",
    XLabel = "labelled MNIST training images", YLabel = "test accuracy", LogX = true, YMin = 0, YMax = 1, Legend = LegendPosition.LowerRight,
};
var names = new Dictionary<string, string> { ["scratch"] = "from scratch", ["frozen"] = "frozen features + new head", ["finetune"] = "fine-tuned (body lr / 10)" };
var x = labelCounts.Select(n => (double)n).ToArray();
for (var i = 0; i < strategies.Length; i++)
{
    var strategy = strategies[i];
    var colour = Palette.OkabeIto[i];
    chart.Add(names[strategy], x, labelCounts.Select(n => results[strategy][n].Average()).ToArray(), colour);
    if (seeds > 1)
        chart.AddBand(null, x, labelCounts.Select(n => results[strategy][n].Min()).ToArray(), labelCounts.Select(n => results[strategy][n].Max()).ToArray(), colour);
}
chart.Save(run.PathFor("accuracy_vs_labels.png"));
foreach (var tensor in pretrained.Values)
    tensor.Dispose();

run.Finish($"TransferLearning: 100 labels — scratch {run.Metrics["scratch_accuracy_100"]:P1}, frozen {run.Metrics["frozen_accuracy_100"]:P1}, fine-tuned {run.Metrics["finetune_accuracy_100"]:P1}{(run.Fast ? " (fast mode)" : "")}");
