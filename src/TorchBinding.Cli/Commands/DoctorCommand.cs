using System.CommandLine;
using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchBinding.Runtime.Kernels;
using static TorchSharp.torch;

namespace TorchBinding.Cli.Commands;

/// <summary>
/// <c>torchbinding doctor</c>: every start-up check in one table, each with a verdict and, where something is wrong, what
/// to do. Exit code 1 when anything is wrong. It starts the runtime with the gradient check in warn mode, so that a fault
/// is shown in the table rather than stopping the command.
/// </summary>
static class DoctorCommand
{
    enum Verdict { Ok, Note, Wrong }

    sealed record Row(string Check, Verdict Verdict, string Finding, string? Advice = null);

    public static Command Create()
    {
        var command = new Command("doctor", "check libtorch's start-up, kernels (gradients), threads, CUDA, cache and data on this machine");
        command.SetAction(_ => Guard.Run(Doctor));
        return command;
    }

    static int Doctor()
    {
        var rows = new List<Row>();
        try
        {
            var options = RuntimeOptions.FromEnvironment();
            TorchRuntime.Initialize(options.KernelCheck == KernelCheckMode.On ? options with { KernelCheck = KernelCheckMode.Warn } : options);
        }
        catch (RuntimeInitializationException e)
        {
            rows.Add(new("libtorch", Verdict.Wrong, e.Message, "See native/README.md; TORCHBINDING_VERBOSE=1 shows each start-up decision."));
            return Print(rows);
        }
        var runtime = TorchRuntime.Describe();
        rows.Add(new("libtorch", Verdict.Ok, $"{runtime.LibTorchVersion} from {runtime.Source}, {runtime.LibTorchDirectory ?? "(resolved by .NET)"}; TorchSharp {runtime.TorchSharpVersion}"));
        rows.Add(new("GLIBCXX fix", Verdict.Ok, runtime.CompatibilityFix is null ? "not needed on this host" : $"applied: {runtime.LibTorchSharpPath}"));
        var kernels = runtime.KernelCheck!;
        rows.Add(new("CPU", Verdict.Note, $"{kernels.Cpu}; oneDNN ISA {kernels.Isa}; {Environment.ProcessorCount} logical processors"));
        rows.Add(ConvolutionGradients(kernels));
        rows.Add(OperatorGradients());
        rows.Add(Threads(runtime));
        rows.AddRange(Cuda(runtime));
        rows.Add(CacheWritable());
        rows.AddRange(DataSets());
        return Print(rows);
    }

    static Row ConvolutionGradients(KernelCheckReport startup)
    {
        // Checked again now, as the process runs, with whatever the start-up applied.
        var now = TorchRuntime.RecheckConvolutionGradients();
        var finding = $"start-up: {startup.Verdict}; now: {(now.Passed ? "right" : "WRONG")}, worst {now.Worst} ({now.Milliseconds:F0} ms)";
        if (startup.Fault is not null)
            finding += $"; fault seen on this CPU: {startup.Fault}";
        if (!now.Passed || !startup.Passed)
            return new("conv gradients", Verdict.Wrong, finding, $"Training CNNs here uses wrong gradients. Try TORCHBINDING_KERNEL_WORKAROUND=avx, sse41 or onednn-off; verdict file: {startup.CacheFile}.");
        return new("conv gradients", startup.Workaround == KernelWorkaround.None ? Verdict.Ok : Verdict.Note, finding,
            startup.Workaround == KernelWorkaround.None ? null : "Worked around (slower convolutions); README: 'Kernels checked where they run'.");
    }

    static Row OperatorGradients()
    {
        var report = OpGradientSuite.Run();
        return report.Failures.Count == 0
            ? new("op gradients", Verdict.Ok, $"{report.Results.Count} cases of {report.Results.Select(r => r.Op).Distinct().Count()} ops right (float32 against float64)")
            : new("op gradients", Verdict.Wrong, report.ToString(), "These ops' float32 kernels are wrong on this machine; please report the table with `torchbinding doctor` output.");
    }

    static Row Threads(RuntimeDescription runtime)
    {
        var finding = $"{runtime.IntraOpThreads} intra-op, {runtime.InterOpThreads} inter-op on {Environment.ProcessorCount} logical processors";
        return runtime.IntraOpThreads > Environment.ProcessorCount
            ? new("threads", Verdict.Note, finding, "More threads than processors: libtorch's OpenMP threads spin while waiting; set TORCHBINDING_THREADS.")
            : new("threads", Verdict.Ok, finding);
    }

