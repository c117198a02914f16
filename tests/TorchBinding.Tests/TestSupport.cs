using System.Diagnostics;
using System.Reflection;

namespace TorchBinding.Tests;

/// <summary>Paths of the repository's build outputs and a way to run them as child processes.</summary>
static class TestSupport
{
    static string Metadata(string key) =>
        typeof(TestSupport).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;

    public static string RepositoryRoot => Metadata("RepositoryRoot");

    /// <summary>The built assembly of a project of the repository (built before the tests by a project reference).</summary>
    public static string ProjectOutput(string projectFolder, string assemblyName) =>
        Path.Combine(RepositoryRoot, projectFolder, "bin", Metadata("BuildConfiguration"), "net10.0", assemblyName + ".dll");

    /// <summary>The libtorch natives folder of the test host itself.</summary>
    public static string NativesFolder => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");

    public sealed record ProcessResult(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }

    /// <summary>Runs a program, waits (with a timeout), and returns its exit code and output.</summary>
    public static ProcessResult Run(string fileName, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(fileName, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var name in new[] { "TORCHBINDING_LIBTORCH", "TORCHBINDING_COMPAT_FIX", "TORCHBINDING_VERBOSE", "TORCHBINDING_LIBTORCH_VERSION_CHECK", "TORCHBINDING_KERNEL_CHECK", "TORCHBINDING_KERNEL_WORKAROUND", "TORCHBINDING_KERNEL_CHECK_FAULT", "ONEDNN_MAX_CPU_ISA" })
            start.Environment.Remove(name);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                start.Environment.Remove(key);
            else
                start.Environment[key] = value;
        }
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{fileName} {string.Join(' ', arguments)} did not finish in time.");
        }
        return new ProcessResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs a built .NET application with <c>dotnet</c>.</summary>
    public static ProcessResult RunDotnet(string assembly, IEnumerable<string> arguments, IReadOnlyDictionary<string, string?>? environment = null, TimeSpan? timeout = null) =>
        Run("dotnet", [assembly, .. arguments], environment, timeout);

    /// <summary>A fresh temporary folder, deleted by the caller's using.</summary>
    public static TemporaryFolder TemporaryFolder() => new();
}

sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("torchbinding-test-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
