// GANs on MNIST: an MLP GAN, a DCGAN and a class-conditional DCGAN, all trained by the same GAN step (two Adams at
// 2e-4, β₁ = 0.5, the DCGAN paper's; images scaled to [-1, 1] for the generators' tanh). The course has no MNIST GAN
// notebook (its GAN lecture is the coin-flip toy); this is the lecture's next step. What it shows:
//  - sample grids: the convolutional generator draws cleaner strokes than the fully connected one;
//  - the class histogram of unconditional samples, as the MNIST classifier sees them: mode collapse shows as
//    missing or over-represented digits;
//  - a "classifier FID" of each generator: the Fréchet distance between the 128 penultimate activations of an MNIST
//    classifier on generated digits and on real test digits (lower is better; not comparable with Inception FIDs);
//  - the conditional DCGAN asked for each digit: how often the classifier reads the digit that was asked for, as a
//    mean over three seeds (--seeds).
// The full mode's epochs (MLP GAN 20, DCGAN 5, conditional DCGAN 5 per seed) keep it within 10 minutes on two cores;
// longer runs score better (README). The DCGAN's discriminator is spectrally normalised (no batch norm), chosen for the
// balance it gives: D(real) and D(fake) near ½ (0.56/0.44 after 5 epochs) where the batch-normed one won (0.87/0.13).
// The conditional discriminator projects its features on the label's embedding (Miyato and Koyama): it starts slower
// than ten label channels (66 against 82 % of samples read as asked after 3 epochs, even after 4) but pulls ahead from
// the fifth epoch (94.8 against 92.0 %; 98.4 against 93.3 % after 8), judged by the classifier's reading of generated
// digits (no test digits). Probes, with the FIDs of the alternatives: docs/measurements/gan-balance-probes-2026-12-08.md.
using TorchBinding.Models.Evaluation;
using TorchBinding.Models.Generative;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;
using TorchBinding.Runtime;
using TorchBinding.Statistics;

var run = ExperimentRun.Start(args, "gan_mnist", "MLP GAN, DCGAN and conditional DCGAN on MNIST, judged by an MNIST classifier",
    new ExtraOption("mlp-epochs", "MLP GAN training epochs", "20", FastDefault: "1"),
    new ExtraOption("dcgan-epochs", "DCGAN training epochs", "5", FastDefault: "2"),
    new ExtraOption("conditional-epochs", "conditional DCGAN training epochs (per seed)", "5", FastDefault: "2"),
    new ExtraOption("samples", "generated samples per model for the FID and the class histogram (the Diffusion example uses 1000 too)", "1000"),
    new ExtraOption("seeds", "seeds of the conditional DCGAN, comma-separated: its label accuracy is reported for each and as their mean", "42,1,2", FastDefault: "42"),
    new ExtraOption("spectral-norm", "the (unconditional) DCGAN's discriminator spectrally normalised, without batch norm: true or false", "true"),
    new ExtraOption("d-conditioning", "how the conditional discriminator sees the label: projection (Miyato and Koyama) or channels (ten constant input channels)", "projection"),
    new ExtraOption("d-lr", "the discriminators' learning rate (the generators' is 2e-4; above it: the two time-scale rule)", "2e-4"));
if (run is null)
    return;

using var mnist = Mnist.Load(DatasetPart.Train);
using var test = Mnist.Load(DatasetPart.Test);
// The fast mode trains on the first 6000 images, one or two epochs per model: too short for digits, long enough for the
// discriminator to tell real from fake and to move the DCGAN's FID well below an untrained one's (see GenerativeExampleTests).
using var subset = run.Fast ? mnist.Take(6000) : null;
using var train = (subset ?? mnist).WithInputs((subset ?? mnist).Inputs * 2 - 1, "MNIST in [-1, 1]");
var sampleCount = run.Options.GetInt("samples");
Console.WriteLine($"  {train.Count} training images; {sampleCount} samples per model for the FID");

// The judge: a small CNN trained once on MNIST (cached), its penultimate layer the features.
using var judge = MnistFeatureExtractor.Load(new MnistFeatureOptions { Device = run.Device });
Console.WriteLine($"  MNIST feature network: {judge.TestAccuracy:P2} test accuracy");
using var testFeatures = judge.Features(test.Inputs);
using var realFeatures = judge.Features(mnist.Inputs.narrow(0, 0, sampleCount));
var realFid = run.Report("real_digits_fid", FrechetDistance.Of(realFeatures, testFeatures), $"classifier FID of {sampleCount} real training digits to the test digits (the floor)", "F3");

