// Diffusion models, from one dimension to MNIST (DDPM, Ho et al. 2020). Noise is added in T small steps,
// x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε, and a network learns to predict ε from (x_t, t); sampling runs the steps backwards.
// (a) The course's SimpleDiffusion: 9,000 samples of N(0.75, 0.05²) and 21,000 of N(−0.75, 0.05²), T = 50,
//     β = linspace(1e-4, 0.02), an MLP on [x, t/49 − 0.5] (2 → 256 → 256 → 256 → 1, ReLU), noise MSE, Adam 1e-4,
//     batch 2048, 100 epochs (shuffled here; the notebook is not), DDPM sampling of 10,000 points; the notebook
//     reports no numbers. Its schedule stops at ᾱ_T ≈ 0.60, so x_T is not N(0, 1): sampling from N(0, 1) puts about
//     40 % of the samples in the 30 % mode even with the exact noise predictor (computed here in closed form). The
//     same network and training on a cosine schedule (ᾱ_T ≈ 0) gives the 30/70 split; its numbers are the headline.
// (b) Two moons in the plane, with the reverse trajectories of a few points drawn.
// (c) MNIST with a time- and class-conditioned U-Net (classifier-free guidance); samples judged by an MNIST
//     classifier (confidence, "classifier FID"), for DDPM sampling and for DDIM with fewer steps.
using TorchBinding.Data.Synthetic;
using TorchBinding.Models.Evaluation;
using TorchBinding.Models.Generative;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "diffusion", "DDPM in 1-D (the course's SimpleDiffusion), 2-D (two moons) and on MNIST (a time-conditioned U-Net)",
    new ExtraOption("epochs-1d", "epochs of the 1-D model", "100"),
    new ExtraOption("steps-2d", "training steps of the 2-D model", "4000"),
    new ExtraOption("epochs-mnist", "epochs of the MNIST U-Net", "8"),
    new ExtraOption("mnist-samples", "MNIST samples per sampler for the FID", "1000"));
if (run is null)
    return;

// ---------------------------------------------------------------------------------------------------------------
// (a) One dimension: the course's SimpleDiffusion.
const int Dark = 9000, Light = 21000;
// The fast mode trains the 1-D models 10 epochs and samples 4000 points (see GenerativeExampleTests).
var generated = run.Fast ? 4000 : 10_000;
using var pixels = cat([randn(Dark, 1) * 0.05 + 0.75, randn(Light, 1) * 0.05 - 0.75], 0);
using var pixelData = new InMemoryDataset(pixels, zeros(Dark + Light, dtype: int64), "1-D pixels");
var pixelValues = pixels.data<float>().ToArray().Select(v => (double)v).ToArray();
var epochs1d = run.Fast ? 10 : run.Options.GetInt("epochs-1d");

(DiffusionMlp Model, TrainingHistory History) Train1d(Ddpm ddpm)
{
    var model = new DiffusionMlp(new DiffusionMlpOptions { Steps = ddpm.Steps });
    model.to(run.Device);
    var trainer = new Trainer(new DiffusionStep(ddpm, model), Optim.Adam(1e-4),
        new TrainerOptions { Epochs = epochs1d, BatchSize = 2048, Seed = run.Seed });
    return (model, trainer.Fit(pixelData));
}

// Samples, and the reverse process at every other step (for the violins).
(double[] Samples, List<(int Step, double[] Values)> Reverse) Sample1d(Ddpm ddpm, INoisePredictor model)
{
    var reverse = new List<(int, double[])>();
    using var samples = ddpm.Sample(model, generated, new SamplingOptions
    {
        Seed = run.Seed,
        Device = run.Device,
        OnStep = (left, x) =>
        {
            if (left % 2 == 0 || left == ddpm.Steps)
                reverse.Add((left, x.cpu().data<float>().ToArray().Select(v => (double)v).ToArray()));
        },
    });
    return (samples.cpu().data<float>().ToArray().Select(v => (double)v).ToArray(), reverse);
}

double Positive(double[] samples) => samples.Count(v => v > 0) / (double)samples.Length;

