// A GAN that flips a biased coin: the course's simpleGAN. The data are 1024 flips with P(heads) = 0.3 (1 = heads);
// the generator maps z ~ N(0, 1) through 1 → 64 ReLU → 1 (linear output, 193 parameters) and the discriminator
// judges a number through 1 → 32 ReLU → 1 sigmoid (97 parameters). Binary cross-entropy, two Adams at 1e-3,
// batch 32, 500 epochs. The lecture's point: the generator never sees the data, only D's verdicts, yet it learns to
// send about 30 % of z to 1 and the rest to 0, a step function of z (the "learned density mapping"). The course
// printed D 0.671 and G 0.819 at epoch 450 (last batch) and 36 % heads in the 50 samples it showed (28.6 % of 1000
// in its older copy). Here the discriminator's sigmoid lives in the loss (BCE with logits: the same numbers, stable)
// and the generated batch is detached in D's step, which the notebook does not do (its G.zero_grad() discards what
// D's backward wrote into G, so the updates are the same).
using TorchBinding.Models.Generative;
using TorchBinding.Plots.Charts;

var run = ExperimentRun.Start(args, "coin_gan", "the course's simpleGAN: a 193-parameter generator learns coin flips with P(heads) = 0.3",
    new ExtraOption("epochs", "training epochs", "500", FastDefault: "300"),
    new ExtraOption("r1", "weight γ of the R1 penalty of the second run", "1"),
    new ExtraOption("seeds", "seeds of the R1 run, comma-separated: its P(heads) is reported for each and as their mean; the first one's GAN is drawn", "42,1,2", FastDefault: "42"));
if (run is null)
    return;

const double HeadsProbability = 0.3;
const int Flips = 1024, SnapshotEvery = 50;
// The fast mode trains 300 epochs, one seed (see GenerativeExampleTests for what it must still show).
var epochs = run.Options.GetInt("epochs");

using var flips = rand(Flips).lt(HeadsProbability).to(float32).unsqueeze(1);
using var data = new InMemoryDataset(flips, zeros(Flips, dtype: int64), "coin flips");
var realHeads = flips.mean().item<float>();
Console.WriteLine($"  {Flips} flips, {realHeads:P1} heads");

Gan NewGan() => new(
    new MlpGenerator(new MlpGeneratorOptions { LatentSize = 1, HiddenSizes = [64], OutputShape = [1], NegativeSlope = 0, Output = GanOutput.Linear }),
    new MlpDiscriminator(new MlpDiscriminatorOptions { InputShape = [1], HiddenSizes = [32], NegativeSlope = 0 }));

// 1000 unrounded generated samples of `gan` every 50 epochs, for the panel of histograms.
(TrainingHistory History, List<(int Epoch, float[] Samples)> Snapshots) Train(Gan gan, GanStepOptions options, int seed)
{
    gan.to(run.Device);
    var snapshots = new List<(int Epoch, float[] Samples)>();
    var snapshot = new EveryEpochs(SnapshotEvery, epoch =>
    {
        var samples = Samples(gan, 1000);
        snapshots.Add((epoch, samples));
        Console.WriteLine($"  epoch {epoch}: {samples.Count(x => x > 0.5) / 1000.0:P1} of 1000 samples above 1/2");
    });
    var trainer = new Trainer(new GanStep(gan, options), Gan.OptimizerRecipes(learningRate: 1e-3, beta1: 0.9),   // PyTorch's Adam defaults, as the course
        run.TrainerOptions with { Seed = seed, Epochs = epochs, BatchSize = 32, Callbacks = [snapshot] });
    return (trainer.Fit(data), snapshots);
}

// The course's recipe as it is (not in the fast mode).
float[]? courseGenerated = null;
if (!run.Fast)
{
    Console.WriteLine("The course's recipe:");
    var course = NewGan();
    var courseHistory = Train(course, new GanStepOptions(), run.Seed).History;
    courseGenerated = Samples(course, 10_000, seed: run.Seed);
    var courseHeads = courseGenerated.Count(x => x > 0.5) / 10_000.0;
    run.Report("course_recipe_heads_fraction", courseHeads, "course recipe: generated P(heads)", "F4");
    if (epochs >= 450)
        Console.WriteLine($"  epoch 450 means: D loss {courseHistory.Epochs[449]["train_d_loss"]:F3}, G loss {courseHistory.Epochs[449]["train_g_loss"]:F3} (course, last batch: D 0.671, G 0.819)");
}

