// TorchBinding benchmarks: every case is a ratio against a baseline measured side by side in this run.
//   dotnet run -c Release --project benchmarks/TorchBinding.Benchmarks -- [--quick] [case ...]
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
};
var quick = args.Contains("--quick");
var chosen = args.Where(a => !a.StartsWith("--", StringComparison.Ordinal)).ToList();
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
var machine = $"{Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}";
Console.WriteLine(table);
Console.WriteLine($"\nmachine: {machine}");
Directory.CreateDirectory(Path.Combine("runs", "bench"));
File.WriteAllText(Path.Combine("runs", "bench", "results.md"), $"{table}\n\nmachine: {machine}\n");
return 0;