var courseDdpm = new Ddpm(new DdpmOptions { Steps = 50 });
var cosineDdpm = new Ddpm(new DdpmOptions { Steps = 50, Schedule = BetaSchedule.Cosine });
Console.WriteLine($"(a) 1-D: {Dark} + {Light} samples; T = 50; course schedule ᾱ_T = {courseDdpm.AlphaBars[^1]:F3}, cosine ᾱ_T = {cosineDdpm.AlphaBars[^1]:E1}");
run.Metric("course_alpha_bar_t", courseDdpm.AlphaBars[^1]);

var mixture = (Weights: new[] { 0.3, 0.7 }, Means: new IReadOnlyList<double>[] { [0.75], [-0.75] }, Stds: new[] { 0.05, 0.05 });
var exactOnCourse = Sample1d(courseDdpm, new GaussianMixtureNoisePredictor(courseDdpm, mixture.Weights, mixture.Means, mixture.Stds)).Samples;
run.Report("exact_predictor_course_schedule_positive_mode_fraction", Positive(exactOnCourse), "course schedule, exact noise predictor: N(0.75) mode fraction", "F4");

var (courseModel, courseHistory) = Train1d(courseDdpm);
var courseSamples = Sample1d(courseDdpm, courseModel);
run.Report("course_schedule_positive_mode_fraction", Positive(courseSamples.Samples), "course schedule, trained MLP: N(0.75) mode fraction", "F4");
run.Report("course_schedule_w1", WassersteinDistance.OneDimensional(courseSamples.Samples, pixelValues), "course schedule, trained MLP: W1 to the data", "F4");

var (cosineModel, cosineHistory) = Train1d(cosineDdpm);
var cosineSamples = Sample1d(cosineDdpm, cosineModel);
var positive = run.Report("positive_mode_fraction", Positive(cosineSamples.Samples), "cosine schedule, trained MLP: N(0.75) mode fraction (target 0.30)", "F4");
run.Report("negative_mode_fraction", 1 - positive, "cosine schedule, trained MLP: N(−0.75) mode fraction (target 0.70)", "F4");
var w1 = run.Report("w1", WassersteinDistance.OneDimensional(cosineSamples.Samples, pixelValues), "cosine schedule, trained MLP: W1 to the data", "F4");
run.Metric("epochs_1d", epochs1d);

// Figures: the data, the forward and reverse processes as violins (every other step), data vs samples.
var dataChart = new HistogramChart { Bins = 100, XLabel = "x", Title = "The data: 30 % N(0.75, 0.05²), 70 % N(−0.75, 0.05²)" }.Add("data", pixelValues);
dataChart.Save(run.PathFor("data_1d.png"));

ViolinChart Forward(Ddpm ddpm)
{
    var chart = new ViolinChart { XLabel = "noising steps t", YLabel = "x_t", Color = new SkiaSharp.SKColor(0xD4, 0x3F, 0x3A) };
    chart.Add("data", pixelValues);
    foreach (var t in Enumerable.Range(0, ddpm.Steps).Where(t => t % 2 == 1 || t == ddpm.Steps - 1).Distinct())
    {
        using var xt = ddpm.QSample(pixels, full(pixels.shape[0], (long)t));
        chart.Add($"{t + 1}", xt);
    }
    return chart;
}
ViolinChart Reverse(List<(int Step, double[] Values)> states)
{
    var chart = new ViolinChart { XLabel = "denoising steps left", YLabel = "x" };
    foreach (var (step, values) in states)
        chart.Add($"{step}", values);
    return chart;
}
new MultiPanelFigure(columns: 1) { PanelWidth = 1400, PanelHeight = 340, Title = "Forward process: x_t after t noising steps (every other step)" }
    .Add(Forward(courseDdpm), $"course schedule (linear β to 0.02): ᾱ_50 = {courseDdpm.AlphaBars[^1]:F2}, x_50 is not N(0, 1)")
    .Add(Forward(cosineDdpm), "cosine schedule: ᾱ_50 ≈ 0, pure noise at t = 50")
    .Save(run.PathFor("forward_process.png"));
