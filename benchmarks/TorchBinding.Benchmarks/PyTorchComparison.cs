using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchBinding.Data;
using TorchBinding.Models;
using TorchBinding.Models.Transformers;
using TorchBinding.Runtime;
using TorchBinding.Runtime.Kernels;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Training images per second of the course CNN, ResNet and ViT in TorchBinding (the trainer with its default flat Adam)
/// against PyTorch on this machine (Debian's python3-torch), in one run: the app starts the Python worker
/// (scripts/pytorch/bench_worker.py), and the two sides take turns, block by block, at the same thread count, on the same
/// batches' shape (100 random 28x28 images, an in-memory set of 2000, one block = one epoch of 20 steps), Adam 1e-3
/// defaults on both. Then forward, backward and optimizer time per step of both sides (hand loops), block by block too.
/// Writes runs/bench/pytorch_cpu.json. Skips, saying why, where no Python with torch is found
/// (<c>TORCHBINDING_PYTHON</c> names one).
/// </summary>
static class PyTorchComparison
{
    const int Batch = 100, Samples = 2000;

    static readonly (string Key, string Worker, string Name, Func<nn.Module<Tensor, Tensor>> Make)[] Models =
    [
        ("course_cnn", "cnn", "course CNN", () => Cnn.Course()),
        ("course_resnet", "resnet", "course ResNet", () => ResNet.Course()),
        ("course_vit", "vit", "course ViT", () => VisionTransformer.Course()),
    ];

    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        var threads = BenchSettings.Threads ?? Environment.ProcessorCount;
        var (python, found) = FindPython();
        if (python is null)
        {
            Console.Error.WriteLine($"bench: pytorch-cpu skipped: {found}");
            yield break;
        }
        TorchRuntime.Initialize();
        torch.set_num_threads(threads);
        var rounds = quick ? 3 : 7;
        var phaseRounds = quick ? 2 : 5;
        var worker = FindWorker() ?? throw new FileNotFoundException("scripts/pytorch/bench_worker.py not found above the working directory.");
        using var pytorch = new Worker(python, worker, threads);
        var info = pytorch.Ask("info");
        var runtime = TorchRuntime.Describe();
        var json = new JsonObject
        {
            ["threads"] = threads,
            ["batch"] = Batch,
            ["steps_per_block"] = Samples / Batch,
            ["blocks_per_side"] = rounds,
            ["cpu"] = CpuModel(),
            ["torchsharp_version"] = runtime.TorchSharpVersion,
            ["libtorch_version"] = runtime.LibTorchVersion,
            ["kernel_workaround"] = TorchRuntime.KernelCheck?.Workaround.Name() ?? "unknown",
            ["onednn_isa"] = TorchRuntime.KernelCheck?.Isa ?? "unknown",
            ["pytorch_version"] = info["torch_version"]!.GetValue<string>(),
            ["pytorch_python"] = python,
            ["pytorch_threads"] = info["threads"]!.GetValue<int>(),
            ["pytorch_optimizer"] = info["optimizer"]!.GetValue<string>(),
            ["torchbinding_optimizer"] = "Optim.Adam(1e-3): FlatAdam, libtorch's fused Adam kernel on one flat buffer",
        };
        Console.Error.WriteLine($"bench: pytorch-cpu at {threads} thread(s): TorchBinding (libtorch {runtime.LibTorchVersion}, kernel workaround " +
            $"{json["kernel_workaround"]}, oneDNN ISA {json["onednn_isa"]}) against PyTorch {json["pytorch_version"]} ({python}); CPU {json["cpu"]}");

