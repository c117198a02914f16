using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Does TorchBinding's start-up cost anything per training step? Two kinds of child process run the same
/// MLP training step (64-128-10, Adam, batch 64): one started by <see cref="TorchRuntime.Initialize"/>, one
/// by plain TorchSharp after a hand-written native load (the documented recipe: libc10, libtorch_cpu,
/// libtorch, then libLibTorchSharp by path). Each process reports the median over blocks of steps; the
/// processes alternate, and the medians over processes are compared.
/// </summary>
static class StartupStepBenchmark
{
    const int Warmup = 300, Blocks = 7, StepsPerBlock = 1000;

    public static BenchmarkResult Run(bool quick)
    {
        TorchRuntime.Initialize();
        var description = TorchRuntime.Describe();
        var libTorchSharp = description.LibTorchSharpPath
            ?? throw new InvalidOperationException("The start-up benchmark needs a Linux host, where the libLibTorchSharp path is known.");
        var natives = description.LibTorchDirectory!;
        var rounds = quick ? 2 : 5;
        var self = Environment.ProcessPath!;
        var selfArgs = self.EndsWith("dotnet", StringComparison.Ordinal) ? new[] { typeof(StartupStepBenchmark).Assembly.Location } : [];
        double Child(string mode)
        {
            var start = new ProcessStartInfo(self, [.. selfArgs, "child-startup-step", mode, natives, libTorchSharp]) { RedirectStandardOutput = true, UseShellExecute = false };
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"child ({mode}) failed with exit code {process.ExitCode}: {output}");
            var line = output.Split('\n').Single(l => l.StartsWith("step_us=", StringComparison.Ordinal));
            return double.Parse(line["step_us=".Length..], CultureInfo.InvariantCulture);
        }
        var (plain, ours) = SideBySide.Alternate(rounds, () => Child("plain"), () => Child("torchbinding"));
        return new BenchmarkResult("startup-step", "µs per MLP training step (CPU)", "plain TorchSharp start-up", plain, "TorchBinding start-up", ours, LowerIsBetter: true,
            $"{rounds} processes each, alternating; per process the median of {Blocks} blocks of {StepsPerBlock} steps after {Warmup} warm-up steps");
    }

    /// <summary>The child process: start the runtime one way or the other, then time the step.</summary>
    public static int Child(string mode, string natives, string libTorchSharp)
    {
        if (mode == "plain")
        {
            foreach (var library in new[] { "libc10.so", "libtorch_cpu.so", "libtorch.so" })
                NativeLibrary.Load(Path.Combine(natives, library));
            NativeLibrary.Load(libTorchSharp);
        }
        else
        {
            TorchRuntime.Initialize();
        }
        torch.manual_seed(0);
        var model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10));
        var optimizer = optim.Adam(model.parameters(), 1e-3);
        using var x = rand(64, 64);
        using var y = randint(0, 10, [64], dtype: int64);
        var stepMicroseconds = SideBySide.TrainingStepMicroseconds(model, optimizer, x, y, Warmup, Blocks, StepsPerBlock);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step_us={stepMicroseconds}"));
        return 0;
    }
}
