using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace TorchBinding.Runtime.Kernels;

/// <summary>
/// The two switches over libtorch's oneDNN (MKL-DNN) kernels that a running process has:
/// <list type="bullet">
/// <item><c>at::Context::setUserEnabledMkldnn</c>, exported by libtorch_cpu: with it off, float32 convolutions take
/// libtorch's own kernels (those float64 always takes). It can be flipped at any time.</item>
/// <item><c>ONEDNN_MAX_CPU_ISA</c>, which oneDNN reads once, at its first kernel: it has to be in the native
/// environment (libc's, not .NET's copy) before anything runs a convolution.</item>
/// </list>
/// </summary>
static class OneDnn
{
    /// <summary>The environment variable that caps the instruction set oneDNN's JIT kernels use.</summary>
    public const string MaxCpuIsaVariable = "ONEDNN_MAX_CPU_ISA";

    const string GlobalContextSymbol = "_ZN2at13globalContextEv";
    const string SetUserEnabledSymbol = "_ZN2at7Context20setUserEnabledMkldnnEb";
    const string UserEnabledSymbol = "_ZNK2at7Context17userEnabledMkldnnEv";

    /// <summary>Whether libtorch routes float32 convolutions to oneDNN (libtorch's default: yes).</summary>
    public static unsafe bool ConvolutionsEnabled
    {
        get
        {
            var (context, _, get) = Exports();
            return ((delegate* unmanaged<IntPtr, byte>)get)(context) != 0;
        }
        set
        {
            var (context, set, _) = Exports();
            ((delegate* unmanaged<IntPtr, byte, void>)set)(context, value ? (byte)1 : (byte)0);
        }
    }

    /// <summary>
    /// The symbols are looked up in the libtorch_cpu this start-up loaded (by its handle, never by name: a lookup by name
    /// could find Debian's libtorch 1.13 on the system library path).
    /// </summary>
    static unsafe (IntPtr Context, IntPtr Set, IntPtr Get) Exports()
    {
        var library = NativeStartup.Handle("torch_cpu")
            ?? throw new InvalidOperationException("libtorch_cpu was not loaded by the TorchBinding start-up, so its oneDNN switch cannot be reached.");
        var globalContext = (delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(library, GlobalContextSymbol);
        return (globalContext(), NativeLibrary.GetExport(library, SetUserEnabledSymbol), NativeLibrary.GetExport(library, UserEnabledSymbol));
    }

    /// <summary>The cap set in the native environment, or null.</summary>
    public static string? MaxCpuIsa => NativeEnvironment.Get(MaxCpuIsaVariable);

    /// <summary>
    /// Caps oneDNN's instruction set (e.g. "SSE41"). Only takes effect before oneDNN's first kernel, that is before libtorch
    /// runs anything; a cap the user set is left as it is.
    /// </summary>
    public static void CapIsa(string isa)
    {
        if (MaxCpuIsa is null)
            NativeEnvironment.Set(MaxCpuIsaVariable, isa);
    }

    /// <summary>
    /// The instruction set oneDNN's JIT kernels pick on this CPU, by oneDNN's rules (its highest ISA whose extensions the
    /// processor has), lowered to <see cref="MaxCpuIsa"/> where that is set. oneDNN does not export its own answer.
    /// </summary>
    public static string EffectiveIsa()
    {
        if (!X86Base.IsSupported)
            return RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant() + " (oneDNN's non-x86 kernels)";
        // oneDNN's ladder, lowest first, with what each step needs.
        var ladder = new (string Name, bool Supported)[]
        {
            ("sse41", Sse41.IsSupported),
            ("avx", Avx.IsSupported),
            ("avx2", Avx2.IsSupported),
            ("avx2_vnni", Avx2.IsSupported && AvxVnni.IsSupported),
            ("avx512_core", Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported),
            ("avx512_core_vnni", Avx512F.IsSupported && Avx512BW.IsSupported && CpuFlags.Has("avx512_vnni")),
            ("avx512_core_bf16", Avx512F.IsSupported && Avx512BW.IsSupported && CpuFlags.Has("avx512_vnni") && CpuFlags.Has("avx512_bf16")),
            ("avx512_core_amx", CpuFlags.Has("amx_tile") && CpuFlags.Has("amx_bf16")),
        };
        var highest = ladder.LastOrDefault(step => step.Supported).Name ?? "none";
        if (MaxCpuIsa is not { } cap)
            return highest;
        var capIndex = Array.FindIndex(ladder, step => step.Name.Equals(cap, StringComparison.OrdinalIgnoreCase));
        var highestIndex = Array.FindIndex(ladder, step => step.Name == highest);
        return capIndex >= 0 && capIndex < highestIndex ? $"{ladder[capIndex].Name} (capped by {MaxCpuIsaVariable}={cap}; the CPU has {highest})" : highest;
    }
}

/// <summary>The C library's environment, which native code reads (.NET keeps its own copy: see DESIGN.md).</summary>
static partial class NativeEnvironment
{
    /// <summary>A variable as native code sees it.</summary>
    public static string? Get(string name)
    {
        if (OperatingSystem.IsWindows())
            return Environment.GetEnvironmentVariable(name);
        var value = getenv(name);
        return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
    }

    /// <summary>Sets a variable for native code (and for .NET).</summary>
    public static void Set(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows() && setenv(name, value, 1) != 0)
            throw new InvalidOperationException($"setenv({name}) failed with error {Marshal.GetLastPInvokeError()}.");
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int setenv(string name, string value, int overwrite);
}

/// <summary>The processor's model and feature flags, where the system tells them (Linux's /proc/cpuinfo).</summary>
static class CpuFlags
{
    static readonly Lazy<(string Model, HashSet<string> Flags)> Info = new(Read);

    /// <summary>The processor's model name (or the architecture where unknown).</summary>
    public static string Model => Info.Value.Model;

    /// <summary>Whether /proc/cpuinfo lists a flag (false where it cannot be read).</summary>
    public static bool Has(string flag) => Info.Value.Flags.Contains(flag);

    /// <summary>The flags, sorted, as one line (empty where unknown).</summary>
    public static string FlagLine => string.Join(' ', Info.Value.Flags.Order(StringComparer.Ordinal));

    static (string, HashSet<string>) Read()
    {
        var model = Environment.GetEnvironmentVariable("PROCESSOR_IDENTIFIER") ?? RuntimeInformation.ProcessArchitecture.ToString();
        var flags = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            if (File.Exists("/proc/cpuinfo"))
            {
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                {
                    var colon = line.IndexOf(':');
                    if (colon < 0)
                        continue;
                    var key = line[..colon].Trim();
                    if (key == "model name")
                        model = line[(colon + 1)..].Trim();
                    else if (key == "flags")
                    {
                        flags.UnionWith(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                        break; // every processor lists the same
                    }
                }
            }
        }
        catch (IOException)
        {
        }
        return (model, flags);
    }
}
