// (c) MNIST: a U-Net of residual blocks (width 16, depth 3: 28 padded to 32 → 16 → 8 → 4, so its deepest level sees the
// whole image; 536K parameters) conditioned on the step (sinusoidal embedding, then an MLP) and on the digit, trained
// with the label dropped half the time, so one network predicts both the conditional and the unconditional noise
// (classifier-free guidance). The headline numbers are unconditional samples ("no class"). T = 200 on the cosine
// schedule; the noise MSE weighted by min-SNR (γ = 5); Adam with a one-cycle schedule; samples from an exponential
// moving average of the weights (decay 0.999: at 8 epochs it measured no different from the annealed weights at seed
// 42, 70.8 against 70.6 % confident); images
// in [-1, 1], each step's x̂₀ clipped there. The U-Net trains in bfloat16 under autocast where the CPU computes it natively
// (1.35× faster here; --training-precision float32 turns it off). The sampler runs in float32 and, where the CPU computes bfloat16 natively,
// the U-Net under autocast to bfloat16 (1.65× faster here; --inference-precision float32 turns it off). Samples are
// judged by an MNIST classifier: how many it reads with confidence,
// and the Fréchet distance of its features to the test digits' ("classifier FID").
using TorchBinding.Models.Evaluation;
using TorchBinding.Models.Generative;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;

static class DiffusionOnMnist
{
    const double Guidance = 2;

    public static void Run(ExperimentRun run)
    {
        using var mnist = Mnist.Load(DatasetPart.Train);
        using var mnistTest = Mnist.Load(DatasetPart.Test);
        // The fast mode trains one epoch on 2000 images, samples 20 per sampler and guides 100 with 10 DDIM steps: it checks
        // the pipeline and that the U-Net learned some of the noise (see GenerativeExampleTests).
        using var mnistSubset = run.Fast ? mnist.Take(2000) : null;
        using var digits = (mnistSubset ?? mnist).WithInputs((mnistSubset ?? mnist).Inputs * 2 - 1, "MNIST in [-1, 1]");
        var mnistDdpm = new Ddpm(new DdpmOptions { Steps = 200, Schedule = BetaSchedule.Cosine });
        var unet = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 16, Depth = 3, Classes = 10, Steps = mnistDdpm.Steps });
        unet.to(run.Device);
        var mnistEpochs = run.Options.GetInt("epochs-mnist");
        var emaDecay = run.Options.GetDouble("ema-decay");
        Console.WriteLine($"(c) MNIST: {digits.Count} images, T = {mnistDdpm.Steps}, U-Net with {unet.ParameterCount():N0} parameters, {mnistEpochs} epoch(s)" +
            (emaDecay > 0 ? $", sampling from the moving average of its weights (decay {emaDecay})" : ""));
        // DDPM samples from an exponential moving average of the weights (Ho et al.: decay 0.9999 over 800K steps; this run
        // has 469 a epoch, so the average spans about the last thousand).
        using var ema = emaDecay > 0 ? new ExponentialMovingAverage(unet, emaDecay) : null;
        // Two choices made on the unconditional samples the classifier reads with confidence (DDPM, 1,000 samples, seed
        // 42, 5 epochs; no test digits involved): min-SNR weighting (γ = 5, Hang et al.'s) lifted them from 61.4 to
        // 65.1 %, and dropping the label half the time instead of a fifth (more training for "no class") to 68.1 %.
        var minSnrGamma = run.Options.GetDouble("min-snr-gamma");
        var labelDropout = run.Options.GetDouble("label-dropout");
        run.Metric("mnist_min_snr_gamma", minSnrGamma);
        run.Metric("mnist_label_dropout", labelDropout);
        var mnistHistory = new Trainer(new DiffusionStep(mnistDdpm, unet, labelDropout: labelDropout, minSnrGamma: minSnrGamma), Optim.Adam(2e-3),
            run.TrainerOptions with
            {
                Epochs = mnistEpochs, BatchSize = 128, Precision = run.TrainingPrecision,
                Callbacks = [new LearningRateScheduler(new OneCycle(), ScheduleInterval.Step), .. ema is null ? Array.Empty<TrainingCallback>() : [ema]],
            }).Fit(digits);
        ema?.CopyTo();
        run.Metric("mnist_ema_decay", emaDecay);

        unet.save(run.PathFor("mnist_unet.bin"));
        run.Report("mnist_noise_mse", NoiseMse(), "MNIST U-Net (the weights that sample): unconditional noise MSE on the last 1,000 training images (1 predicts no noise)", "F4");
        // Sampling is most of this part's time: in bfloat16 where the CPU computes it natively (--inference-precision).
        using var inference = run.Inference();
        using var judge = MnistFeatureExtractor.Load(new MnistFeatureOptions { Device = run.Device });
        using var testFeatures = judge.Features(mnistTest.Inputs);
        var mnistSamples = run.Options.GetInt("mnist-samples");

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
        var conditionalSamples = run.Options.GetInt("conditional-samples");
        using var everyDigit = arange(conditionalSamples, dtype: int64) % 10;
        using var conditionalDigits = Digits((n, o) => mnistDdpm.Sample(unet, n, o), conditionalSamples, everyDigit);
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

        // Classifier-free guidance (w = 2), DDIM with 50 steps: each digit equally often, asked for by label.
        var (guidedCount, guidedSteps) = (run.Options.GetInt("guided-samples"), run.Fast ? 10 : 50);
        using var asked = arange(guidedCount, dtype: int64) % 10;
        using var guided = Digits((n, o) => mnistDdpm.SampleDdim(unet, n, guidedSteps, o), guidedCount, asked, Guidance);
        using (var read = judge.Logits(guided).argmax(1))
            run.Report("mnist_guided_label_accuracy", read.eq(asked).to(float32).mean().item<float>(), $"MNIST guided (w = {Guidance}): samples read as the digit asked for", "P1");
        run.Metric("mnist_guided_confident_fraction", Judge(guided).Confident);
        run.Metric("epochs_mnist", mnistEpochs);
        // The training loss of the last epoch (min-SNR weighted where γ > 0, so below the plain noise MSE).
        run.Metric("mnist_train_loss", mnistHistory.Epochs[^1]["train_loss"] ?? double.NaN);
        run.Metric("mnist_steps", mnistDdpm.Steps);

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
        HistoryPlot.Save(mnistHistory, run.PathFor("mnist_loss.png"), new HistoryPlotOptions { Title = "MNIST U-Net: training loss (noise MSE, min-SNR weighted)" });
        ddimGrid?.Dispose();

        // The plain noise MSE, unweighted and unconditional (E ε² = 1 for a network that predicts no noise), on the last
        // 1,000 training images (outside the fast mode's 2,000), with the steps and the noise drawn from the run's seed.
        double NoiseMse()
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            unet.eval();
            manual_seed(run.Seed);
            var images = (mnist.Inputs.narrow(0, mnist.Count - 1000, 1000) * 2 - 1).to(run.Device);
            var total = 0.0;
            for (long start = 0; start < 1000; start += 250)
                total += mnistDdpm.Loss(unet, images.narrow(0, start, 250)).item<float>() / 4;
            return total;
        }

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
    }

    static ImageGrid Grid(Tensor images, string title)
    {
        var grid = ImageGrid.FromBatch(images.narrow(0, 0, Math.Min(100, images.shape[0])));
        (grid.Columns, grid.Min, grid.Max, grid.Title) = (10, 0, 1, title);
        return grid;
    }
}