new MultiPanelFigure(columns: 1) { PanelWidth = 1400, PanelHeight = 340, Title = $"Reverse process: {generated:N0} samples from N(0, 1) denoised by the trained MLP" }
    .Add(Reverse(courseSamples.Reverse), "course schedule")
    .Add(Reverse(cosineSamples.Reverse), "cosine schedule")
    .Save(run.PathFor("reverse_process.png"));
HistogramChart Compare(double[] samples) => new HistogramChart { Bins = 25, RangeMin = -1, RangeMax = 1, Scale = HistogramScale.Density, XLabel = "x" }
    .Add("data", pixelValues).Add("samples", samples);
new MultiPanelFigure(columns: 3) { Title = $"Data vs {generated:N0} DDPM samples" }
    .Add(Compare(exactOnCourse), $"course, exact predictor: {Positive(exactOnCourse):P1} at +0.75")
    .Add(Compare(courseSamples.Samples), $"course, trained: {Positive(courseSamples.Samples):P1} at +0.75")
    .Add(Compare(cosineSamples.Samples), $"cosine, trained: {positive:P1} at +0.75")
    .Save(run.PathFor("histogram_1d.png"));
new MultiPanelFigure(columns: 2) { Title = "1-D training loss (noise MSE)" }
    .Add(HistoryPlot.Create(courseHistory), "course schedule").Add(HistoryPlot.Create(cosineHistory), "cosine schedule")
    .Save(run.PathFor("loss_1d.png"));

// ---------------------------------------------------------------------------------------------------------------
// (b) Two dimensions: two moons, a sinusoidal time embedding, T = 100 on the cosine schedule.
using var moons = ToyClassification.Moons(8000, noise: 0.05, seed: run.Seed);
using var moonSubset = moons.Inputs.index_select(0, arange(0, moons.Count, 4)); // 2000 points of both moons (the set is ordered by moon)
var moonDdpm = new Ddpm(new DdpmOptions { Steps = 100, Schedule = BetaSchedule.Cosine });
var moonModel = new DiffusionMlp(new DiffusionMlpOptions { DataSize = 2, Steps = 100, HiddenSizes = [128, 128, 128], TimeEncoding = TimeEncoding.Sinusoidal, TimeEmbeddingSize = 32 });
moonModel.to(run.Device);
var moonSteps = run.Fast ? 600 : run.Options.GetInt("steps-2d");
var moonBatches = moons.Count / 256;
Console.WriteLine($"(b) 2-D: {moons.Count} points of two moons, {moonSteps} steps");
new Trainer(new DiffusionStep(moonDdpm, moonModel), Optim.Adam(2e-3),
    new TrainerOptions { Epochs = (moonSteps + moonBatches - 1) / moonBatches, BatchSize = 256, DropLast = true, Seed = run.Seed }).Fit(moons);