var spectralNorm = run.Options.GetString("spectral-norm") switch
{
    "true" => true,
    "false" => false,
    var other => throw new ArgumentException($"--spectral-norm '{other}' is not true or false."),
};
var discriminatorConditioning = run.Options.GetString("d-conditioning") switch
{
    "projection" => DiscriminatorConditioning.Projection,
    "channels" => DiscriminatorConditioning.InputChannels,
    var other => throw new ArgumentException($"--d-conditioning '{other}' is not projection or channels."),
};
var discriminatorLearningRate = run.Options.GetDouble("d-lr");
run.Metric("spectral_norm", spectralNorm ? 1 : 0);
run.Metric("discriminator_learning_rate", discriminatorLearningRate);

TrainingHistory Train(string name, Gan gan, int epochs, int seed)
{
    gan.to(run.Device);
    using var section = run.Section(name);
    Console.WriteLine($"{name}: generator {gan.Generator.ParameterCount():N0} parameters, discriminator {gan.Discriminator.ParameterCount():N0}; {epochs} epoch(s), seed {seed}");
    // In bf16 under autocast where the CPU computes it natively (--training-precision): 1.4× faster here.
    var trainer = new Trainer(new GanStep(gan), Gan.OptimizerRecipes(2e-4, beta1: 0.5, discriminatorLearningRate: discriminatorLearningRate),
        run.TrainerOptions with { Seed = seed, Epochs = epochs, BatchSize = 128, DropLast = true, Precision = run.TrainingPrecision });
    return trainer.Fit(train);
}

// Generated images in [0, 1] (the classifier's and the plots' scale), made in chunks without gradients.
Tensor Generate(GanGenerator generator, long count, Tensor? labels = null)
{
    using var noise = new torch.Generator((ulong)run.Seed);
    using var inference = run.Inference();   // bfloat16 where the CPU computes it natively
    var chunks = new List<Tensor>();
    for (long start = 0; start < count; start += 1000)
    {
        var n = Math.Min(1000, count - start);
        using var images = generator.Sample(n, labels?.narrow(0, start, n), noise);
        chunks.Add(((images + 1) / 2).clamp(0, 1).cpu());
    }
    var all = cat(chunks, 0);
    chunks.ForEach(c => c.Dispose());
    return all;
}

(double Fid, long[] Counts) Judge(string key, string label, Tensor images)
{
    using var features = judge.Features(images);
    var fid = run.Report(key, FrechetDistance.Of(features, testFeatures), $"{label}: classifier FID to the test digits", "F3");
    using var predicted = judge.Logits(images).argmax(1);
    var counts = Enumerable.Range(0, 10).Select(k => predicted.eq(k).sum().item<long>()).ToArray();
    return (fid, counts);
}

// 1. The MLP GAN: 64 → 256 → 512 → 784 (leaky ReLU 0.2, tanh) against 784 → 512 → 256 → 1.
var mlpGan = new Gan(new MlpGenerator(), new MlpDiscriminator());
var mlpHistory = Train("MLP GAN", mlpGan, run.Options.GetInt("mlp-epochs"), run.Seed);
using var mlpSamples = Generate(mlpGan.Generator, sampleCount);
var (mlpFid, mlpCounts) = Judge("mlp_gan_fid", "MLP GAN", mlpSamples);

// 2. The DCGAN: z → 64·7·7 → (transposed convolutions) 32·14·14 → 1·28·28, and its mirror image as the discriminator.
var dcgan = new Gan(new DcganGenerator(), new DcganDiscriminator(new DcganOptions { SpectralNorm = spectralNorm }));
dcgan.to(run.Device);
using (var untrained = Generate(dcgan.Generator, sampleCount))
    Judge("untrained_dcgan_fid", "DCGAN before training", untrained);
var dcganHistory = Train("DCGAN", dcgan, run.Options.GetInt("dcgan-epochs"), run.Seed);
using var dcganSamples = Generate(dcgan.Generator, sampleCount);
var (dcganFid, dcganCounts) = Judge("dcgan_fid", "DCGAN", dcganSamples);

