using System.Runtime.InteropServices;

namespace TorchBinding.Runtime;

/// <summary>File names of libtorch's libraries per platform, from the short names TorchSharp loads by.</summary>
static class NativeNames
{
    /// <summary>libtorch's libraries in dependency order; the CUDA ones are optional (absent in CPU builds).</summary>
    public static readonly (string Name, bool Required)[] LibTorchLoadOrder =
    [
        ("c10", true), ("torch_cpu", true), ("c10_cuda", false), ("torch_cuda", false), ("torch", true),
    ];

    /// <summary>TorchSharp's own native library.</summary>
    public const string LibTorchSharp = "LibTorchSharp";

    /// <summary><c>libtorch_cpu.so</c>, <c>libtorch_cpu.dylib</c> or <c>torch_cpu.dll</c>.</summary>
    public static string FileName(string name) =>
        OperatingSystem.IsWindows() ? $"{name}.dll" :
        OperatingSystem.IsMacOS() ? $"lib{name}.dylib" :
        $"lib{name}.so";

    /// <summary>The runtime identifier whose <c>runtimes/RID/native</c> folder NuGet packages use here.</summary>
    public static string Rid =>
        (OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux") + "-" +
        RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    /// <summary>
    /// The folders a .NET application keeps its native libraries in: <c>runtimes/RID/native</c> beside the
    /// application (framework-dependent builds) and the application folder itself (self-contained, publish).
    /// </summary>
    public static IEnumerable<string> ApplicationNativeFolders()
    {
        var roots = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(TorchSharp.torch).Assembly.Location) ?? "" }
            .Where(r => r.Length > 0)
            .Select(Path.GetFullPath)
            .Distinct();
        foreach (var root in roots)
        {
            yield return Path.Combine(root, "runtimes", Rid, "native");
            yield return root;
        }
    }

    /// <summary>The first application native folder that holds <paramref name="name"/>'s file, or null.</summary>
    public static string? FindInApplication(string name) =>
        ApplicationNativeFolders().Select(f => Path.Combine(f, FileName(name))).FirstOrDefault(File.Exists);
}