        using var images = new InMemoryDataset(rand(Samples, 1, 28, 28), randint(0, 10, [Samples], dtype: int64), "mnist-sized");
        var results = new List<BenchmarkResult>();
        foreach (var (key, workerName, name, make) in Models)
        {
            torch.manual_seed(0);
            var model = make();
            var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
                new TrainerOptions { Epochs = 1, BatchSize = Batch, Seed = 1, Progress = false });
            double Ours()
            {
                var clock = Stopwatch.StartNew();
                trainer.Fit(images);
                return clock.Elapsed.TotalMilliseconds / (Samples / Batch);
            }
            double Theirs() => pytorch.Ask($"train {workerName} {Samples / Batch}")["ms_per_step"]!.GetValue<double>();
            Ours();
            Theirs();
            var (theirs, ours) = SideBySide.Alternate(rounds, Theirs, Ours);
            var (oursPerSecond, theirsPerSecond) = (Batch * 1e3 / ours, Batch * 1e3 / theirs);
            json[$"images_per_s_torchbinding_{key}"] = Math.Round(oursPerSecond, 1);
            json[$"images_per_s_pytorch_{key}"] = Math.Round(theirsPerSecond, 1);
            json[$"ratio_{key}"] = Math.Round(oursPerSecond / theirsPerSecond, 3);
            Console.Error.WriteLine($"bench: {name}: TorchBinding {oursPerSecond:F0} images/s ({ours:F1} ms/step), PyTorch {theirsPerSecond:F0} images/s ({theirs:F1} ms/step), ratio {oursPerSecond / theirsPerSecond:F3}");
            results.Add(new BenchmarkResult($"pytorch-cpu-{key.Replace('_', '-')}", $"training images/s, {name}, batch {Batch} of 28x28, {threads} thread(s)",
                $"PyTorch {json["pytorch_version"]}", theirsPerSecond, "TorchBinding Trainer", oursPerSecond, LowerIsBetter: false,
                $"blocks of {Samples / Batch} steps, alternating, median of {rounds}"));

