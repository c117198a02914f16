// Regularisation, measured, and uncertainty from dropout. On 1,000 MNIST training images an MLP (784-256-256-10,
// Adam 1e-3, batch 50) fits the training set perfectly within a few epochs and then only overfits: what each
// regulariser buys is its test accuracy minus that of training without one, as a mean over seeds (with the spread,
// since a tenth of a point is within the noise of a 1,000-image set). The settings: none; L2 in the loss (λ/2·Σw²,
// which Adam then rescales per weight); decoupled weight decay (AdamW, Loshchilov & Hutter: the decay bypasses
// Adam's rescaling); L1 in the loss (λ·Σ|w|, pushes weights to exactly zero); dropout 0.2 and 0.5 after each
// hidden layer (Srivastava et al.); early stopping on a held-out validation split with the best epoch's weights
// restored; augmentation (shifts of up to 2 pixels, rotations up to 10°); mixup (Zhang et al., α = 0.4).
// Then MC dropout (Gal & Ghahramani 2016): a CNN with batch norm and dropout, run T = 50 times with dropout on and
// batch norm in eval mode, gives a predictive distribution whose entropy (total uncertainty) and mutual information
// (disagreement between the sampled networks) rise on inputs unlike its training data — rotated digits and
// Fashion-MNIST — so they can flag out-of-distribution inputs (AUROC), and rejecting the most uncertain test
// digits raises the accuracy on the rest.
using TorchBinding.Analysis.Uncertainty;
using TorchBinding.Data.Augmentation;
using TorchBinding.Losses;
using TorchBinding.Plots.Charts;
using TorchBinding.Runtime;
using TorchBinding.Statistics;

var run = ExperimentRun.Start(args, "regularization", "regularisers on 1,000 MNIST images over seeds, and MC-dropout uncertainty on MNIST, rotated digits and Fashion-MNIST",
    new ExtraOption("seeds", "seeds per setting", "3", FastDefault: "1"),
    new ExtraOption("epochs", "epochs per training", "60", FastDefault: "10"),
    new ExtraOption("passes", "MC-dropout passes T", "50", FastDefault: "10"));
if (run is null)
    return;
var seeds = run.Options.GetInt("seeds");
var epochs = run.Options.GetInt("epochs");

using var mnistTrain = Mnist.Load(DatasetPart.Train);
using var mnistTest = Mnist.Load(DatasetPart.Test);
using var train = mnistTrain.Take(1000, "mnist 1000");
using var validation = mnistTrain.Subset(Enumerable.Range(50000, run.Fast ? 1000 : 2000).Select(i => (long)i).ToList(), "mnist validation");
using var fastTest = run.Fast ? mnistTest.Take(2000) : null;
var test = fastTest ?? mnistTest;

// 1. The settings: what each adds to the plain recipe.
Setting[] settings =
[
    new("none", "none", "none"),
    new("l2", "L2 in the loss (λ = 1e-4)", "L2", L2: 1e-4),
    new("adamw", "AdamW (decay 0.3)", "AdamW", DecoupledDecay: 0.3),
    new("l1", "L1 in the loss (λ = 2e-5)", "L1", L1: 2e-5),
    new("dropout_0_2", "dropout 0.2", "drop 0.2", Dropout: 0.2),
    new("dropout_0_5", "dropout 0.5", "drop 0.5", Dropout: 0.5),
    new("early_stopping", "early stopping (patience 10)", "early stop", EarlyStopping: true),
    new("augmentation", "augmentation (shift ±2, rotate ±10°)", "augment", Augment: true),
    new("mixup", "mixup (α = 0.4)", "mixup", MixupAlpha: 0.4),
];