var trajectories = new List<float[]>();
// Each step's estimate of x₀ is clipped to the data's range (±2.5): near t = T, ᾱ_t ≈ 1e-6 and x̂₀ = (x − √(1−ᾱ) ε̂)/√ᾱ
// multiplies the network's error a thousandfold.
const int Paths = 12;
using var moonSamples = moonDdpm.Sample(moonModel, 2000, new SamplingOptions
{
    Seed = run.Seed,
    Device = run.Device,
    ClipDenoised = (-2.5, 2.5),
    OnStep = (_, x) => trajectories.Add(x.narrow(0, 0, Paths).cpu().data<float>().ToArray()),
}).cpu();
// The same starting points, deterministically (DDIM, η = 0, all 100 steps): the paths of the probability-flow ODE.
var flows = new List<float[]>();
using (moonDdpm.SampleDdim(moonModel, 2000, 100, new SamplingOptions { Seed = run.Seed, Device = run.Device, ClipDenoised = (-2.5, 2.5), OnStep = (_, x) => flows.Add(x.narrow(0, 0, Paths).cpu().data<float>().ToArray()) })) { }
run.Report("moons_sliced_w1", WassersteinDistance.Sliced(moonSamples, moonSubset, seed: run.Seed), "two moons: sliced W1, 2000 samples vs 2000 data points", "F4");
LineChart Trajectories(List<float[]> states)
{
    var chart = new LineChart { XLabel = "x₁", YLabel = "x₂", ShowMarkers = false, Legend = LegendPosition.Hidden, XMin = -3, XMax = 4, YMin = -3, YMax = 3 };
    for (var i = 0; i < Paths; i++)
        chart.Add(null, states.Select(s => (double)s[2 * i]).ToArray(), states.Select(s => (double)s[2 * i + 1]).ToArray(), width: 1f);
    return chart;
}
new MultiPanelFigure(columns: 4) { Title = "Diffusion in the plane: two moons (T = 100, cosine schedule)", PanelWidth = 400 }
    .Add(new ScatterChart { MarkerSize = 3, EqualAxes = true, Legend = LegendPosition.Hidden }.AddPoints("data", moonSubset[.., 0], moonSubset[.., 1]), "2000 data points")
    .Add(new ScatterChart { MarkerSize = 3, EqualAxes = true, Legend = LegendPosition.Hidden }.AddPoints("samples", moonSamples[.., 0], moonSamples[.., 1]), "2000 DDPM samples")
    .Add(Trajectories(trajectories), $"{Paths} DDPM reverse trajectories")
    .Add(Trajectories(flows), "the same starts with DDIM (η = 0)")
    .Save(run.PathFor("moons.png"));

// ---------------------------------------------------------------------------------------------------------------
// (c) MNIST: a U-Net of residual blocks (width 16, depth 3: 28 padded to 32 → 16 → 8 → 4, so its deepest level sees the
// whole image; 514K parameters) conditioned on the step (sinusoidal embedding, then an MLP) and on the digit, trained with the label dropped 20 % of the time, so one network predicts both the conditional and the
// unconditional noise (classifier-free guidance). The headline numbers are unconditional samples ("no class"). T = 200 on the cosine schedule; Adam with a one-cycle schedule
// (its annealing does what an average of the weights would); images in [-1, 1], each step's x̂₀ clipped there.
using var mnist = Mnist.Load(DatasetPart.Train);
using var mnistTest = Mnist.Load(DatasetPart.Test);
// The fast mode trains one epoch on 2000 images, samples 20 per sampler and guides 100 with 10 DDIM steps: it checks
// the pipeline and that the U-Net learned some of the noise (see GenerativeExampleTests).
using var mnistSubset = run.Fast ? mnist.Take(2000) : null;
using var digits = (mnistSubset ?? mnist).WithInputs((mnistSubset ?? mnist).Inputs * 2 - 1, "MNIST in [-1, 1]");
var mnistDdpm = new Ddpm(new DdpmOptions { Steps = 200, Schedule = BetaSchedule.Cosine });
var unet = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 16, Depth = 3, Classes = 10, Steps = mnistDdpm.Steps });
unet.to(run.Device);
var mnistEpochs = run.Fast ? 1 : run.Options.GetInt("epochs-mnist");
Console.WriteLine($"(c) MNIST: {digits.Count} images, T = {mnistDdpm.Steps}, U-Net with {unet.ParameterCount():N0} parameters, {mnistEpochs} epoch(s)");
var mnistHistory = new Trainer(new DiffusionStep(mnistDdpm, unet, labelDropout: 0.2), Optim.Adam(2e-3),
    new TrainerOptions
    {
        Epochs = mnistEpochs, BatchSize = 128, Seed = run.Seed,
        Callbacks = [new LearningRateScheduler(new OneCycle(), ScheduleInterval.Step)],
    }).Fit(digits);

unet.save(run.PathFor("mnist_unet.bin"));
using var judge = MnistFeatureExtractor.Load(new MnistFeatureOptions { Device = run.Device });
using var testFeatures = judge.Features(mnistTest.Inputs);
var mnistSamples = run.Fast ? 20 : run.Options.GetInt("mnist-samples");