// 3. The conditional DCGAN: the label, one-hot, joins z in the generator; the discriminator projects its features on
//    the label's embedding (or sees it as 10 constant channels: --d-conditioning channels). Trained once per seed
//    (--seeds): the label accuracy's mean.
var conditioning = new LabelConditioning(10, ClassEncoding.OneHot);
var conditionalOptions = new DcganOptions { Conditioning = conditioning, DiscriminatorConditioning = discriminatorConditioning };
var seeds = run.Options.GetSeeds("seeds", run.Seed);
using var requested = arange(sampleCount, dtype: int64) % 10;
TrainingHistory? conditionalHistory = null;
Tensor? conditionalSamples = null;
var labelAccuracies = new List<(int Seed, double Value)>();
foreach (var seed in seeds)
{
    Seeding.SeedEverything(seed);
    var conditional = new Gan(new DcganGenerator(conditionalOptions), new DcganDiscriminator(conditionalOptions));
    var history = Train($"Conditional DCGAN (seed {seed})", conditional, run.Options.GetInt("conditional-epochs"), seed);
    var samples = Generate(conditional.Generator, sampleCount, requested);
    using var read = judge.Logits(samples).argmax(1);
    var accuracy = read.eq(requested).to(float32).mean().item<float>();
    labelAccuracies.Add((seed, accuracy));
    Console.WriteLine($"  conditional DCGAN, seed {seed}: {accuracy:P2} of samples read as the requested digit");
    if (conditionalSamples is null)
    {
        // The first seed's model is the one shown and judged by FID.
        (conditionalHistory, conditionalSamples) = (history, samples);
        Judge("conditional_dcgan_fid", "conditional DCGAN", samples);
        run.Report("conditional_label_accuracy", accuracy, $"conditional DCGAN (seed {seed}): samples the classifier reads as the requested digit", "P2");
    }
    else
    {
        samples.Dispose();
    }
}
var labelAccuracy = run.ReportOverSeeds("conditional_label_accuracy", labelAccuracies, "conditional DCGAN: label accuracy", "P2").Mean;
run.Metric("conditional_seeds", seeds.Length);

// Mode collapse shows in the classes of unconditional samples: the largest class's share (a tenth when balanced).
run.Report("mlp_gan_largest_class_fraction", mlpCounts.Max() / (double)sampleCount, "MLP GAN: largest class share", "P1");
run.Report("dcgan_largest_class_fraction", dcganCounts.Max() / (double)sampleCount, "DCGAN: largest class share", "P1");

// Figures: sample grids, the conditional grid (one row per requested digit), the class histogram, the losses.
ImageGrid Grid(Tensor images, string title)
{
    var grid = ImageGrid.FromBatch(images.narrow(0, 0, 100));
    (grid.Columns, grid.Min, grid.Max, grid.Title) = (10, 0, 1, title);
    return grid;
}
Grid(mlpSamples, $"MLP GAN after {mlpHistory.Epochs.Count} epoch(s)").Save(run.PathFor("samples_mlp_gan.png"));
Grid(dcganSamples, $"DCGAN after {dcganHistory.Epochs.Count} epoch(s)").Save(run.PathFor("samples_dcgan.png"));
using (var byClass = conditionalSamples!.narrow(0, 0, 100).reshape(10, 10, 1, 28, 28).transpose(0, 1).reshape(100, 1, 28, 28))
    Grid(byClass, "Conditional DCGAN: column k asked for digit k").Save(run.PathFor("samples_conditional_dcgan.png"));

var digits = Enumerable.Range(0, 10).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
new BarChart(digits) { Title = $"{sampleCount} unconditional samples by class (MNIST classifier)", XLabel = "digit", YLabel = "fraction" }
    .Add("MLP GAN", mlpCounts.Select(c => c / (double)sampleCount).ToArray())
    .Add("DCGAN", dcganCounts.Select(c => c / (double)sampleCount).ToArray())
    .Save(run.PathFor("class_histogram.png"));

LineChart Losses(TrainingHistory history) => new LineChart { XLabel = "epoch", YLabel = "BCE" }
    .Add("D loss", history.Series("train_d_loss").ToArray())
    .Add("G loss", history.Series("train_g_loss").ToArray());
new MultiPanelFigure(columns: 3) { Title = "GAN losses (epoch means)" }
    .Add(Losses(mlpHistory), "MLP GAN").Add(Losses(dcganHistory), "DCGAN").Add(Losses(conditionalHistory!), $"Conditional DCGAN (seed {seeds[0]})")
    .Save(run.PathFor("losses.png"));

run.Metric("mlp_gan_epochs", mlpHistory.Epochs.Count);
run.Metric("dcgan_epochs", dcganHistory.Epochs.Count);
// The discriminator's mean verdicts in the DCGAN's last epoch (at equilibrium both are 1/2).
run.Metric("dcgan_last_epoch_d_real", dcganHistory.Epochs[^1]["train_d_real"] ?? double.NaN);
run.Metric("dcgan_last_epoch_d_fake", dcganHistory.Epochs[^1]["train_d_fake"] ?? double.NaN);
run.Metric("conditional_dcgan_epochs", conditionalHistory!.Epochs.Count);
conditionalSamples!.Dispose();
run.Finish($"GanMnist: classifier FID MLP GAN {mlpFid:F2}, DCGAN {dcganFid:F2} (real {realFid:F2}); conditional DCGAN samples read as the requested digit {labelAccuracy:P1} (mean of {seeds.Length} seed(s))");
