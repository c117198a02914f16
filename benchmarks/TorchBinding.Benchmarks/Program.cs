// TorchBinding benchmarks: every case is a ratio against a baseline measured side by side in this run.
//   dotnet run -c Release --project benchmarks/TorchBinding.Benchmarks -- [--quick] [--threads N] [case ...]
// --threads N sets libtorch's thread count for every case (pytorch-cpu gives PyTorch the same; its default: all cores).
// Prints a markdown table and writes it to runs/bench/results.md (scripts/bench.sh does both).
using System.Globalization;
using TorchBinding.Benchmarks;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args is ["child-startup-step", var mode, var natives, var libTorchSharp])
    return StartupStepBenchmark.Child(mode, natives, libTorchSharp);
if (args is ["child-kernel-step", var length])
    return KernelWorkaroundBenchmark.Child(length == "quick");

var cases = new Dictionary<string, Func<bool, IEnumerable<BenchmarkResult>>>
{
    ["startup-step"] = quick => [StartupStepBenchmark.Run(quick)],
    ["batching"] = BatchingBenchmark.Run,
    ["trainer"] = TrainerBenchmark.Run,
    ["models"] = ModelTrainingBenchmark.Run,
    ["optimizers"] = OptimizerBenchmark.Run,
    ["graphs"] = GraphBenchmark.Run,
    ["vit"] = AttentionBenchmark.Run,
    ["kernels"] = KernelWorkaroundBenchmark.Run,
    ["precision"] = PrecisionBenchmark.Run,
    ["pytorch-cpu"] = PyTorchComparison.Run,
    ["trainer-steps"] = TrainerStepBenchmark.Run,
    ["layout"] = LayoutBenchmark.Run,
};
var threadsAt = Array.IndexOf(args, "--threads");
if (threadsAt >= 0)
{
    if (threadsAt + 1 >= args.Length || !int.TryParse(args[threadsAt + 1], out var threads) || threads < 1)
    {
        Console.Error.WriteLine("--threads needs a positive number.");
        return 2;
    }
    BenchSettings.Threads = threads;
    TorchBinding.Runtime.TorchRuntime.Initialize();
    TorchSharp.torch.set_num_threads(threads);
    args = [.. args[..threadsAt], .. args[(threadsAt + 2)..]];
}
var quick = args.Contains("--quick");
var chosen = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
if (chosen.Count == 0)
    chosen = cases.Keys.Where(k => k != "pytorch-cpu").ToList(); // the comparison with PyTorch runs when named
var unknown = chosen.Except(cases.Keys).ToList();
if (unknown.Count > 0)
{
    Console.Error.WriteLine($"Unknown case(s): {string.Join(", ", unknown)}. Cases: {string.Join(", ", cases.Keys)}.");
    return 2;
}

var results = new List<BenchmarkResult>();
foreach (var (name, run) in cases.Where(c => chosen.Count == 0 || chosen.Contains(c.Key)))
{
    Console.Error.WriteLine($"bench: running {name}{(quick ? " (quick)" : "")} ...");
    foreach (var result in run(quick))
    {
        results.Add(result);
        Console.Error.WriteLine($"bench: {result.Case}: ratio {result.Ratio:F3}");
    }
}

var table = BenchmarkResult.Header + "\n" + string.Join("\n", results.Select(r => r.Row()));
var libtorchThreads = TorchBinding.Runtime.TorchRuntime.IsInitialized ? $"{TorchSharp.torch.get_num_threads()} libtorch thread(s), " : "";
var machine = $"{Environment.ProcessorCount} cores, {libtorchThreads}{System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
Console.WriteLine(table);
Console.WriteLine($"\nmachine: {machine}");
Directory.CreateDirectory(Path.Combine("runs", "bench"));
File.WriteAllText(Path.Combine("runs", "bench", "results.md"), $"{table}\n\nmachine: {machine}\n");
return 0;
