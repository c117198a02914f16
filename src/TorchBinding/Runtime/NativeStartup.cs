using System.Runtime.InteropServices;
using TorchBinding.Runtime.Compatibility;
using TorchBinding.Runtime.Kernels;

namespace TorchBinding.Runtime;

/// <summary>Where the natives came from and what the start-up did to load them.</summary>
/// <param name="LibTorchVersion">The libtorch version (the package's, or the external one's if known).</param>
/// <param name="Source">"libtorch-cpu package" or the external origin.</param>
/// <param name="LibTorchDirectory">The folder libtorch was loaded from (null where the platform does not tell).</param>
/// <param name="LibTorchSharpPath">The libLibTorchSharp file loaded (null where TorchSharp loads it itself).</param>
/// <param name="CompatibilityFix">The GLIBCXX explanation when the fix was applied, else null.</param>
/// <param name="IsExternal">Whether libtorch came from outside the application (e.g. a CUDA PyTorch install).</param>
public sealed record NativeLoadReport(
    string LibTorchVersion, string Source, string? LibTorchDirectory, string? LibTorchSharpPath, string? CompatibilityFix, bool IsExternal);

/// <summary>
/// Loads libtorch and libLibTorchSharp before TorchSharp asks for them, so that TorchSharp's own loader
/// finds them already in the process:
/// <list type="bullet">
/// <item>package natives: libtorch from exactly the file TorchSharp would load (same name, same probing),
/// because a second copy of libtorch_cpu in one process aborts;</item>
/// <item>external libtorch (<c>TORCHBINDING_LIBTORCH</c>): its libraries by path in dependency order;</item>
/// <item>libLibTorchSharp: as shipped, or on hosts without GLIBCXX_3.4.32 a weakened copy from the cache.</item>
/// </list>
/// TorchSharp's loader then asks .NET for "torch_cpu", "LibTorchSharp", "torch_cuda"; whatever .NET cannot
/// find itself reaches <see cref="Resolve"/> through <c>ResolvingUnmanagedDll</c> and gets these handles.
/// This class touches no TorchSharp API, so it is safe to run from inside TorchSharp's own start-up.
/// </summary>
static class NativeStartup
{
    static readonly Lock Gate = new();
    static readonly Dictionary<string, IntPtr> Handles = new(StringComparer.Ordinal);
    static NativeLoadReport? _report;
    static Exception? _failure;
    static bool _loading; // our own probing below raises the resolve event too: do not recurse

    /// <summary>Whether a load has been attempted (successfully or not).</summary>
    public static bool HasLoaded
    {
        get
        {
            lock (Gate)
                return _report is not null || _failure is not null;
        }
    }

    /// <summary>Loads the natives once; later calls return the first outcome (or rethrow its failure).</summary>
    public static NativeLoadReport Load(RuntimeOptions options)
    {
        lock (Gate)
        {
            if (_report is not null)
                return _report;
            if (_failure is not null)
                throw _failure;
            try
            {
                _loading = true;
                _report = LoadOnce(options);
                return _report;
            }
            catch (Exception e)
            {
                _failure = e is RuntimeInitializationException ? e : new RuntimeInitializationException($"TorchBinding could not load libtorch: {e.Message}", e);
                throw _failure;
            }
            finally
            {
                _loading = false;
            }
        }
    }

    /// <summary>
    /// For the resolve event: loads the natives if needed and returns the handle for a library TorchSharp
    /// asks for by short name, or zero. Zero while a load is in progress on this thread (the event fires
    /// for the load's own probing too).
    /// </summary>
    public static IntPtr Resolve(string name, RuntimeOptions options)
    {
        lock (Gate)
        {
            if (_loading)
                return IntPtr.Zero;
            try
            {
                Load(options);
            }
            catch (RuntimeInitializationException e)
            {
                // TorchSharp asked (it was used before TorchBinding): it will report its own long failure, with this cause
                // deep inside. Say the cause first.
                ReportOnce(e);
                return IntPtr.Zero;
            }
            return Handles.TryGetValue(name, out var handle) ? handle : IntPtr.Zero;
        }
    }

    /// <summary>The handle of a library this start-up loaded (by TorchSharp's short name), or null.</summary>
    public static IntPtr? Handle(string name)
    {
        lock (Gate)
            return Handles.TryGetValue(name, out var handle) ? handle : null;
    }

    static bool _reported;

    /// <summary>Writes a start-up failure to standard error, once, as the first thing the user reads about it.</summary>
    public static void ReportOnce(Exception failure)
    {
        if (_reported)
            return;
        _reported = true;
        Console.Error.WriteLine($"TorchBinding could not start libtorch: {failure.Message}");
    }

