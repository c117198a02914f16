using TorchBinding.Runtime.Kernels;

namespace TorchBinding.Runtime;

/// <summary>What to do when an external libtorch's version differs from the one TorchSharp was built for.</summary>
public enum LibTorchVersionCheck
{
    /// <summary>Accept the built-for version and those seen working; refuse others (default).</summary>
    Strict,

    /// <summary>Accept any version, with a warning for untested ones.</summary>
    Warn,

    /// <summary>Accept any version silently.</summary>
    Off,
}

/// <summary>
/// How the native runtime starts. Every property has an environment-variable equivalent, so that
/// scripts and the examples can be steered without code; <see cref="FromEnvironment"/> reads them.
/// Pass options to <see cref="TorchRuntime.Initialize"/> before any other TorchBinding or TorchSharp use.
/// </summary>
public sealed record RuntimeOptions
{
    /// <summary>Names the external libtorch: a folder with its libraries, or "python" to use a PyTorch install.</summary>
    public const string LibTorchVariable = "TORCHBINDING_LIBTORCH";

    /// <summary>Python executable for discovery (default python3).</summary>
    public const string PythonVariable = "TORCHBINDING_PYTHON";

    /// <summary>"0" turns the GLIBCXX compatibility fix off.</summary>
    public const string CompatibilityFixVariable = "TORCHBINDING_COMPAT_FIX";

    /// <summary>strict | warn | off.</summary>
    public const string VersionCheckVariable = "TORCHBINDING_LIBTORCH_VERSION_CHECK";

    /// <summary>Number of intra-op threads.</summary>
    public const string ThreadsVariable = "TORCHBINDING_THREADS";

    /// <summary>"1" prints what the start-up does to standard error.</summary>
    public const string VerboseVariable = "TORCHBINDING_VERBOSE";

    /// <summary>on | warn | off: the start-up's convolution gradient self-check (<see cref="KernelCheckMode"/>).</summary>
    public const string KernelCheckVariable = "TORCHBINDING_KERNEL_CHECK";

    /// <summary>auto | none | avx | sse41 | onednn-off: the workaround for wrong convolution kernels (<see cref="Kernels.KernelWorkaround"/>).</summary>
    public const string KernelWorkaroundVariable = "TORCHBINDING_KERNEL_WORKAROUND";

    /// <summary>"0" leaves glibc's malloc thresholds as they are (<see cref="MallocTuning"/>).</summary>
    public const string MallocTuningVariable = "TORCHBINDING_MALLOC_TUNING";

    /// <summary>Milliseconds between the scalar sweeper's collections; "0" turns it off (<see cref="ScalarSweepInterval"/>).</summary>
    public const string ScalarSweepVariable = "TORCHBINDING_SCALAR_SWEEP_MS";

    /// <summary>
    /// Test seam: makes the self-check see a fault (float32 gradients a third off) on the routes listed (default-kernels,
    /// avx, sse41, onednn-off, comma-separated) or on every route (always), so that the workarounds and the failure can
    /// be shown on any machine.
    /// </summary>
    public const string KernelFaultVariable = "TORCHBINDING_KERNEL_CHECK_FAULT";

    /// <summary>
    /// Folder of an external libtorch (the <c>lib</c> folder of a libtorch distribution or of a PyTorch
    /// install) to run on instead of the libtorch-cpu package natives, e.g. a CUDA build. The application
    /// must then be built without libtorch-cpu (<c>-p:TorchBindingLibTorch=external</c>).
    /// </summary>
    public string? LibTorchDirectory { get; init; }

    /// <summary>Find a Python PyTorch install (by running <see cref="PythonExecutable"/>) and use its libtorch.</summary>
    public bool UsePythonTorch { get; init; }

    /// <summary>The Python used for discovery.</summary>
    public string PythonExecutable { get; init; } = "python3";

    /// <summary>Apply the GLIBCXX_3.4.32 fix where the host needs it (Debian 12, Ubuntu 22.04). Default true.</summary>
    public bool CompatibilityFix { get; init; } = true;

