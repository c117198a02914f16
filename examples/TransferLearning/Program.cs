// Transfer learning: features learned on one task help another that has few labels — if the tasks are related.
// The course's example is fastai's cnn_learner with an ImageNet ResNet-18, whose pretrained body is frozen and
// whose new head is trained (on colorectal histology tiles; the notebook kept no numbers); that needs ImageNet
// weights. Here the same moves on data this machine has. Pretrain the small CNN (93,482 parameters) on
// Fashion-MNIST, then learn MNIST digits from 10, 100 and 1,000 labelled images (balanced), three ways:
//   scratch   — the same network, randomly initialised, all layers trained;
//   frozen    — the pretrained convolutional body frozen (its batch norms too), a new head (both fully
//               connected layers) trained on its features;
//   finetune  — the pretrained body with a new head, everything trained, the body at a tenth of the head's
//               learning rate (1e-4 vs 1e-3), so that what it learned is adjusted rather than overwritten.
// Each setting runs with 3 seeds (other labelled images, other initialisations; pretraining is done once, at the run's
// seed) for the same number of steps and is tested on the whole test set; pixels stay in [0, 1]. Clothes are a distant source for digits; a second study
// transfers between related tasks: pretrain on the digits 0–4, then learn 5–9 from few labels.
using TorchBinding.Models.Transfer;
using TorchBinding.Plots.Charts;

var run = ExperimentRun.Start(args, "transfer_learning", "pretrain on Fashion-MNIST (or digits 0-4), then learn MNIST (or digits 5-9) from 10, 100 and 1000 labels: scratch vs frozen features vs fine-tuning",
    new ExtraOption("pretrain-epochs", "epochs of pretraining", "5", FastDefault: "1"),
    new ExtraOption("steps", "optimizer steps of each training on the few labels", "300", FastDefault: "80"),
    new ExtraOption("seeds", "seeds of each setting, comma-separated (each: its labelled images, initialisation and batches); results are their means", "42,1,2", FastDefault: "42"),
    new ExtraOption("body-lr", "fine-tuning: the pretrained body's learning rate (the head's is 1e-3)", "1e-4"));
if (run is null)
    return;

int[] labelCounts = [10, 100, 1000];
string[] strategies = ["scratch", "frozen", "finetune"];
var names = new Dictionary<string, string> { ["scratch"] = "from scratch", ["frozen"] = "frozen features + new head", ["finetune"] = "fine-tuned (body lr / 10)" };
var seeds = run.Options.GetSeeds("seeds", run.Seed);
var steps = run.Options.GetInt("steps");
var bodyLearningRate = run.Options.GetDouble("body-lr");

// Pretrains the small CNN on `source` (fast mode: 1 epoch on 10,000 images) and returns its weights.
Dictionary<string, Tensor> Pretrain(InMemoryDataset source, InMemoryDataset sourceTest, int classes, string key, string title)
{
    using var subset = run.Fast ? source.Take(10000) : null;
    var model = Cnn.Small(classes: classes).to(run.Device);
    var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
        run.TrainerOptions with { Epochs = run.Options.GetInt("pretrain-epochs"), BatchSize = 100, Metrics = [() => new Accuracy()] });
    trainer.Fit(subset ?? source);
    run.Report($"{key}_accuracy", trainer.Evaluate(sourceTest)["accuracy"], $"pretraining: {title} test accuracy", "P2");
    return model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
}

// `count` labelled images of `pool`, count/classes of each class, chosen by `seed`, repeated so that one (shuffled)
// epoch is exactly `steps` batches.
InMemoryDataset Labelled(InMemoryDataset pool, int classes, int count, int seed, int batchSize)
{
    var generator = new Random(seed);
    var labels = pool.Targets.data<long>().ToArray();
    var chosen = Enumerable.Range(0, classes)
        .SelectMany(c => Enumerable.Range(0, labels.Length).Where(i => labels[i] == c).OrderBy(_ => generator.Next()).Take(count / classes))
        .Select(i => (long)i).ToArray();
    var repeats = (steps * batchSize + chosen.Length - 1) / chosen.Length;
    var indices = Enumerable.Repeat(chosen, repeats).SelectMany(c => c).Take(steps * batchSize).ToArray();
    return pool.Subset(indices, $"{count} labels");
}

// One training on few labels with one strategy: returns the test accuracy.
double Learn(Study study, Dictionary<string, Tensor> pretrained, string strategy, int count, int seed)
{
    manual_seed(seed);
    var model = Cnn.Small(classes: study.Classes);
    if (strategy != "scratch")
    {
        model.load_state_dict(pretrained);
        TransferLearning.ReplaceHead(model, classes: study.Classes);            // a new output layer for the new classes
        TransferLearning.Reinitialize(model, "fc1");                            // the head's hidden layer starts afresh too
        if (strategy == "frozen")
            TransferLearning.Freeze(model, except: ["fc1", model.HeadName]);
    }
    model.to(run.Device);
    var optimizer = strategy == "finetune"
        ? Optim.Adam(bodyLearningRate).Group("fc1", learningRate: 1e-3).Group(model.HeadName, learningRate: 1e-3)
        : Optim.Adam(1e-3);                                                    // frozen: only the head requires gradients
    List<TrainingCallback> callbacks = strategy == "frozen" ? [new FrozenBatchNormCallback(model)] : [];
    var batchSize = Math.Min(count, 32);
    using var data = Labelled(study.Pool, study.Classes, count, seed, batchSize);
    var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), optimizer,
        new TrainerOptions { Epochs = 1, BatchSize = batchSize, Seed = seed, Progress = false, Metrics = [() => new Accuracy()], Callbacks = callbacks });
    trainer.Fit(data);
    return trainer.Evaluate(study.Test)["accuracy"];
}

