using System.Runtime.InteropServices;
using TorchBinding.Runtime.Kernels;

namespace TorchBinding.Runtime;

/// <summary>
/// libtorch's switches for reproducible results, as PyTorch's <c>torch.use_deterministic_algorithms</c>,
/// <c>torch.backends.cudnn.deterministic</c> and <c>torch.backends.cudnn.benchmark</c> set them.
/// </summary>
/// <param name="Algorithms">Deterministic algorithms everywhere: operations that have a deterministic implementation use it, and those
/// that have none raise an error naming themselves (or only warn, with <paramref name="WarnOnly"/>).</param>
/// <param name="WarnOnly">With <paramref name="Algorithms"/>: warn instead of raising where no deterministic implementation exists.</param>
/// <param name="CudnnDeterministic">cuDNN picks only deterministic convolution algorithms.</param>
/// <param name="CudnnBenchmark">cuDNN times the candidate algorithms for each new shape and keeps the fastest (which may differ from run to run).</param>
public readonly record struct DeterminismSettings(bool Algorithms, bool WarnOnly, bool CudnnDeterministic, bool CudnnBenchmark)
{
    /// <summary>Everything deterministic: deterministic algorithms, deterministic cuDNN, no cuDNN benchmarking.</summary>
    public static DeterminismSettings Deterministic(bool warnOnly = false) => new(true, warnOnly, true, false);
}

/// <summary>
/// Bit-for-bit reproducible GPU runs. <see cref="Seeding.SeedEverything"/> fixes the random numbers; some CUDA kernels
/// (atomic additions in cuDNN's convolution backward passes, scatter and index_add) still vary in the last bits from run
/// to run, and training amplifies that. libtorch can be told to avoid them, but TorchSharp 0.107 binds none of its
/// switches (its <c>torch.use_deterministic_algorithms</c> throws <see cref="NotImplementedException"/>), so this class
/// sets them on libtorch's global context directly.
/// </summary>
/// <remarks>
/// On CUDA, deterministic cuBLAS also needs <c>CUBLAS_WORKSPACE_CONFIG=:4096:8</c> (or <c>:16:8</c>) in the process's
/// environment before CUDA starts (cuBLAS reads it once); without it, with <see cref="DeterminismSettings.Algorithms"/> on
/// and not warn-only, libtorch raises an error at the first cuBLAS call that says so. The CPU's kernels are deterministic
/// for a fixed number of threads anyway.
/// </remarks>
/// <example><code>
/// using (Determinism.Enable())
/// {
///     // steps whose results must be the same in every run
/// }   // the previous settings are back
/// </code></example>
public static class Determinism
{
    /// <summary>The environment variable that fixes cuBLAS's workspaces, which deterministic cuBLAS needs.</summary>
    public const string CublasWorkspaceVariable = "CUBLAS_WORKSPACE_CONFIG";

    /// <summary>Whether <see cref="CublasWorkspaceVariable"/> is set in the native environment (where cuBLAS reads it).</summary>
    public static bool CublasWorkspaceConfigured => !string.IsNullOrEmpty(NativeEnvironment.Get(CublasWorkspaceVariable));

    /// <summary>libtorch's settings now.</summary>
    public static unsafe DeterminismSettings Current
    {
        get
        {
            var c = Context.Instance;
            return new(c.Get(c.Algorithms), c.Get(c.WarnOnly), c.Get(c.CudnnDeterministic), c.Get(c.CudnnBenchmark));
        }
    }

    /// <summary>Sets libtorch's settings (for the whole process, from the next operation on).</summary>
    public static unsafe void Apply(DeterminismSettings settings)
    {
        var c = Context.Instance;
        ((delegate* unmanaged<IntPtr, byte, byte, void>)c.SetAlgorithms)(c.Handle, Byte(settings.Algorithms), Byte(settings.WarnOnly));
        c.Set(c.SetCudnnDeterministic, settings.CudnnDeterministic);
        c.Set(c.SetCudnnBenchmark, settings.CudnnBenchmark);
    }

    /// <summary>Makes libtorch deterministic (<see cref="DeterminismSettings.Deterministic"/>) until the returned scope is disposed, which restores the settings found.</summary>
    /// <param name="warnOnly">Warn instead of raising where an operation has no deterministic implementation.</param>
    public static IDisposable Enable(bool warnOnly = false)
    {
        var previous = Current;
        Apply(DeterminismSettings.Deterministic(warnOnly));
        return new Restore(previous);
    }

    static byte Byte(bool value) => value ? (byte)1 : (byte)0;

    sealed class Restore(DeterminismSettings previous) : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            if (_disposed)
                return;
            _disposed = true;
            Apply(previous);
        }
    }

    /// <summary>
    /// <c>at::globalContext()</c> and the members of <c>at::Context</c> that hold the settings, exported by libtorch_cpu
    /// (Itanium C++ names; a member takes the context as its first argument). Looked up in the libtorch_cpu the start-up
    /// loaded, by its handle, never by name (see <see cref="OneDnn"/>).
    /// </summary>
    sealed unsafe class Context
    {
        static readonly Lazy<Context> Resolved = new(Resolve);

        public static Context Instance => Resolved.Value;

        public required IntPtr Handle { get; init; }
        public required IntPtr Algorithms { get; init; }
        public required IntPtr WarnOnly { get; init; }
        public required IntPtr CudnnDeterministic { get; init; }
        public required IntPtr CudnnBenchmark { get; init; }
        public required IntPtr SetAlgorithms { get; init; }
        public required IntPtr SetCudnnDeterministic { get; init; }
        public required IntPtr SetCudnnBenchmark { get; init; }

        public bool Get(IntPtr getter) => ((delegate* unmanaged<IntPtr, byte>)getter)(Handle) != 0;

        public void Set(IntPtr setter, bool value) => ((delegate* unmanaged<IntPtr, byte, void>)setter)(Handle, Byte(value));

        static Context Resolve()
        {
            TorchRuntime.EnsureInitialized();
            var library = NativeStartup.Handle("torch_cpu")
                ?? throw new InvalidOperationException("libtorch_cpu was not loaded by the TorchBinding start-up, so its determinism settings cannot be reached.");
            IntPtr Export(string symbol) => NativeLibrary.TryGetExport(library, symbol, out var address) ? address
                : throw new InvalidOperationException($"This libtorch_cpu does not export {symbol}, so its determinism settings cannot be reached.");
            var globalContext = (delegate* unmanaged<IntPtr>)Export("_ZN2at13globalContextEv");
            return new Context
            {
                Handle = globalContext(),
                Algorithms = Export("_ZNK2at7Context23deterministicAlgorithmsEv"),
                WarnOnly = Export("_ZNK2at7Context31deterministicAlgorithmsWarnOnlyEv"),
                CudnnDeterministic = Export("_ZNK2at7Context18deterministicCuDNNEv"),
                CudnnBenchmark = Export("_ZNK2at7Context14benchmarkCuDNNEv"),
                SetAlgorithms = Export("_ZN2at7Context26setDeterministicAlgorithmsEbb"),
                SetCudnnDeterministic = Export("_ZN2at7Context21setDeterministicCuDNNEb"),
                SetCudnnBenchmark = Export("_ZN2at7Context17setBenchmarkCuDNNEb"),
            };
        }
    }
}