// Samples in [0, 1], in chunks of 500 (each chunk seeded), with the sampler's own options.
Tensor Digits(Func<long, SamplingOptions, Tensor> sampler, long count, Tensor? labels = null, double guidance = 0, Action<int, Tensor>? onStep = null)
{
    var chunks = new List<Tensor>();
    for (long start = 0; start < count; start += 500)
    {
        var n = Math.Min(500, count - start);
        var options = new SamplingOptions
        {
            Seed = run.Seed + (int)start, Device = run.Device, ClipDenoised = (-1, 1),
            Labels = labels?.narrow(0, start, n), GuidanceScale = guidance, OnStep = start == 0 ? onStep : null,
        };
        using var samples = sampler(n, options);
        chunks.Add(((samples + 1) / 2).clamp(0, 1).cpu());
    }
    var all = cat(chunks, 0);
    chunks.ForEach(c => c.Dispose());
    return all;
}

(double Fid, double Confident) Judge(Tensor images)
{
    using var features = judge.Features(images);
    using var probabilities = judge.Logits(images).softmax(1);
    return (FrechetDistance.Of(features, testFeatures), probabilities.max(1).values.gt(0.9).to(float32).mean().item<float>());
}

// DDPM: all 200 steps, unconditional ("no class"); the first sample's way from noise to digit is kept.
var sequence = new List<(int Left, float[] Image)>();
var keep = new HashSet<int>(Enumerable.Range(0, 11).Select(i => mnistDdpm.Steps * (10 - i) / 10));
var clock = Stopwatch.StartNew();
using var ddpmDigits = Digits((n, o) => mnistDdpm.Sample(unet, n, o), mnistSamples, onStep: (left, x) =>
{
    if (keep.Contains(left))
        sequence.Add((left, ((x[0] + 1) / 2).clamp(0, 1).cpu().data<float>().ToArray()));
});
var ddpmSeconds = clock.Elapsed.TotalSeconds;
var (ddpmFid, confident) = Judge(ddpmDigits);
run.Report("mnist_confident_fraction", confident, $"MNIST DDPM ({mnistDdpm.Steps} steps): samples the classifier reads with confidence > 0.9", "P1");
run.Report("mnist_ddpm_fid", ddpmFid, $"MNIST DDPM ({mnistDdpm.Steps} steps): classifier FID to the test digits", "F3");
Console.WriteLine($"  DDPM sampling: {mnistSamples / ddpmSeconds:F1} samples/s");

// DDPM asked for each digit in turn (no guidance): also a sampler of the whole data set, since the digits are about
// equally frequent.
using var everyDigit = arange(mnistSamples, dtype: int64) % 10;
using var conditionalDigits = Digits((n, o) => mnistDdpm.Sample(unet, n, o), mnistSamples, everyDigit);
var (conditionalFid, conditionalConfident) = Judge(conditionalDigits);
run.Report("mnist_conditional_confident_fraction", conditionalConfident, "MNIST DDPM asked for each digit (w = 0): confident samples", "P1");
run.Report("mnist_conditional_ddpm_fid", conditionalFid, "MNIST DDPM asked for each digit (w = 0): classifier FID", "F3");
using (var read = judge.Logits(conditionalDigits).argmax(1))
    run.Report("mnist_conditional_label_accuracy", read.eq(everyDigit).to(float32).mean().item<float>(), "MNIST DDPM asked for each digit (w = 0): read as the digit asked for", "P1");

// DDIM with fewer steps, from the same starting noise.
int[] ddimSteps = run.Fast ? [10] : [10, 20, 50];
var ddimFids = new List<double>();
Tensor? ddimGrid = null;
foreach (var steps in ddimSteps)
{
    using var images = Digits((n, o) => mnistDdpm.SampleDdim(unet, n, steps, o), mnistSamples);
    var (fid, ddimConfident) = Judge(images);
    ddimFids.Add(fid);
    run.Report($"mnist_ddim_{steps}_fid", fid, $"MNIST DDIM, {steps} steps: classifier FID", "F3");
    run.Metric($"mnist_ddim_{steps}_confident_fraction", ddimConfident);
    if (steps == ddimSteps[^1])
        ddimGrid = images.narrow(0, 0, Math.Min(100, mnistSamples)).clone();
}
run.Report("mnist_ddim_fid", ddimFids[^1], $"MNIST DDIM, {ddimSteps[^1]} steps: classifier FID (the headline DDIM number)", "F3");
run.Metric("mnist_ddim_steps", ddimSteps[^1]);