    /// <summary>How strictly an external libtorch's version is checked.</summary>
    public LibTorchVersionCheck VersionCheck { get; init; } = LibTorchVersionCheck.Strict;

    /// <summary>Where patched native copies are kept (default: the TorchBinding cache's <c>native</c> folder).</summary>
    public string NativeCacheDirectory { get; init; } = CacheDirectory.Sub("native");

    /// <summary>Intra-op thread count to set after start-up (null: libtorch's default), at most <see cref="MaxThreads"/>.</summary>
    public int? Threads { get; init; }

    /// <summary>
    /// The most intra-op threads accepted: 4 per processor. libtorch's OpenMP threads spin while they wait, so far more
    /// threads than processors only slow a run down, and a huge count (say 100000) makes the process appear to hang.
    /// </summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    /// <summary>The convolution gradient self-check at start-up (default: on, stop if no workaround helps).</summary>
    public KernelCheckMode KernelCheck { get; init; } = KernelCheckMode.On;

    /// <summary>A workaround to apply whatever the check finds; null (default) lets the check choose.</summary>
    public KernelWorkaround? KernelWorkaround { get; init; }

    /// <summary>Where the self-check keeps what it learned about this machine (default: the TorchBinding cache's <c>kernels</c> folder).</summary>
    public string KernelCheckCacheDirectory { get; init; } = CacheDirectory.Sub("kernels");

    /// <summary>The test seam of <see cref="KernelFaultVariable"/>: the routes on which the self-check sees a fault.</summary>
    internal IReadOnlySet<KernelWorkaround> InjectedKernelFaults { get; init; } = new HashSet<KernelWorkaround>();