// One training of one setting with one seed: the history, the test accuracy, and the epoch early stopping kept.
(TrainingHistory History, double TestAccuracy) Train(Setting setting, int seed)
{
    Seeding.SeedEverything(seed);
    using var model = new Mlp(new MlpOptions { Sizes = [784, 256, 256, 10], Dropout = setting.Dropout });
    var weights = model.named_parameters().Where(p => p.name.EndsWith("weight", StringComparison.Ordinal)).Select(p => (Tensor)p.parameter).ToList();
    Func<Tensor>? penalty = setting.L2 > 0 ? () => setting.L2 * WeightPenalty.L2(weights)
        : setting.L1 > 0 ? () => setting.L1 * WeightPenalty.L1(weights) : null;
    var optimizer = setting.DecoupledDecay > 0 ? Optim.AdamW(1e-3, weightDecay: setting.DecoupledDecay) : Optim.Adam(1e-3);
    using var stopping = setting.EarlyStopping ? new EarlyStopping("val_loss", patience: 10) : null;
    var trainer = new Trainer(new RegularizedStep(model, penalty, setting.MixupAlpha > 0 ? new Mixup(10, setting.MixupAlpha, seed) : null), optimizer, new TrainerOptions
    {
        Epochs = epochs, BatchSize = 50, Seed = seed, Progress = false, Metrics = [() => new Accuracy()],
        Augmentation = setting.Augment ? new Compose(new RandomTranslation(2, 2, seed: seed), new RandomRotation(10, seed: seed + 1)) : null,
        Callbacks = stopping is null ? [] : [stopping],
    });
    var history = trainer.Fit(train, validation);
    using var logits = trainer.Predict(test);
    return (history, Accuracy.Of(logits, test.Targets));
}

// 2. Every setting over the seeds.
var clock = Stopwatch.StartNew();
Console.WriteLine($"  MLP 784-256-256-10 on {train.Count} MNIST images, {epochs} epochs, {seeds} seed(s) per setting; validation {validation.Count}, test {test.Count} images");
var results = new List<SettingResult>();
foreach (var setting in settings)
{
    var accuracies = new List<double>();
    TrainingHistory? first = null;
    for (var s = 0; s < seeds; s++)
    {
        var (history, accuracy) = Train(setting, run.Seed + s);
        first ??= history;
        accuracies.Add(accuracy);
    }
    var summary = Descriptive.Summarize(accuracies);
    results.Add(new SettingResult(setting, summary, first!));
    run.Metric($"{setting.Key}_test_accuracy", summary.Mean);
    run.Metric($"{setting.Key}_test_accuracy_std", summary.StandardDeviation);
    var stopped = setting.EarlyStopping ? $", stopped at epoch {first!.Epochs.Count}" : "";
    Console.WriteLine($"  {setting.Title,-38} test accuracy {summary.Mean:P2} ± {summary.StandardDeviation:P2} [{string.Join(", ", accuracies.Select(a => a.ToString("P2")))}]{stopped}");
}
var baseline = results[0].Accuracy.Mean;
foreach (var result in results.Skip(1))
    run.Metric($"{result.Setting.Key}_gain", result.Accuracy.Mean - baseline);
// The table, as Markdown: mean ± standard deviation over the seeds, and the gain over no regulariser.
File.WriteAllLines(run.PathFor("test_accuracy.md"),
[
    $"| setting | test accuracy (mean ± sd, {seeds} seeds) | range | gain over none |",
    "|---|---|---|---|",
    .. results.Select(r => $"| {r.Setting.Title} | {r.Accuracy.Mean:P2} ± {r.Accuracy.StandardDeviation:P2} | {r.Accuracy.Min:P2} – {r.Accuracy.Max:P2} | {(r.Accuracy.Mean - baseline) * 100:+0.00;−0.00;0.00} points |"),
]);
run.Report("regularization_seconds", Math.Round(clock.Elapsed.TotalSeconds), "seconds for all settings", "F0");

// 3. Figures: each setting's training and validation loss (first seed), and the test accuracies with their range.
var curves = new MultiPanelFigure(columns: 3) { Title = $"Training vs validation loss on {train.Count} MNIST images (seed {run.Seed})", PanelWidth = 420, PanelHeight = 300 };
foreach (var result in results)
{
    var chart = new LineChart { XLabel = "epoch", YLabel = "cross-entropy", LogY = true, ShowMarkers = false };
    chart.Add("validation", result.History.Series("val_loss").ToArray()).Add("training", result.History.Series("train_loss").ToArray(), dashed: true);
    curves.Add(chart, result.Setting.Title);
}
curves.Save(run.PathFor("curves.png"));
new BarChart(results.Select(r => r.Setting.Short).ToList())
    {
        Title = $"Test accuracy with each regulariser: mean of {seeds} seed(s), bar from lowest to highest", YLabel = "test accuracy", Width = 1000, Height = 520, Legend = LegendPosition.Hidden,
        YMin = Math.Floor(results.Min(r => r.Accuracy.Min) * 50) / 50, YMax = Math.Ceiling(results.Max(r => r.Accuracy.Max) * 50) / 50 + 0.005,
    }
    .Add("MLP on 1,000 images", results.Select(r => r.Accuracy.Mean).ToArray(), results.Select(r => r.Accuracy.Min).ToArray(), results.Select(r => r.Accuracy.Max).ToArray())
    .Save(run.PathFor("test_accuracy.png"));

