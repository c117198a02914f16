// VQ-VAE: a discrete code. The encoder's output is replaced by its nearest vector in a learned codebook; the
// straight-through estimator copies the decoder's gradient past that choice; the codebook loss pulls codes onto
// the encoder outputs and the commitment loss (β) keeps the encoder near its codes. Perplexity, exp(entropy of
// the code usage), is the effective number of codes in use.
// Part 1 is the course's minimal_VQVAE notebook: 2500 points in 4 Gaussian clusters on a circle of radius 6
// (stds drawn from U(0.35, 0.9)), MLPs 2→32→2 with tanh and Xavier init, 12 codes initialised U(±1/12), β 0.25,
// Adam 2e-3, batch 256, 400 epochs, MSE. The course logs reconstruction 0.4602 and perplexity 3.99 at epoch 400:
// about 4 of the 12 codes are used, one per cluster. The notebook draws its data with numpy's generator; we draw
// the same distribution with our own seeded generator, so the points (not the distribution) differ.
// Which codes win depends on the initialisation: with seeds 1–8 the last epoch's perplexity was 4.7, 5.6, 6.6,
// 4.0, 4.0, 4.6, 4.0, 2.9 (4 to 7 codes used; seed 8 put two clusters on one code) and the reconstruction 0.32–4.9;
// the default seed 42 gives 3.98 and 0.53. Codes that never win stay dead: what the restarts of part 2 fix.
// Part 2: a convolutional VQ-VAE on MNIST (a 7x7 grid of codes from a 64-code codebook of 16-D vectors, EMA
// codebook updates and dead-code restarts): reconstructions, the code usage and its perplexity on the test set.
using SkiaSharp;
using TorchBinding.Models.Autoencoders;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "vq_vae", "VQ-VAE: the course's 2-D mixture, then MNIST",
    new ExtraOption("epochs", "epochs of the 2-D VQ-VAE", "400", FastDefault: "60"),
    new ExtraOption("seeds", "seeds of the 2-D VQ-VAE, comma-separated: its perplexity is reported for each and as their mean; the first one's model is drawn", "42,1,2,3,4", FastDefault: "42,1"),
    new ExtraOption("mnist-epochs", "epochs of the MNIST VQ-VAE", "3", FastDefault: "1"));
if (run is null)
    return;

// ---- Part 1: the course's minimal VQ-VAE on a ring of four Gaussian clusters ---------------------------------

// 625 points per cluster k around (6 cos 2πk/4, 6 sin 2πk/4) with std σ_k ~ U(0.35, 0.9), shuffled.
InMemoryDataset RingOfClusters(int seed)
{
    var random = new Random(seed);
    using var generator = new Generator((ulong)seed, CPU);
    using var scope = NewDisposeScope();
    var clusters = Enumerable.Range(0, 4).Select(k =>
    {
        var theta = 2 * Math.PI * k / 4;
        var std = 0.35 + (0.9 - 0.35) * random.NextDouble();
        return randn([625, 2], generator: generator) * std + tensor(new[] { (float)(6 * Math.Cos(theta)), (float)(6 * Math.Sin(theta)) });
    }).ToList();
    var labels = cat(Enumerable.Range(0, 4).Select(k => full(625, k, dtype: int64)).ToList(), 0);
    var order = randperm(2500, generator: generator);
    return new InMemoryDataset(cat(clusters, 0)[order], labels[order], "ring of 4 clusters");
}

// One training per seed (--seeds): data, initialisation and batches all follow the seed, and which codes win depends
// on them, so the perplexity is reported for each seed and as their mean. The first seed's model is the one drawn.
var seeds = run.Options.GetSeeds("seeds", run.Seed);
var epochs = run.Options.GetInt("epochs");
(VqVae Model, TrainingHistory History, InMemoryDataset Ring) TrainOnRing(int seed)
{
    TorchBinding.Runtime.Seeding.SeedEverything(seed);
    var data = RingOfClusters(seed);
    var vq = VqVae.Mlp().to(run.Device);
    var fit = new Trainer(new VqVaeStep(vq), Optim.Adam(2e-3), run.TrainerOptions with { Seed = seed, Epochs = epochs, BatchSize = 256 }).Fit(data);
    Console.WriteLine($"  2-D VQ-VAE, seed {seed}: perplexity {fit.Last("train_perplexity")!.Value:F2}, reconstruction {fit.Last("train_reconstruction")!.Value:F4}");
    return (vq, fit, data);
}
var (model, history, ring) = TrainOnRing(seeds[0]);
using var ringData = ring;
Console.WriteLine($"  2-D VQ-VAE: {model.ParameterCount()} parameters (the notebook: 348), {ring.Count} points");
var perplexity = run.Report("perplexity", history.Last("train_perplexity")!.Value, $"perplexity (seed {seeds[0]}; last epoch's mean over batches; course 3.99)", "F2");
var reconstruction = run.Report("reconstruction_loss", history.Last("train_reconstruction")!.Value, $"reconstruction MSE (seed {seeds[0]}; last epoch's mean; course 0.4602)", "F4");
run.Report("vq_loss", history.Last("train_vq")!.Value, "VQ loss (last epoch's mean)", "F4");
var perSeed = new List<(int Seed, TrainingHistory History)> { (seeds[0], history) };
foreach (var seed in seeds.Skip(1))
{
    var (other, otherHistory, otherRing) = TrainOnRing(seed);
    other.Dispose();
    otherRing.Dispose();
    perSeed.Add((seed, otherHistory));
}
var perplexities = run.ReportOverSeeds("perplexity", perSeed.Select(s => (s.Seed, s.History.Last("train_perplexity")!.Value)).ToList(), "perplexity over seeds (course 3.99)", "F2");
run.ReportOverSeeds("reconstruction_loss", perSeed.Select(s => (s.Seed, s.History.Last("train_reconstruction")!.Value)).ToList(), "reconstruction MSE over seeds (course 0.4602)", "F4");

