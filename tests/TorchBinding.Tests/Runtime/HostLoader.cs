namespace TorchBinding.Tests.Runtime;

/// <summary>
/// The host's dynamic loader as an independent judge: <c>ld.so --list FILE</c> resolves FILE's
/// dependencies and checks its symbol versions in a separate process, exactly as a dlopen would.
/// </summary>
static class HostLoader
{
    public const string Path = "/lib64/ld-linux-x86-64.so.2";

    public static bool Available => OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture == System.Runtime.InteropServices.Architecture.X64 && File.Exists(Path);

    public static TestSupport.ProcessResult List(string library, string dependencyFolder) =>
        TestSupport.Run(Path, ["--list", library], new Dictionary<string, string?> { ["LD_LIBRARY_PATH"] = dependencyFolder });

    /// <summary>The shipped libLibTorchSharp.so (in the test host's natives folder).</summary>
    public static string OriginalLibTorchSharp => System.IO.Path.Combine(TestSupport.NativesFolder, "libLibTorchSharp.so");

    /// <summary>
    /// The version errors the loader reports for a library: lines with ": version `X' not found". (It exits 0
    /// even then; a need marked weak is reported as ": weak version `X' not found" and does not stop a load.)
    /// </summary>
    public static IReadOnlyList<string> VersionErrors(TestSupport.ProcessResult result) =>
        (result.Output + result.Error).Split('\n').Where(l => l.Contains(": version `", StringComparison.Ordinal) && l.Contains("' not found", StringComparison.Ordinal)).ToList();

    /// <summary>Whether this host's loader refuses the shipped library for want of GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04).</summary>
    public static bool HostLacksGlibcxx3432() =>
        Available && VersionErrors(List(OriginalLibTorchSharp, TestSupport.NativesFolder)).Any(l => l.Contains("GLIBCXX_3.4.32", StringComparison.Ordinal));
}
