using TorchBinding.Models;
using TorchBinding.Models.Generative;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Whether bfloat16 pays on this CPU: the same work in float32 and in bfloat16, alternating. Where the CPU computes
/// bf16 natively (AVX512_BF16, AMX) oneDNN has bf16 kernels; elsewhere libtorch converts and bf16 is slower. Measured,
/// not assumed: the course examples' hot spots under autocast (the examples' <c>run.Inference()</c>) — the course CNN's forward pass on a one-pixel attack's population, the
/// diffusion U-Net's sampling step, the DCGAN generator — and a mixed-precision training step of the course CNN.
/// </summary>
static class PrecisionBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 3 : 7;
        var flags = Bf16Support.CpuFeatures;
        var note = $"CPU bf16: {(flags.Count == 0 ? "none (converted in software)" : string.Join(", ", flags))}";
        Console.Error.WriteLine($"precision: {note}");

        torch.manual_seed(1);
        var cnn = Cnn.Course();
        yield return Inference("cnn-forward", "course CNN forward, batch 400 of 28x28 (a one-pixel attack's population)", cnn,
            () => rand(400, 1, 28, 28), x => cnn.call(x), rounds, 10, note);

        var unet = new DiffusionUNet(new DiffusionUNetOptions { BaseWidth = 16, Depth = 3, Classes = 10, Steps = 200 });
        using (var t = randint(0, 200, [250], dtype: int64))
        using (var labels = randint(0, 10, [250], dtype: int64))
        {
            yield return Inference("unet-sampling-step", "diffusion U-Net noise prediction, batch 250 (one sampling step)", unet,
                () => randn(250, 1, 28, 28), x => unet.PredictNoise(x, t, labels), rounds, 3, note);
        }

        var generator = new DcganGenerator();
        yield return Inference("dcgan-generator", "DCGAN generator, batch 1000", generator,
            () => randn(1000, 64), z => generator.call(z, null), rounds, 5, note);

        yield return MixedTrainingStep(rounds, note);
    }

    /// <summary>Forward passes without gradients in float32, against the same under autocast to bfloat16 (what <c>run.Inference()</c> does).</summary>
    static BenchmarkResult Inference(string name, string what, nn.Module model, Func<Tensor> input, Func<Tensor, Tensor> forward, int rounds, int repeats, string note)
    {
        model.eval();
        using var x = input();
        double Time(bool autocast)
        {
            using var noGrad = no_grad();
            using var scope = autocast ? Autocast.Enable(DeviceType.CPU) : null;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < repeats; i++)
            {
                using var step = NewDisposeScope();
                forward(x);
            }
            return clock.Elapsed.TotalMilliseconds / repeats;
        }
        Time(false);
        Time(true);
        var fp32 = new List<double>();
        var bf16 = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            fp32.Add(Time(false));
            bf16.Add(Time(true));
        }
        return new BenchmarkResult($"bf16-{name}", $"ms per call, {what}", "float32", SideBySide.Median(fp32), "autocast to bfloat16",
            SideBySide.Median(bf16), LowerIsBetter: true, $"{repeats} calls per measurement, alternating, median of {rounds}; {note}");
    }

    /// <summary>The trainer's step on the course CNN, float32 against bf16 mixed precision (float32 master weights).</summary>
    static BenchmarkResult MixedTrainingStep(int rounds, string note)
    {
        using var images = new Data.InMemoryDataset(rand(2000, 1, 28, 28), randint(0, 10, [2000], dtype: int64), "mnist-sized");
        double Epoch(Precision precision)
        {
            torch.manual_seed(1);
            var model = Cnn.Course();
            if (precision == Precision.Bf16Mixed)
                MixedPrecision.ToBf16(model);
            var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
                new TrainerOptions { Epochs = 1, BatchSize = 100, Progress = false, Precision = precision });
            var clock = System.Diagnostics.Stopwatch.StartNew();
            trainer.Fit(images);
            return clock.Elapsed.TotalMilliseconds / 20;
        }
        Epoch(Precision.Bf16Mixed);
        var fp32 = new List<double>();
        var bf16 = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            fp32.Add(Epoch(Precision.Default));
            bf16.Add(Epoch(Precision.Bf16Mixed));
        }
        return new BenchmarkResult("bf16-cnn-training-step", "ms per trainer step, course CNN, batch 100 of 28x28", "float32", SideBySide.Median(fp32),
            "bf16 mixed precision", SideBySide.Median(bf16), LowerIsBetter: true, $"one epoch of 20 steps per measurement, alternating, median of {rounds}; {note}");
    }
}