// The whole data set through the trained model: codes, their usage and the pictures.
model.eval();
using (no_grad())
using (NewDisposeScope())
{
    var points = ring.Inputs.to(run.Device);
    var result = model.Run(points);
    var codes = result.Quantization.Codes.cpu();
    var counts = model.Quantizer.CodeCounts(codes).cpu();
    var codebook = model.Quantizer.Codebook.detach().cpu();
    run.Report("codes_used", model.Quantizer.Codes - VectorQuantizer.DeadCodes(counts), "codes used by the 2500 points (of 12)", "N0");
    run.Metric("data_perplexity", VectorQuantizer.Perplexity(counts));

    var data = ring.Inputs;
    var epochAxis = Enumerable.Range(1, history.Epochs.Count).Select(e => (double)e).ToArray();
    var recon = result.Reconstruction.cpu();
    var encoded = result.Encoded.cpu();
    var input = new ScatterChart { XLabel = "x₁", YLabel = "x₂", EqualAxes = true, MarkerSize = 4 }
        .AddPoints("data", data[.., 0], data[.., 1])
        .AddPoints("reconstruction", recon[.., 0], recon[.., 1]);
    var codeNames = Enumerable.Range(0, model.Quantizer.Codes).Select(k => $"code {k}").ToList();
    // Each code's Voronoi cell in the latent space: the region where it is the nearest code.
    var latent = new DecisionBoundaryChart(z => -cdist(z, codebook.to(z.device)), encoded, codes, codeNames)
    {
        XLabel = "z₁", YLabel = "z₂", MarkerSize = 4, Legend = LegendPosition.Hidden, Style = BoundaryStyle.RegionsAndContours,
    }.AddPoints("codebook", codebook[.., 0], codebook[.., 1], SKColors.Black, PointMarker.Cross, 16);
    var curves = new LineChart { XLabel = "epoch", YLabel = "loss (epoch mean)", LogY = true }
        .Add("total", epochAxis, history.Series("train_loss").ToArray())
        .Add("reconstruction", epochAxis, history.Series("train_reconstruction").ToArray())
        .Add("vq", epochAxis, history.Series("train_vq").ToArray());
    var usage = new BarChart(Enumerable.Range(0, model.Quantizer.Codes).Select(k => k.ToString()).ToList()) { XLabel = "code", YLabel = "points" }
        .Add(null, counts.to(float64).data<double>().ToArray());
    new MultiPanelFigure(2) { Title = $"Minimal VQ-VAE: {epochs} epochs, perplexity {perplexity:F2}, reconstruction {reconstruction:F3}", PanelWidth = 560, PanelHeight = 420 }
        .Add(input, "input space: data and reconstruction")
        .Add(latent, "latent: z_e by code, codes (×), Voronoi cells")
        .Add(curves, "training losses")
        .Add(usage, "code usage")
        .Save(run.PathFor("vqvae_2d.png"));
    // Every seed's perplexity curve: the spread between seeds is the initialisation's, not noise of one run.
    var perplexityChart = new LineChart
    {
        Title = $"Perplexity (effective number of codes used) per epoch: {perplexities.Mean:F2} ± {perplexities.StandardDeviation:F2} over {seeds.Length} seeds (course 3.99)",
        XLabel = "epoch", YLabel = "perplexity",
    };
    foreach (var (seed, seedHistory) in perSeed)
        perplexityChart.Add($"seed {seed}: {seedHistory.Last("train_perplexity")!.Value:F2}", epochAxis, seedHistory.Series("train_perplexity").ToArray(), markers: false);
    perplexityChart.Add("course (epoch 400)", [1, epochs], [3.99, 3.99], SKColors.Gray, dashed: true, width: 1.5f, markers: false);
    perplexityChart.Save(run.PathFor("perplexity.png"));
}