    /// <summary>"always", or a comma-separated list of routes (none or default-kernels, avx, sse41, onednn-off).</summary>
    static HashSet<KernelWorkaround> ParseFaultRoutes(string text)
    {
        if (text.Trim() == "always")
            return [.. Enum.GetValues<KernelWorkaround>()];
        var routes = new HashSet<KernelWorkaround>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == "default-kernels")
                routes.Add(Kernels.KernelWorkaround.None);
            else if (KernelWorkarounds.TryParse(part, out var route) && route is { } known)
                routes.Add(known);
            else
                throw new RuntimeInitializationException($"{KernelFaultVariable}='{text}' is not 'always' or a list of routes from default-kernels (or none), avx, sse41, onednn-off.");
        }
        return routes;
    }

    /// <summary>
    /// On Linux (glibc), keep freed tensor memory for reuse (default true): without it glibc returns a step's activation
    /// memory to the system at the end of each step and the next step faults it in again, page by page, which cost the
    /// course ResNet 10-50 % of its step time here. The process keeps its peak heap instead.
    /// </summary>
    public bool MallocTuning { get; init; } = true;

    /// <summary>
    /// How often a young-generation garbage collection frees the native scalars TorchSharp leaves to finalizers (default
    /// 1 s; zero turns it off). Without it a training loop's native heap can grow by megabytes per step although every
    /// tensor is disposed (<see cref="ScalarSweeper"/>).
    /// </summary>
    public TimeSpan ScalarSweepInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Report each start-up decision through <see cref="Log"/> (or standard error).</summary>
    public bool Verbose { get; init; }

    /// <summary>Receives start-up messages; default writes them to standard error when <see cref="Verbose"/> is set.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>The options the environment variables describe (the defaults where none is set).</summary>
    public static RuntimeOptions FromEnvironment()
    {
        var options = new RuntimeOptions();
        var libtorch = Environment.GetEnvironmentVariable(LibTorchVariable);
        if (!string.IsNullOrWhiteSpace(libtorch))
        {
            options = libtorch.Trim().Equals("python", StringComparison.OrdinalIgnoreCase)
                ? options with { UsePythonTorch = true }
                : options with { LibTorchDirectory = libtorch.Trim() };
        }
        if (Environment.GetEnvironmentVariable(PythonVariable) is { Length: > 0 } python)
            options = options with { PythonExecutable = python };
        if (Environment.GetEnvironmentVariable(CompatibilityFixVariable) is { Length: > 0 } fix)
            options = options with { CompatibilityFix = !IsOff(fix) };
        if (Environment.GetEnvironmentVariable(VersionCheckVariable) is { Length: > 0 } check)
        {
            options = options with
            {
                VersionCheck = Enum.TryParse<LibTorchVersionCheck>(check, ignoreCase: true, out var parsed)
                    ? parsed
                    : throw new RuntimeInitializationException($"{VersionCheckVariable}='{check}' is not one of strict, warn, off."),
            };
        }
        if (Environment.GetEnvironmentVariable(ThreadsVariable) is { Length: > 0 } threads)
        {
            options = options with
            {
                Threads = int.TryParse(threads, out var n) && n > 0 && n <= MaxThreads
                    ? n
                    : throw new RuntimeInitializationException($"{ThreadsVariable}='{threads}' is not a whole number from 1 to {MaxThreads} " +
                        $"(4 per processor of this machine's {Environment.ProcessorCount}; more only make libtorch's threads wait for each other)."),
            };
        }
        if (Environment.GetEnvironmentVariable(KernelCheckVariable) is { Length: > 0 } kernelCheck)
        {
            options = options with
            {
                KernelCheck = Enum.TryParse<KernelCheckMode>(kernelCheck.Trim(), ignoreCase: true, out var mode) && Enum.IsDefined(mode)
                    ? mode
                    : throw new RuntimeInitializationException($"{KernelCheckVariable}='{kernelCheck}' is not one of on, warn, off."),
            };
        }
        if (Environment.GetEnvironmentVariable(KernelWorkaroundVariable) is { Length: > 0 } workaround)
        {
            options = options with
            {
                KernelWorkaround = KernelWorkarounds.TryParse(workaround, out var chosen)
                    ? chosen
                    : throw new RuntimeInitializationException($"{KernelWorkaroundVariable}='{workaround}' is not one of auto, none, avx, sse41, onednn-off."),
            };
        }
        if (Environment.GetEnvironmentVariable(KernelFaultVariable) is { Length: > 0 } fault)
            options = options with { InjectedKernelFaults = ParseFaultRoutes(fault) };
        if (Environment.GetEnvironmentVariable(MallocTuningVariable) is { Length: > 0 } malloc)
            options = options with { MallocTuning = !IsOff(malloc) };
        if (Environment.GetEnvironmentVariable(ScalarSweepVariable) is { Length: > 0 } sweep)
        {
            options = options with
            {
                ScalarSweepInterval = int.TryParse(sweep.Trim(), out var milliseconds) && milliseconds >= 0
                    ? TimeSpan.FromMilliseconds(milliseconds)
                    : throw new RuntimeInitializationException($"{ScalarSweepVariable}='{sweep}' is not a whole number of milliseconds (0 turns the sweeper off)."),
            };
        }
        if (Environment.GetEnvironmentVariable(VerboseVariable) is { Length: > 0 } verbose)
            options = options with { Verbose = !IsOff(verbose) };
        return options;
    }

    static bool IsOff(string value) => value.Trim() is "0" or "false" or "False" or "off" or "no";

    /// <summary>A start-up decision: shown only when verbose (or to <see cref="Log"/>).</summary>
    internal void Info(string message)
    {
        if (Log is not null)
            Log(message);
        else if (Verbose)
            Console.Error.WriteLine($"TorchBinding: {message}");
    }

    /// <summary>Something the user should know even when not verbose.</summary>
    internal void Warn(string message)
    {
        if (Log is not null)
            Log($"warning: {message}");
        else
            Console.Error.WriteLine($"TorchBinding warning: {message}");
    }
}

/// <summary>The native runtime could not start; the message says what was missing and how to fix it.</summary>
public class RuntimeInitializationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RuntimeInitializationException(string message, Exception? inner = null) : base(message, inner) { }
}