            // Where the time goes: a hand loop on each side, timed by phase.
            var phases = PhaseTimer.Create(make, images);
            var (theirPhases, ourPhases) = (new List<double[]>(), new List<double[]>());
            for (var round = 0; round < phaseRounds; round++)
            {
                void Mine() => ourPhases.Add(phases.Block(10));
                void Python()
                {
                    var answer = pytorch.Ask($"phases {workerName} 10");
                    theirPhases.Add([answer["forward_ms"]!.GetValue<double>(), answer["backward_ms"]!.GetValue<double>(), answer["optimizer_ms"]!.GetValue<double>()]);
                }
                if (round % 2 == 0) { Python(); Mine(); } else { Mine(); Python(); }
            }
            phases.Dispose();
            string[] labels = ["forward", "backward", "optimizer"];
            var line = new List<string>();
            for (var i = 0; i < 3; i++)
            {
                var (mine, theirsMs) = (SideBySide.Median(ourPhases.Skip(1).Select(p => p[i])), SideBySide.Median(theirPhases.Skip(1).Select(p => p[i])));
                json[$"{labels[i]}_ms_torchbinding_{key}"] = Math.Round(mine, 2);
                json[$"{labels[i]}_ms_pytorch_{key}"] = Math.Round(theirsMs, 2);
                line.Add($"{labels[i]} {mine:F1} vs {theirsMs:F1}");
            }
            Console.Error.WriteLine($"bench: {name} per step, hand loops, TorchBinding vs PyTorch (ms): {string.Join(", ", line)}");
        }
        Directory.CreateDirectory(Path.Combine("runs", "bench"));
        File.WriteAllText(Path.Combine("runs", "bench", "pytorch_cpu.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        foreach (var result in results)
            yield return result;
    }

    /// <summary>
    /// A Python interpreter that imports torch and its torch version: <c>TORCHBINDING_PYTHON</c>, else python3 on the path, else
    /// /usr/bin/python3 (Debian's, which a pyenv shim on the path hides); or null and why not.
    /// </summary>
    static (string? Python, string Found) FindPython()
    {
        var chosen = Environment.GetEnvironmentVariable("TORCHBINDING_PYTHON");
        var candidates = string.IsNullOrWhiteSpace(chosen) ? new[] { "python3", "/usr/bin/python3" } : [chosen];
        var tried = new List<string>();
        foreach (var candidate in candidates)
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(candidate, ["-c", "import torch; print(torch.__version__)"])
                {
                    RedirectStandardOutput = true, RedirectStandardError = true,
                })!;
                var output = process.StandardOutput.ReadToEnd();
                var error = process.StandardError.ReadToEnd();
                process.WaitForExit();
                if (process.ExitCode == 0)
                    return (candidate, output.Trim());
                tried.Add($"{candidate}: {error.Trim().Split('\n').LastOrDefault()}");
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                tried.Add($"{candidate}: {e.Message}");
            }
        }
        return (null, $"no Python with PyTorch found ({string.Join("; ", tried)}); install Debian's python3-torch or set TORCHBINDING_PYTHON.");
    }

    static string? FindWorker()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "scripts", "pytorch", "bench_worker.py");
            if (File.Exists(path))
                return path;
        }
        return null;
    }

    static string CpuModel()
    {
        try
        {
            return File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    /// <summary>The Python worker: one command a line in, one JSON answer a line out.</summary>
    sealed class Worker : IDisposable
    {
        readonly Process _process;

        public Worker(string python, string script, int threads)
        {
            var start = new ProcessStartInfo(python, [script, "--threads", threads.ToString(CultureInfo.InvariantCulture), "--batch", Batch.ToString(CultureInfo.InvariantCulture),
                "--samples", Samples.ToString(CultureInfo.InvariantCulture)])
            {
                RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false,
            };
            // Both sides at the same thread count, whatever the caller's environment says.
            start.Environment["OMP_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
            start.Environment["MKL_NUM_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
            _process = Process.Start(start)!;
        }

        public JsonObject Ask(string command)
        {
            _process.StandardInput.WriteLine(command);
            _process.StandardInput.Flush();
            var line = _process.StandardOutput.ReadLine() ?? throw new InvalidOperationException($"The PyTorch worker ended while asked '{command}' (its error is above).");
            var answer = JsonNode.Parse(line)!.AsObject();
            return answer["error"] is { } error ? throw new InvalidOperationException($"The PyTorch worker failed '{command}': {error}") : answer;
        }

        public void Dispose()
        {
            try
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Close();
                if (!_process.WaitForExit(10_000))
                    _process.Kill();
            }
            finally
            {
                _process.Dispose();
            }
        }
    }

    /// <summary>
    /// A hand-written TorchSharp loop with the trainer's default optimizer (FlatAdam), timed by phase: forward with the loss
    /// read, backward, then step and zero_grad — as the Python worker times its own.
    /// </summary>
    sealed class PhaseTimer : IDisposable
    {
        readonly nn.Module<Tensor, Tensor> _model;
        readonly optim.Optimizer _optimizer;
        readonly BatchLoader _batches;
        IEnumerator<Batch>? _position;

        PhaseTimer(nn.Module<Tensor, Tensor> model, InMemoryDataset data)
        {
            _model = model;
            _model.train();
            _optimizer = new FlatAdam(model.parameters(), 1e-3);
            _batches = data.Batches(Batch, new BatchOptions { Seed = 1 });
        }

        public static PhaseTimer Create(Func<nn.Module<Tensor, Tensor>> make, InMemoryDataset data)
        {
            torch.manual_seed(0);
            var timer = new PhaseTimer(make(), data);
            timer.Block(5);
            return timer;
        }

        Batch Next()
        {
            if (_position is null || !_position.MoveNext())
            {
                _position?.Dispose();
                _position = _batches.GetEnumerator();
                _position.MoveNext();
            }
            return _position.Current;
        }

        /// <summary>Milliseconds per step of forward, backward and optimizer over <paramref name="steps"/> steps.</summary>
        public double[] Block(int steps)
        {
            var (forward, backward, optimizer) = (0.0, 0.0, 0.0);
            for (var i = 0; i < steps; i++)
            {
                using var scope = NewDisposeScope();
                var (x, y) = Next();
                var t0 = Stopwatch.GetTimestamp();
                var loss = nn.functional.cross_entropy(_model.call(x), y);
                loss.item<float>();
                var t1 = Stopwatch.GetTimestamp();
                loss.backward();
                var t2 = Stopwatch.GetTimestamp();
                _optimizer.step();
                _optimizer.zero_grad();
                var t3 = Stopwatch.GetTimestamp();
                forward += Stopwatch.GetElapsedTime(t0, t1).TotalMilliseconds;
                backward += Stopwatch.GetElapsedTime(t1, t2).TotalMilliseconds;
                optimizer += Stopwatch.GetElapsedTime(t2, t3).TotalMilliseconds;
            }
            return [forward / steps, backward / steps, optimizer / steps];
        }

        public void Dispose()
        {
            _position?.Dispose();
            _batches.Dispose();
            _optimizer.Dispose();
            _model.Dispose();
        }
    }
}