// 4. MC dropout. A CNN with batch norm after its convolutions, channel dropout 0.1 after each block and dropout 0.3
// before each fully connected layer, trained on 10,000 MNIST images.
var passes = run.Options.GetInt("passes");
var perSet = run.Fast ? 300 : 2000;
Seeding.SeedEverything(run.Seed);
using var mcTrain = mnistTrain.Take(run.Fast ? 2000 : 10000);
var cnn = new Cnn(new CnnOptions { Channels = [16, 32], KernelSize = 3, BatchNorm = true, ConvDropout = 0.1, Hidden = [128], Dropout = 0.3 });
new Trainer(cnn, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
    run.TrainerOptions with { Epochs = run.Fast ? 2 : 5, BatchSize = 64, Progress = false }).Fit(mcTrain);

using var fashion = FashionMnist.Load(DatasetPart.Test);
using var digits = mnistTest.Inputs[..perSet].clone();
using var labels = mnistTest.Targets[..perSet].clone();
using var rotated = digits.rot90(1, (2, 3));                     // the same digits turned by 90°
using var clothes = fashion.Inputs[..perSet].clone();
Seeding.SeedEverything(run.Seed);
var sets = new (string Name, Tensor Images)[] { ("MNIST test", digits), ("MNIST rotated 90°", rotated), ("Fashion-MNIST", clothes) };
var predictions = sets.Select(s => McDropout.Predict(cnn, s.Images, passes)).ToList();
double[] Read(Tensor t) => t.to(float64).data<double>().ToArray();
var entropy = predictions.Select(p => Read(p.Entropy)).ToList();
var information = predictions.Select(p => Read(p.MutualInformation)).ToList();
var mcAccuracy = Accuracy.Of(predictions[0].Mean, labels);
run.Report("mc_dropout_test_accuracy", mcAccuracy, $"MC-dropout CNN: accuracy on {perSet} MNIST test digits (T = {passes})", "P2");
for (var i = 0; i < sets.Length; i++)
    Console.WriteLine($"  {sets[i].Name,-18} mean predictive entropy {entropy[i].Average():F3} nats, mean mutual information {information[i].Average():F4} nats");

// AUROC of telling the in-distribution digits (label 0) from an out-of-distribution set (label 1) by a score.
double Auroc(double[] inDistribution, double[] outOfDistribution)
{
    var auc = new RocAuc();
    using var scores = tensor(inDistribution.Concat(outOfDistribution).ToArray());
    using var truth = tensor(inDistribution.Select(_ => 0L).Concat(outOfDistribution.Select(_ => 1L)).ToArray());
    auc.Update(scores, truth);
    return auc.Compute();
}
run.Report("mc_dropout_ood_auroc", Auroc(entropy[0], entropy[2]), "AUROC, MNIST vs Fashion-MNIST by predictive entropy", "F3");
run.Report("mc_dropout_ood_auroc_mutual_information", Auroc(information[0], information[2]), "AUROC, MNIST vs Fashion-MNIST by mutual information", "F3");
run.Report("mc_dropout_rotated_auroc", Auroc(entropy[0], entropy[1]), "AUROC, MNIST vs rotated MNIST by predictive entropy", "F3");
run.Report("mc_dropout_rotated_auroc_mutual_information", Auroc(information[0], information[1]), "AUROC, MNIST vs rotated MNIST by mutual information", "F3");