// Classifier-free guidance (w = 2), DDIM with 50 steps: ten of each digit, asked for by label.
const double Guidance = 2;
var (guidedCount, guidedSteps) = run.Fast ? (100, 10) : (500, 50);
using var asked = arange(guidedCount, dtype: int64) % 10;
using var guided = Digits((n, o) => mnistDdpm.SampleDdim(unet, n, guidedSteps, o), guidedCount, asked, Guidance);
using (var read = judge.Logits(guided).argmax(1))
    run.Report("mnist_guided_label_accuracy", read.eq(asked).to(float32).mean().item<float>(), $"MNIST guided (w = {Guidance}): samples read as the digit asked for", "P1");
run.Metric("mnist_guided_confident_fraction", Judge(guided).Confident);
run.Metric("epochs_mnist", mnistEpochs);
// The noise MSE of the last epoch: 1 for a network that predicts zero noise (E ε² = 1).
run.Metric("mnist_train_loss", mnistHistory.Epochs[^1]["train_loss"] ?? double.NaN);
run.Metric("mnist_steps", mnistDdpm.Steps);

ImageGrid Grid(Tensor images, string title)
{
    var grid = ImageGrid.FromBatch(images.narrow(0, 0, Math.Min(100, images.shape[0])));
    (grid.Columns, grid.Min, grid.Max, grid.Title) = (10, 0, 1, title);
    return grid;
}
Grid(ddpmDigits, $"DDPM, {mnistDdpm.Steps} steps, unconditional").Save(run.PathFor("mnist_ddpm.png"));
Grid(ddimGrid!, $"DDIM, {ddimSteps[^1]} steps, unconditional").Save(run.PathFor("mnist_ddim.png"));
using (var byDigit = guided.narrow(0, 0, 100).reshape(10, 10, 1, 28, 28).transpose(0, 1).reshape(100, 1, 28, 28))
    Grid(byDigit, $"Classifier-free guidance (w = {Guidance}), DDIM {guidedSteps} steps: row k asked for digit k").Save(run.PathFor("mnist_guided.png"));
var denoising = new ImageGrid { Columns = sequence.Count, Min = 0, Max = 1, Title = "One DDPM sample from noise to digit (steps left)" };
foreach (var (left, image) in sequence)
{
    var pixels28 = new double[28, 28];
    for (var i = 0; i < 784; i++)
        pixels28[i / 28, i % 28] = image[i];
    denoising.Add(pixels28, $"{left}");
}
denoising.Save(run.PathFor("mnist_denoising.png"));
new LineChart { Title = "Classifier FID of unconditional MNIST samples", XLabel = "sampling steps", YLabel = "classifier FID" }
    .Add("DDIM", ddimSteps.Select(s => (double)s).ToArray(), ddimFids.ToArray())
    .Add($"DDPM ({mnistDdpm.Steps} steps)", [ddimSteps[0], mnistDdpm.Steps], [ddpmFid, ddpmFid], dashed: true)
    .Save(run.PathFor("mnist_fid.png"));
HistoryPlot.Save(mnistHistory, run.PathFor("mnist_loss.png"), new HistoryPlotOptions { Title = "MNIST U-Net: noise MSE" });
ddimGrid?.Dispose();

run.Finish($"Diffusion: 1-D (cosine schedule) {positive:P1} in the N(0.75) mode (target 30 %), W1 {w1:F4}; MNIST DDPM {confident:P1} confident samples, classifier FID {ddpmFid:F2} (DDIM {ddimSteps[^1]} steps {ddimFids[^1]:F2})");