// The R1 recipe once per seed (--seeds; the data stay the run's): a GAN this small lands a few points either side of
// 0.3 depending on its initialisation, so the headline is the mean. The first seed's GAN is the one drawn.
var r1 = run.Options.GetDouble("r1");
var seeds = run.Options.GetSeeds("seeds", run.Seed);
(Gan Gan, TrainingHistory History, List<(int Epoch, float[] Samples)> Snapshots) TrainWithR1(int seed)
{
    Console.WriteLine($"With the R1 penalty, γ = {r1}, seed {seed}:");
    TorchBinding.Runtime.Seeding.SeedEverything(seed);
    var withR1 = NewGan();
    var (fitted, taken) = Train(withR1, new GanStepOptions { R1Penalty = r1 }, seed);
    return (withR1, fitted, taken);
}
var (gan, history, snapshots) = TrainWithR1(seeds[0]);
Console.WriteLine($"  generator {gan.Generator.ParameterCount()} parameters, discriminator {gan.Discriminator.ParameterCount()}");

float[] Samples(Gan from, int count, int? seed = null)
{
    using var generator = seed is { } s ? new torch.Generator((ulong)s) : null;
    using var samples = from.Generator.Sample(count, generator: generator);
    return samples.cpu().data<float>().ToArray();
}

var generated = Samples(gan, 10_000, seed: seeds[0]);
var heads = generated.Count(x => x > 0.5) / (double)generated.Length;
var rounded = generated.Select(x => MathF.Round(x)).ToArray();
run.Report("generated_heads_fraction", heads, $"seed {seeds[0]}: generated P(heads) (G(z) > 0.5, 10,000 samples)", "F4");
var headsBySeed = new List<(int Seed, double Value)> { (seeds[0], heads) };
foreach (var seed in seeds.Skip(1))
{
    using var other = TrainWithR1(seed).Gan;
    headsBySeed.Add((seed, Samples(other, 10_000, seed: seed).Count(x => x > 0.5) / 10_000.0));
}
var headsOverSeeds = run.ReportOverSeeds("generated_heads_fraction", headsBySeed, "generated P(heads) over seeds (target 0.3)", "F4");
run.Report("rounded_outside_0_1_fraction", rounded.Count(x => x is not (0f or 1f)) / (double)rounded.Length, "rounded samples that are neither 0 nor 1", "F4");
run.Report("w1", WassersteinDistance.OneDimensional(generated.Select(x => (double)x).ToArray(), flips.data<float>().ToArray().Select(x => (double)x).ToArray()),
    "W1(generated, data)", "F4");
run.Report("final_d_loss", history.Last("train_d_loss")!.Value, "last epoch's D loss (ln 2 = 0.693 at equilibrium)", "F3");
run.Report("final_g_loss", history.Last("train_g_loss")!.Value, "last epoch's G loss", "F3");
run.Metric("data_heads_fraction", realHeads);
run.Metric("r1_penalty", r1);
run.Metric("epochs", history.Epochs.Count);

// Real vs generated every 50 epochs, one panel each.
var panels = new MultiPanelFigure(columns: 5) { Title = $"Real flips vs 1000 generated samples (unrounded), R1 penalty γ = {r1}", PanelWidth = 320, PanelHeight = 240 };
foreach (var (epoch, samples) in snapshots)
    panels.Add(new HistogramChart { Scale = HistogramScale.Fraction, Bins = 60, RangeMin = -1, RangeMax = 2, Legend = epoch == snapshots[0].Epoch ? LegendPosition.Auto : LegendPosition.Hidden }
        .Add("real", flips).Add("generated", samples), $"epoch {epoch}");
panels.Save(run.PathFor("histograms.png"));

