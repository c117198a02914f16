using System.Reflection;
using System.Runtime.InteropServices;
using System.Runtime.Loader;
using TorchBinding.Runtime.Kernels;
using TorchSharp;

namespace TorchBinding.Runtime;

/// <summary>
/// The native runtime under TorchBinding: libtorch through TorchSharp, started so that it works on the
/// machines users have (the Debian 12 / Ubuntu 22.04 GLIBCXX fix; a CUDA libtorch from a PyTorch install).
/// It starts by itself on first use, configured from the environment (see <see cref="RuntimeOptions"/>);
/// call <see cref="Initialize"/> first to choose options in code.
/// </summary>
public static class TorchRuntime
{
    static readonly Lock Gate = new();
    static RuntimeOptions? _options;
    static NativeLoadReport? _natives;
    static KernelCheckReport? _kernels;
    static int _resolverInstalled;

    /// <summary>Whether the runtime has started.</summary>
    public static bool IsInitialized { get; private set; }

    /// <summary>The options the runtime started with (null before it starts).</summary>
    public static RuntimeOptions? Options => _options;

    /// <summary>
    /// Starts the runtime with <paramref name="options"/> (default: from the environment). Call it before any
    /// other use of TorchBinding or TorchSharp; once started, a call with other options is refused, since
    /// native libraries cannot be unloaded.
    /// </summary>
    /// <exception cref="RuntimeInitializationException">The natives could not be loaded; the message says why and what to do.</exception>
    public static void Initialize(RuntimeOptions? options = null)
    {
        lock (Gate)
        {
            if (IsInitialized)
            {
                if (options is not null && options != _options)
                    throw new InvalidOperationException("The TorchBinding runtime has already started with other options; call TorchRuntime.Initialize(options) before anything else uses TorchBinding or TorchSharp.");
                return;
            }
            if (options is not null && _options is not null && options != _options && NativeStartup.HasLoaded)
                throw new InvalidOperationException("TorchSharp was used before TorchRuntime.Initialize(options), and the natives were loaded with the environment's options; call Initialize(options) first.");
            _options = options ?? _options ?? RuntimeOptions.FromEnvironment();
            if (_options.Threads is < 1 || _options.Threads > RuntimeOptions.MaxThreads)
                throw new RuntimeInitializationException($"RuntimeOptions.Threads = {_options.Threads} is not from 1 to {RuntimeOptions.MaxThreads} (4 per processor).");
            InstallNativeResolver();
            _options.Info(MallocTuning.Apply(_options));
            _natives = NativeStartup.Load(_options);
            try
            {
                torch.InitializeDeviceType(DeviceType.CPU);
            }
            catch (Exception e)
            {
                var cause = e is TypeInitializationException { InnerException: { } inner } ? inner : e;
                throw new RuntimeInitializationException($"TorchSharp did not start although libtorch was loaded from {_natives.LibTorchDirectory ?? _natives.Source}: {cause.Message}", cause);
            }
            if (_options.Threads is { } threads)
                torch.set_num_threads(threads);
            // Before any user computation: libtorch's own kernels may be wrong on this CPU (DESIGN.md).
            _kernels = KernelSelfCheck.AfterStart(_options);
            _options.Info(ScalarSweeper.Configure(_options));
            IsInitialized = true;
        }
    }

    /// <summary>Starts the runtime from the environment if it has not started yet. Every TorchBinding entry point calls this.</summary>
    public static void EnsureInitialized()
    {
        if (!IsInitialized)
            Initialize();
    }

    /// <summary>
    /// Lets TorchBinding supply the natives TorchSharp cannot find itself. Installed by the start-up hook
    /// that TorchBinding.targets compiles into applications, so that code using TorchSharp before any
    /// TorchBinding call still starts correctly. Loads nothing; idempotent.
    /// </summary>
    public static void InstallNativeResolver()
    {
        if (Interlocked.Exchange(ref _resolverInstalled, 1) == 0)
            AssemblyLoadContext.Default.ResolvingUnmanagedDll += ResolveForTorchSharp;
    }

    /// <summary>
    /// What the start-up hook runs before <c>Main</c>: installs the resolver and, when the environment chooses an external
    /// libtorch (<c>TORCHBINDING_LIBTORCH</c>), loads it now. TorchSharp looks libtorch up by name on first use, and where
    /// a system copy is on the library path (Debian's python3-torch) that lookup would succeed with the wrong library
    /// before the resolver is ever asked. Without that variable nothing is loaded here, so
    /// <see cref="Initialize"/> with options in code still works. A failure is reported on standard error, not thrown.
    /// </summary>
    public static void OnApplicationStart()
    {
        InstallNativeResolver();
        if (string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(RuntimeOptions.LibTorchVariable)))
            return;
        try
        {
            lock (Gate)
            {
                _options ??= RuntimeOptions.FromEnvironment();
                NativeStartup.Load(_options);
            }
        }
        catch (RuntimeInitializationException e)
        {
            NativeStartup.ReportOnce(e); // Initialize rethrows it at the first TorchBinding call
        }
    }

    static IntPtr ResolveForTorchSharp(Assembly assembly, string name)
    {
        if (assembly != typeof(torch).Assembly)
            return IntPtr.Zero;
        // Runs inside TorchSharp's own start-up when TorchSharp was used first: load with the options
        // chosen so far. A failure is reported first on standard error, then again in TorchSharp's own message.
        try
        {
            lock (Gate)
                _options ??= RuntimeOptions.FromEnvironment();
        }
        catch (RuntimeInitializationException e)
        {
            NativeStartup.ReportOnce(e);
            return IntPtr.Zero;
        }
        return NativeStartup.Resolve(name, _options);
    }

    /// <summary>What the start-up's convolution gradient self-check found and did (null before the runtime starts).</summary>
    public static KernelCheckReport? KernelCheck => _kernels;

    /// <summary>
    /// Checks libtorch's float32 convolution gradients against float64 again, as the process now runs (with the workaround
    /// the start-up applied); <c>torchbinding doctor</c> shows it.
    /// </summary>
    public static ConvolutionCheckResult RecheckConvolutionGradients()
    {
        EnsureInitialized();
        return KernelSelfCheck.Recheck(_options!, _kernels!);
    }

    /// <summary>Describes the running runtime: libtorch version and origin, the fix, the gradient self-check, CUDA devices, threads.</summary>
    public static RuntimeDescription Describe()
    {
        EnsureInitialized();
        var natives = _natives!;
        var cudaAvailable = torch.cuda.is_available();
        var count = cudaAvailable ? torch.cuda.device_count() : 0;
        var names = cudaAvailable ? CudaDeviceNames.Read(count) : [];
        return new RuntimeDescription(
            TorchSharpVersion: typeof(torch).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            LibTorchVersion: natives.LibTorchVersion,
            Source: natives.Source,
            LibTorchDirectory: natives.LibTorchDirectory,
            LibTorchSharpPath: natives.LibTorchSharpPath,
            CompatibilityFix: natives.CompatibilityFix,
            CudaAvailable: cudaAvailable,
            CudaDevices: names,
            IntraOpThreads: torch.get_num_threads(),
            InterOpThreads: torch.get_num_interop_threads(),
            Host: $"{RuntimeInformation.OSDescription} {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}")
        {
            KernelCheck = _kernels,
        };
    }
}