    static NativeLoadReport LoadOnce(RuntimeOptions options)
    {
        var external = ExternalLibTorch.Find(options);
        string? directory;
        string version, source;
        if (external is not null)
        {
            ExternalLibTorch.CheckVersion(external, options);
            RefuseApplicationLibTorch(external);
            KernelSelfCheck.BeforeLoad(options, Path.Combine(external.Directory, NativeNames.FileName("torch_cpu")));
            foreach (var (name, required) in NativeNames.LibTorchLoadOrder)
            {
                var path = Path.Combine(external.Directory, NativeNames.FileName(name));
                if (!required && !File.Exists(path))
                    continue;
                Handles[name] = LoadByPath(path, $"the external libtorch ({external.Origin})");
            }
            (directory, version, source) = (external.Directory, external.Version ?? "unknown", external.Origin);
            options.Info($"loaded libtorch {version} from {directory} ({external.Origin}).");
        }
        else
        {
            // The application's own copy, by path: a lookup by name would fall back to the system library path, where
            // e.g. Debian's python3-torch puts a libtorch 1.13 whose symbols do not match.
            var torchCpu = NativeNames.FindInApplication("torch_cpu") ?? throw new RuntimeInitializationException(
                $"No libtorch natives were found beside the application ({string.Join(", ", NativeNames.ApplicationNativeFolders())}). " +
                $"Reference the libtorch-cpu {ExternalLibTorch.BuiltFor}.0 package (dotnet add package libtorch-cpu --version {ExternalLibTorch.BuiltFor}.0), " +
                $"or set {RuntimeOptions.LibTorchVariable} to a libtorch lib folder or to 'python' for a PyTorch install.");
            var folder = Path.GetDirectoryName(torchCpu)!;
            KernelSelfCheck.BeforeLoad(options, torchCpu);
            foreach (var (name, required) in NativeNames.LibTorchLoadOrder)
            {
                var path = Path.Combine(folder, NativeNames.FileName(name));
                if (required || File.Exists(path))
                    Handles[name] = LoadByPath(path, "the application's libtorch");
            }
            directory = folder;
            (version, source) = ($"{ExternalLibTorch.BuiltFor}.0", "libtorch-cpu package");
            options.Info($"loaded libtorch {version} (libtorch-cpu package) from {directory ?? "the application"}.");
        }

        var (libTorchSharp, fix) = OperatingSystem.IsLinux() ? LoadLibTorchSharp(options, directory) : (null, null);
        return new NativeLoadReport(version, source, directory, libTorchSharp, fix, external is not null);
    }

    /// <summary>
    /// Loads TorchSharp's libLibTorchSharp.so (Linux), through the GLIBCXX fix where the host needs it.
    /// It is looked for beside libtorch first (package natives), then in the application.
    /// </summary>
    static (string Path, string? Fix) LoadLibTorchSharp(RuntimeOptions options, string? libTorchDirectory)
    {
        var file = NativeNames.FileName(NativeNames.LibTorchSharp);
        var original = new[] { libTorchDirectory is null ? null : Path.Combine(libTorchDirectory, file), NativeNames.FindInApplication(NativeNames.LibTorchSharp) }
            .FirstOrDefault(p => p is not null && File.Exists(p))
            ?? throw new RuntimeInitializationException($"{file} (TorchSharp's native library) is not in the application ({string.Join(", ", NativeNames.ApplicationNativeFolders())}); reference the TorchSharp package from the application project.");

        var verdict = GlibcxxCompatibility.Assess(ElfImage.Load(original), LoadedLibraries.HostLibrary);
        var path = original;
        string? fix = null;
        switch (verdict.Status)
        {
            case CompatibilityStatus.Compatible:
                break;
            case CompatibilityStatus.FixableByWeakening when options.CompatibilityFix:
                path = GlibcxxCompatibility.PrepareWeakenedCopy(original, verdict, options.NativeCacheDirectory);
                fix = verdict.Explanation;
                options.Info($"{verdict.Explanation} Loaded that copy: {path} (set {RuntimeOptions.CompatibilityFixVariable}=0 to turn this off).");
                break;
            case CompatibilityStatus.FixableByWeakening:
                throw new RuntimeInitializationException($"{verdict.Explanation} The fix is turned off ({RuntimeOptions.CompatibilityFixVariable}=0), so TorchSharp cannot load here; unset it, or use a libstdc++ from GCC 13 or newer.");
            default:
                throw new RuntimeInitializationException(verdict.Explanation);
        }
        Handles[NativeNames.LibTorchSharp] = LoadByPath(path, "TorchSharp's native library");
        return (path, fix);
    }

    /// <summary>An external libtorch cannot share the process with libtorch-cpu natives in the application folder.</summary>
    static void RefuseApplicationLibTorch(LibTorchLocation external)
    {
        var local = NativeNames.FindInApplication("torch_cpu");
        if (local is not null && Path.GetFullPath(Path.GetDirectoryName(local)!) != Path.GetFullPath(external.Directory))
        {
            throw new RuntimeInitializationException(
                $"The external libtorch in {external.Directory} ({external.Origin}) cannot be used by this application: it also carries libtorch-cpu natives ({local}), " +
                "which TorchSharp would load as a second libtorch_cpu in the same process (that aborts). Build the application without them: " +
                "dotnet build -p:TorchBindingLibTorch=external (or leave the libtorch-cpu package out of the project).");
        }
    }

    static IntPtr LoadByPath(string path, string what)
    {
        try
        {
            return NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new RuntimeInitializationException($"Could not load {path} ({what}): {e.Message}", e);
        }
    }
}