    static IEnumerable<Row> Cuda(RuntimeDescription runtime)
    {
        if (!runtime.CudaAvailable)
        {
            yield return new("CUDA", Verdict.Note, "not available", runtime.Source == "libtorch-cpu package"
                ? "For a GPU, run on a CUDA PyTorch install: TORCHBINDING_LIBTORCH=python with an app built -p:TorchBindingLibTorch=external (README: GPU set-up)."
                : null);
            yield break;
        }
        for (var index = 0; index < runtime.CudaDevices.Count; index++)
        {
            var (ok, finding) = CheckCudaDevice(index);
            yield return new($"cuda:{index}", ok ? Verdict.Ok : Verdict.Wrong, $"{runtime.CudaDevices[index]}: {finding}",
                ok ? null : "This device's kernels disagree with the CPU's float64 results.");
        }
    }

    /// <summary>A 256x256 matmul and a small convolution's gradients on the device, against float64 on the CPU.</summary>
    static (bool Ok, string Finding) CheckCudaDevice(int index)
    {
        using var scope = NewDisposeScope();
        var device = new Device(TorchSharp.DeviceType.CUDA, index);
        var generator = new Generator(7);
        var a = randn([256, 256], float64, generator: generator);
        var b = randn([256, 256], float64, generator: generator);
        var product = a.to(float32).to(device).matmul(b.to(float32).to(device)).cpu().to(float64);
        var matmulError = OpGradientSuite.RelativeError(product, a.matmul(b));
        var x = randn([3, 4, 8, 8], float64, generator: generator);
        var w = randn([8, 4, 3, 3], float64, generator: generator) / 6;
        Tensor Gradient(Device on, ScalarType dtype)
        {
            var input = x.to(dtype).to(on).requires_grad_();
            nn.functional.conv2d(input, w.to(dtype).to(on), padding: [1, 1]).square().sum().backward();
            return input.grad!.cpu().to(float64);
        }
        var convolutionError = OpGradientSuite.RelativeError(Gradient(device, float32), Gradient(CPU, float64));
        // TF32 may serve float32 matmuls on recent GPUs: about 1e-3 relative.
        var ok = matmulError < 5e-3 && convolutionError < 5e-3;
        return (ok, $"matmul off by {matmulError:G2}, conv2d input gradient off by {convolutionError:G2} (float32 on the device against float64 on the CPU)");
    }

    static Row CacheWritable()
    {
        var root = CacheDirectory.Root;
        try
        {
            Directory.CreateDirectory(root);
            var probe = Path.Combine(root, $".doctor-{Environment.ProcessId}");
            File.WriteAllText(probe, "ok");
            File.Delete(probe);
            return new("cache folder", Verdict.Ok, $"{root} is writable");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new("cache folder", Verdict.Wrong, $"{root} is not writable: {e.Message}", $"Set {CacheDirectory.EnvironmentVariable} to a writable folder.");
        }
    }

    static IEnumerable<Row> DataSets()
    {
        foreach (var entry in DatasetCatalog.All)
        {
            var paths = entry.FindLocally();
            yield return paths switch
            {
                null => new($"data: {entry.Name}", Verdict.Note, "not on this machine", $"torchbinding data fetch {entry.Name} (or scripts/fetch-data.sh)"),
                { Count: 0 } => new($"data: {entry.Name}", Verdict.Ok, "embedded in TorchBinding"),
                _ => new($"data: {entry.Name}", Verdict.Ok, Path.GetDirectoryName(paths[0]) ?? paths[0]),
            };
        }
    }

    static int Print(List<Row> rows)
    {
        var table = Output.Table("check", "verdict", "finding", "what to do");
        foreach (var row in rows)
            table.Row(row.Check, row.Verdict switch { Verdict.Ok => "ok", Verdict.Note => "note", _ => "WRONG" }, row.Finding, row.Advice ?? "");
        Output.Console.Write(table);
        var wrong = rows.Count(r => r.Verdict == Verdict.Wrong);
        Console.WriteLine(wrong == 0 ? $"doctor: all {rows.Count} checks passed" : $"doctor: {wrong} of {rows.Count} checks found something wrong");
        return wrong == 0 ? ExitCodes.Success : ExitCodes.Failure;
    }
}