// ---- Part 2: a convolutional VQ-VAE on MNIST ---------------------------------------------------------------

using var mnistTrain = Mnist.Load(DatasetPart.Train);
using var mnistTest = Mnist.Load(DatasetPart.Test);
// The fast mode trains one epoch on 6000 images and measures on 2000 test images.
using var trainSubset = run.Fast ? mnistTrain.Take(6000) : null;
using var testSubset = run.Fast ? mnistTest.Take(2000) : null;
var (train, test) = (trainSubset ?? mnistTrain, testSubset ?? mnistTest);
var mnistModel = VqVae.Convolutional(codes: 64, codeSize: 16, channels: 32,
    new VectorQuantizerOptions { EmaDecay = 0.99, DeadCodeThreshold = 1.0 }).to(run.Device);
Console.WriteLine($"  MNIST VQ-VAE: {mnistModel.ParameterCount():N0} parameters, 64 codes of 16 values, a 7x7 code grid per image, {train.Count} training images");
var mnistTrainer = new Trainer(new VqVaeStep(mnistModel), Optim.Adam(2e-3),
    run.TrainerOptions with { Epochs = run.Options.GetInt("mnist-epochs"), BatchSize = 128 });
var mnistHistory = mnistTrainer.Fit(train);
Console.WriteLine($"  {mnistModel.Quantizer.Restarts} dead-code restart(s) during training");

mnistModel.eval();
using (no_grad())
using (NewDisposeScope())
{
    var counts = zeros(64, dtype: int64);
    double squaredError = 0;
    foreach (var batch in test.Batches(1000, new BatchOptions { Shuffle = false, Device = run.Device }))
    {
        using var scope = NewDisposeScope();
        var result = mnistModel.Run(batch.Inputs);
        counts.add_(mnistModel.Quantizer.CodeCounts(result.Quantization.Codes).cpu());
        squaredError += (result.Reconstruction - batch.Inputs).square().sum().item<float>();
    }
    var mnistPerplexity = run.Report("mnist_perplexity", VectorQuantizer.Perplexity(counts), "MNIST test perplexity (of 64 codes)", "F1");
    run.Report("mnist_dead_codes", VectorQuantizer.DeadCodes(counts), "MNIST codes never used on the test set", "N0");
    var mse = run.Report("mnist_reconstruction_mse", squaredError / (test.Count * 784.0), "MNIST test reconstruction MSE", "F4");
    run.Metric("mnist_train_perplexity", mnistHistory.Last("train_perplexity")!.Value);
    using (var meanImage = train.Inputs.mean([0], keepdim: true))
    using (var baseline = (test.Inputs - meanImage).square().mean())
        run.Report("mnist_mean_image_mse", baseline.item<float>(), "MNIST test MSE of predicting the mean image (the baseline)", "F4");

    var originals = test.Inputs[..12].to(run.Device);
    var reconstructions = mnistModel.call(originals).cpu();
    var grid = ImageGrid.FromBatch(cat([originals.cpu(), reconstructions], 0),
        [.. Enumerable.Repeat("original", 12), .. Enumerable.Repeat("reconstructed", 12)]);
    (grid.Columns, grid.Min, grid.Max, grid.Title) = (12, 0, 1, $"MNIST VQ-VAE: test digits and their reconstructions from 49 codes each (MSE {mse:F4})");
    grid.Save(run.PathFor("mnist_reconstructions.png"));
    // Codes sorted by use; ranks labelled every 8th bar (64 labels would overlap).
    var order = counts.argsort(descending: true);
    new BarChart(Enumerable.Range(1, 64).Select(r => r % 8 == 1 ? r.ToString() : "").ToList())
    {
        Title = $"MNIST test code usage by rank (perplexity {mnistPerplexity:F1} of 64)", XLabel = "code rank", YLabel = "code positions", ShowValues = false, Width = 900,
    }.Add(null, counts[order].to(float64).data<double>().ToArray()).Save(run.PathFor("mnist_code_usage.png"));
}

run.Finish($"VqVae: 2-D mixture perplexity {perplexities.Mean:F2} ± {perplexities.StandardDeviation:F2} over {seeds.Length} seeds (seed {seeds[0]}: {perplexity:F2}; course 3.99), reconstruction {reconstruction:F3} (course 0.460); MNIST test perplexity {run.Metrics["mnist_perplexity"]:F1} of 64 codes");