// Accuracy on the test digits kept when the most uncertain fraction is rejected.
var correct = Read(predictions[0].Predicted.eq(labels).to(float64));
double AccuracyKept(double[] score, double rejected)
{
    var keep = (int)Math.Round(score.Length * (1 - rejected));
    return Enumerable.Range(0, score.Length).OrderBy(i => score[i]).Take(keep).Average(i => correct[i]);
}
var fractions = Enumerable.Range(0, 19).Select(i => i * 0.05).ToArray();
new LineChart { Title = $"Accuracy on the {perSet} MNIST test digits kept, rejecting the most uncertain", XLabel = "fraction rejected", YLabel = "accuracy of the rest" }
    .Add("by predictive entropy", fractions, fractions.Select(f => AccuracyKept(entropy[0], f)).ToArray())
    .Add("by mutual information", fractions, fractions.Select(f => AccuracyKept(information[0], f)).ToArray())
    .Add("at random", fractions, fractions.Select(_ => mcAccuracy).ToArray(), dashed: true)
    .Save(run.PathFor("accuracy_vs_rejection.png"));
foreach (var f in new[] { 0.05, 0.1, 0.2 })
    run.Metric($"mc_dropout_accuracy_rejecting_{(int)(f * 100)}_percent", AccuracyKept(entropy[0], f));
Console.WriteLine($"  rejecting the 5 / 10 / 20 % most uncertain digits: accuracy {AccuracyKept(entropy[0], 0.05):P2} / {AccuracyKept(entropy[0], 0.1):P2} / {AccuracyKept(entropy[0], 0.2):P2} (all: {mcAccuracy:P2})");

var histograms = new MultiPanelFigure(columns: 2) { Title = $"MC dropout, T = {passes}: uncertainty in and out of distribution ({perSet} images each)", PanelWidth = 560, PanelHeight = 380 };
var entropyChart = new HistogramChart { Bins = 40, Scale = HistogramScale.Density, XLabel = "predictive entropy H[p̄] (nats)" };
var informationChart = new HistogramChart { Bins = 40, Scale = HistogramScale.Density, XLabel = "mutual information (nats)" };
for (var i = 0; i < sets.Length; i++)
{
    entropyChart.Add(sets[i].Name, entropy[i]);
    informationChart.Add(sets[i].Name, information[i]);
}
histograms.Add(entropyChart, "total uncertainty").Add(informationChart, "disagreement between the sampled networks").Save(run.PathFor("uncertainty_histograms.png"));
predictions.ForEach(p => p.Dispose());
cnn.Dispose();

var best = results.Skip(1).MaxBy(r => r.Accuracy.Mean)!;
run.Finish($"Regularization: no regulariser {baseline:P2}, best {best.Setting.Title} {best.Accuracy.Mean:P2} (mean of {seeds}); MC dropout AUROC MNIST vs Fashion-MNIST {run.Metrics["mc_dropout_ood_auroc"]:F3}");

/// <summary>One regularisation setting: its metrics key, its title (and a short one for axes), and what it changes (zero/false: nothing).</summary>
sealed record Setting(string Key, string Title, string Short, double Dropout = 0, double L2 = 0, double L1 = 0, double DecoupledDecay = 0,
    bool EarlyStopping = false, bool Augment = false, double MixupAlpha = 0);

/// <summary>A setting's test accuracy over seeds and the history of its first seed.</summary>
sealed record SettingResult(Setting Setting, SampleSummary Accuracy, TrainingHistory History);

/// <summary>
/// The supervised step with what regularisers add to it: a penalty on the weights added to the training loss (L1, L2),
/// and mixup of each training batch (soft targets). Validation measures the plain cross-entropy on unmixed data, so
/// every setting's validation curve means the same thing.
/// </summary>
sealed class RegularizedStep(nn.Module<Tensor, Tensor> model, Func<Tensor>? penalty, Mixup? mixup) : ITrainingStep
{
    public nn.Module Model => model;

    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        Tensor loss, output;
        if (mixup is null)
        {
            output = model.call(batch.Inputs);
            loss = nn.functional.cross_entropy(output, batch.Targets);
        }
        else
        {
            var mixed = mixup.Apply(batch.Inputs, batch.Targets);
            output = model.call(mixed.Inputs);
            loss = -(mixed.Targets * nn.functional.log_softmax(output, 1)).sum(dim: 1).mean();
        }
        // The penalty is minimised, not logged: every setting's training curve is the same cross-entropy.
        // Accuracy on mixed images against their first label would mean little: no training metrics with mixup.
        return new StepResult(loss, mixup is null ? output : null, Objective: penalty is null ? null : loss + penalty());
    }

    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        var output = model.call(batch.Inputs);
        return new StepResult(nn.functional.cross_entropy(output, batch.Targets), output);
    }
}