// Every strategy, label count and seed of a study; its metrics are `{prefix}{strategy}_accuracy_{count}`.
void Compare(Study study, Dictionary<string, Tensor> pretrained)
{
    var results = strategies.ToDictionary(s => s, _ => labelCounts.ToDictionary(n => n, _ => new List<double>()));
    var clock = Stopwatch.StartNew();
    Console.WriteLine($"  {study.Title}: learning from few labels");
    foreach (var count in labelCounts)
    {
        foreach (var strategy in strategies)
        {
            foreach (var seed in seeds)
                results[strategy][count].Add(Learn(study, pretrained, strategy, count, seed));
            var accuracies = results[strategy][count];
            run.Report($"{study.Prefix}{strategy}_accuracy_{count}", accuracies.Average(),
                $"{count,5} labels, {strategy,-8}: test accuracy (mean of {string.Join(", ", accuracies.Select(a => a.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)))})", "P2");
            run.Metric($"{study.Prefix}{strategy}_accuracy_{count}_min", accuracies.Min());
            run.Metric($"{study.Prefix}{strategy}_accuracy_{count}_max", accuracies.Max());
        }
    }
    // What transfer buys: fine-tuned minus scratch, paired by seed (the same labelled images for both).
    foreach (var count in labelCounts)
        run.ReportOverSeeds($"{study.Prefix}finetune_minus_scratch_{count}",
            seeds.Select((seed, i) => (seed, results["finetune"][count][i] - results["scratch"][count][i])).ToList(), $"fine-tuning minus scratch at {count} labels", "P2");
    run.Report($"{study.Prefix}finetune_minus_scratch_100", run.Metrics[$"{study.Prefix}finetune_minus_scratch_100_mean"],
        $"fine-tuning minus scratch at 100 labels, mean ({clock.Elapsed.TotalSeconds:F0} s)", "P2");

    var chart = new LineChart
    {
        Title = $"{study.Title}: mean and range of {seeds.Length} seed{(seeds.Length > 1 ? "s" : "")}", Width = 760,
        XLabel = "labelled training images", YLabel = "test accuracy", LogX = true, YMin = 0, YMax = 1, Legend = LegendPosition.LowerRight,
    };
    var x = labelCounts.Select(n => (double)n).ToArray();
    for (var i = 0; i < strategies.Length; i++)
    {
        var strategy = strategies[i];
        var colour = Palette.OkabeIto[i];
        chart.Add(names[strategy], x, labelCounts.Select(n => results[strategy][n].Average()).ToArray(), colour);
        if (seeds.Length > 1)
            chart.AddBand(null, x, labelCounts.Select(n => results[strategy][n].Min()).ToArray(), labelCounts.Select(n => results[strategy][n].Max()).ToArray(), colour);
    }
    chart.Save(run.PathFor($"{study.Prefix}accuracy_vs_labels.png"));
}

using var mnistTrain = Mnist.Load(DatasetPart.Train);
using var mnistTest = Mnist.Load(DatasetPart.Test);

// 1. Fashion-MNIST → MNIST (fast mode: tested on the first 2,000 MNIST test images).
Dictionary<string, Tensor> fashion;
using (var fashionTrain = FashionMnist.Load(DatasetPart.Train))
using (var fashionTest = FashionMnist.Load(DatasetPart.Test))
    fashion = Pretrain(fashionTrain, fashionTest, 10, "pretrain_fashion", "Fashion-MNIST");
using (var testSubset = run.Fast ? mnistTest.Take(2000) : null)
    Compare(new Study("", "Fashion-MNIST → MNIST", mnistTrain, testSubset ?? mnistTest, 10), fashion);

// 2. Digits 0–4 → digits 5–9 (labels 5–9 become 0–4), a related task: the full mode only.
if (!run.Fast)
{
    InMemoryDataset Digits(InMemoryDataset data, int from, string name)
    {
        var labels = data.Targets.data<long>().ToArray();
        using var half = data.Subset(Enumerable.Range(0, labels.Length).Where(i => labels[i] >= from && labels[i] < from + 5).Select(i => (long)i).ToArray());
        return new InMemoryDataset(half.Inputs.clone(), half.Targets - from, name);
    }
    using var lowTrain = Digits(mnistTrain, 0, "digits 0-4");
    using var lowTest = Digits(mnistTest, 0, "digits 0-4, test");
    using var highTrain = Digits(mnistTrain, 5, "digits 5-9");
    using var highTest = Digits(mnistTest, 5, "digits 5-9, test");
    var low = Pretrain(lowTrain, lowTest, 5, "pretrain_digits_0_4", "digits 0–4");
    Compare(new Study("related_", "Digits 0–4 → digits 5–9", highTrain, highTest, 5), low);
    foreach (var tensor in low.Values)
        tensor.Dispose();
}
foreach (var tensor in fashion.Values)
    tensor.Dispose();

run.Finish($"TransferLearning: MNIST at 100 labels — scratch {run.Metrics["scratch_accuracy_100"]:P1}, frozen {run.Metrics["frozen_accuracy_100"]:P1}, fine-tuned {run.Metrics["finetune_accuracy_100"]:P1}" +
    (run.Metrics.TryGetValue("related_finetune_minus_scratch_10_mean", out var related) ? $"; digits 5–9 after 0–4 at 10 labels: fine-tuned beats scratch by {related * 100:F1} ± {run.Metrics["related_finetune_minus_scratch_10_std"] * 100:F1} points (mean of {seeds.Length} seeds)" : " (fast mode)"));

/// <summary>A transfer study: the metrics prefix, the title, the labelled pool and test set of the target task, and its class count.</summary>
record Study(string Prefix, string Title, InMemoryDataset Pool, InMemoryDataset Test, int Classes);
