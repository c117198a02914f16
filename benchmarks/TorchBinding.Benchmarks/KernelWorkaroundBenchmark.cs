using System.Diagnostics;
using System.Globalization;
using TorchBinding.Models;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// What a workaround for wrong convolution kernels costs: the course CNN's and course ResNet's training step (MNIST-sized
/// batches, Adam) in child processes started with each workaround forced (the gradient check off, so that an affected
/// machine times libtorch as it is too). The SSE4.1 cap must be set before libtorch starts, hence a process per setting;
/// the settings take turns, and the medians over processes are compared with libtorch as it is.
/// </summary>
static class KernelWorkaroundBenchmark
{
    const int Warmup = 5, Blocks = 5;

    static readonly (string Name, string Workaround, string? IsaCap)[] Settings =
    [
        ("libtorch as it is", "none", null),
        ("AVX cap", "avx", null),
        ("SSE4.1 cap", "sse41", null),
        ("oneDNN convolutions off", "onednn-off", null),
        ("AVX2 cap (still wrong on the affected CPU)", "none", "AVX2"),
    ];

    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        var rounds = quick ? 1 : 3;
        var self = Environment.ProcessPath!;
        var selfArgs = self.EndsWith("dotnet", StringComparison.Ordinal) ? new[] { typeof(KernelWorkaroundBenchmark).Assembly.Location } : [];
        Dictionary<string, double> Child((string Name, string Workaround, string? IsaCap) setting)
        {
            var start = new ProcessStartInfo(self, [.. selfArgs, "child-kernel-step", quick ? "quick" : "full"]) { RedirectStandardOutput = true, UseShellExecute = false };
            start.Environment[RuntimeOptions.KernelCheckVariable] = "off";
            start.Environment[RuntimeOptions.KernelWorkaroundVariable] = setting.Workaround;
            if (setting.IsaCap is null)
                start.Environment.Remove("ONEDNN_MAX_CPU_ISA");
            else
                start.Environment["ONEDNN_MAX_CPU_ISA"] = setting.IsaCap;
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"child ({setting.Name}) failed with exit code {process.ExitCode}: {output}");
            return output.Split('\n').Where(l => l.Contains('=', StringComparison.Ordinal))
                .Select(l => l.Trim().Split('='))
                .ToDictionary(p => p[0], p => double.Parse(p[1], CultureInfo.InvariantCulture));
        }
        var samples = Settings.ToDictionary(s => s.Name, _ => new List<Dictionary<string, double>>());
        for (var round = 0; round < rounds; round++)
        {
            // Rotate the order so that no setting always runs first.
            for (var i = 0; i < Settings.Length; i++)
            {
                var setting = Settings[(i + round) % Settings.Length];
                samples[setting.Name].Add(Child(setting));
            }
        }
        var baseline = Settings[0].Name;
        foreach (var model in new[] { "course_cnn", "course_resnet" })
        {
            var reference = SideBySide.Median(samples[baseline].Select(s => s[model]));
            foreach (var setting in Settings.Skip(1))
            {
                yield return new BenchmarkResult($"kernels-{model.Replace('_', '-')}", $"ms per {model.Replace('_', ' ')} training step (CPU, batch 64)",
                    baseline, reference, setting.Name, SideBySide.Median(samples[setting.Name].Select(s => s[model])), LowerIsBetter: true,
                    $"{rounds} process(es) per setting, taking turns; per process the median of {Blocks} blocks after {Warmup} warm-up steps");
            }
        }
    }

    /// <summary>The child: start the runtime with the environment's workaround, then time both models' training steps.</summary>
    public static int Child(bool quick)
    {
        TorchRuntime.Initialize();
        var stepsPerBlock = quick ? 3 : 10;
        foreach (var (name, make) in new (string, Func<nn.Module<Tensor, Tensor>>)[] { ("course_cnn", () => Cnn.Course()), ("course_resnet", () => ResNet.Course()) })
        {
            torch.manual_seed(0);
            var model = make();
            var optimizer = optim.Adam(model.parameters(), 1e-3);
            using var x = randn(64, 1, 28, 28);
            using var y = randint(0, 10, [64], dtype: int64);
            var milliseconds = SideBySide.TrainingStepMicroseconds(model, optimizer, x, y, Warmup, Blocks, stepsPerBlock) / 1000;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}={milliseconds}"));
        }
        return 0;
    }
}