// The learned mapping z → G(z), and where heads come from in z.
var z = Enumerable.Range(0, 601).Select(i => -3 + i * 0.01).ToArray();
float[] mapped;
using (no_grad())
using (var zs = tensor(z.Select(v => (float)v).ToArray()).reshape(-1, 1).to(run.Device))
{
    gan.Generator.eval();
    using var outputs = gan.Generator.call(zs, null);
    mapped = outputs.cpu().data<float>().ToArray();
}
var mapping = new LineChart { XLabel = "z", YLabel = "G(z)" }
    .Add("G(z)", z, mapped)
    .Add("rounded", z, mapped.Select(v => MathF.Round(v)).ToArray(), dashed: true);
using (var zs = randn(10_000, 1).to(run.Device))
using (no_grad())
using (var outputs = gan.Generator.call(zs, null))
{
    var zValues = zs.cpu().data<float>().ToArray();
    var gValues = outputs.cpu().data<float>().ToArray();
    var cumulative = new HistogramChart { Cumulative = true, Scale = HistogramScale.Fraction, Bins = 100, RangeMin = -4, RangeMax = 4, XLabel = "z" }
        .Add("z of tails (rounded G(z) = 0)", zValues.Where((_, i) => MathF.Round(gValues[i]) == 0).ToArray())
        .Add("z of heads (rounded G(z) = 1)", zValues.Where((_, i) => MathF.Round(gValues[i]) == 1).ToArray());
    new MultiPanelFigure(columns: 2) { PanelWidth = 560 }
        .Add(mapping, "Learned density mapping z → G(z)")
        .Add(cumulative, "Where heads and tails come from in z")
        .Save(run.PathFor("mapping.png"));
}

// Losses and D's verdicts per epoch.
var losses = new LineChart { XLabel = "epoch", YLabel = "BCE", ShowMarkers = false }
    .Add("D loss", history.Series("train_d_loss").ToArray())
    .Add("G loss", history.Series("train_g_loss").ToArray())
    .Add("ln 2", [1.0, epochs], [Math.Log(2), Math.Log(2)], dashed: true);
var verdicts = new LineChart { XLabel = "epoch", YLabel = "mean D(x)", ShowMarkers = false }
    .Add("D(real)", history.Series("train_d_real").ToArray())
    .Add("D(fake)", history.Series("train_d_fake").ToArray())
    .Add("1/2", [1.0, epochs], [0.5, 0.5], dashed: true);
new MultiPanelFigure(columns: 2) { Title = $"With the R1 penalty (γ = {r1})" }.Add(losses, "Losses (epoch means)").Add(verdicts, "The discriminator's verdicts").Save(run.PathFor("losses.png"));

HistogramChart Final(float[] samples) => new HistogramChart { Scale = HistogramScale.Fraction, Bins = 5, RangeMin = -1.5, RangeMax = 3.5 }
    .Add("real", flips).Add("generated, rounded", samples.Select(x => MathF.Round(x)).ToArray());
var final = new MultiPanelFigure(columns: 2) { Title = "Real flips vs 10,000 rounded generated samples" };
if (courseGenerated is not null)
    final.Add(Final(courseGenerated), $"the course's recipe: P(heads) {courseGenerated.Count(x => x > 0.5) / 10_000.0:F3}");
final.Add(Final(generated), $"with the R1 penalty: P(heads) {heads:F3}").Save(run.PathFor("final_histogram.png"));

var courseNote = run.Metrics.TryGetValue("course_recipe_heads_fraction", out var plain) ? $"; the course's recipe alone: {plain:F3}" : "";
run.Finish($"CoinGan: generated P(heads) {headsOverSeeds.Mean:F3} ± {headsOverSeeds.StandardDeviation:F3} with the R1 penalty over {seeds.Length} seeds (seed {seeds[0]}: {heads:F3}; data {realHeads:F3}, target 0.3) after {history.Epochs.Count} epochs, W1 to the data {run.Metrics["w1"]:F4}{courseNote}");

/// <summary>Calls an action after every <c>every</c>-th epoch.</summary>
sealed class EveryEpochs(int every, Action<int> action) : TrainingCallback
{
    public override void OnEpochCompleted(TrainingContext context, EpochRecord epoch)
    {
        if (epoch.Epoch % every == 0 || epoch.Epoch == context.Epochs)
            action(epoch.Epoch);
    }
}
