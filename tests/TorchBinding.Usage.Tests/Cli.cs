using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace TorchBinding.Usage.Tests;

/// <summary>The built torchbinding command (src/TorchBinding.Cli), run as a child process in a temporary working folder.</summary>
sealed class Cli : IDisposable
{
    readonly TemporaryFolder _folder = TestSupport.TemporaryFolder();

    public static string Assembly => TestSupport.ProjectOutput("src/TorchBinding.Cli", "TorchBinding.Cli");

    /// <summary>Extra environment variables for the command.</summary>
    public Dictionary<string, string> Environment { get; } = [];

    /// <summary>The working folder (relative --out paths land here).</summary>
    public string Folder => _folder.Path;

    public string PathOf(string relative) => Path.Combine(Folder, relative);

    /// <summary>Runs <c>torchbinding ARGS</c> to the end.</summary>
    public TestSupport.ProcessResult Run(params string[] arguments)
    {
        var start = Start(arguments);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"torchbinding {string.Join(' ', arguments)} did not finish in 10 minutes.");
        }
        return new TestSupport.ProcessResult(process.ExitCode, output.Result, error.Result);
    }

    /// <summary>Runs <c>torchbinding ARGS</c>, and sends it SIGINT (Ctrl+C) once <paramref name="after"/> has appeared in its output and <paramref name="delay"/> has passed.</summary>
    public TestSupport.ProcessResult RunAndInterrupt(string after, TimeSpan delay, params string[] arguments) =>
        RunAndInterrupt(after, delay, null, arguments);

    /// <summary>As <see cref="RunAndInterrupt(string, TimeSpan, string[])"/>; a second SIGINT follows the first after <paramref name="again"/>, if given.</summary>
    public TestSupport.ProcessResult RunAndInterrupt(string after, TimeSpan delay, TimeSpan? again, params string[] arguments)
    {
        using var process = Process.Start(Start(arguments))!;
        var output = new StringBuilder();
        var seen = new ManualResetEventSlim();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (output)
                output.AppendLine(e.Data);
            if (e.Data.Contains(after, StringComparison.Ordinal))
                seen.Set();
        };
        process.BeginOutputReadLine();
        var error = process.StandardError.ReadToEndAsync();
        Assert.That(seen.Wait(TimeSpan.FromMinutes(2)), Is.True, $"'{after}' never appeared:\n{output}");
        Thread.Sleep(delay);
        Assert.That(process.HasExited, Is.False, $"the run ended before it could be interrupted:\n{output}");
        using (var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            kill.WaitForExit();
        if (again is { } pause)
        {
            Thread.Sleep(pause);
            if (!process.HasExited)
            {
                using var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                kill.WaitForExit();
            }
        }
        if (!process.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the run did not stop within a minute of Ctrl+C:\n{output}");
        }
        process.WaitForExit();
        lock (output)
            return new TestSupport.ProcessResult(process.ExitCode, output.ToString(), error.Result);
    }

    ProcessStartInfo Start(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet", [Assembly, .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Folder,
        };
        foreach (var name in new[] { "TORCHBINDING_LIBTORCH", "TORCHBINDING_COMPAT_FIX", "TORCHBINDING_VERBOSE", "TORCHBINDING_KERNEL_CHECK", "TORCHBINDING_KERNEL_WORKAROUND", "TORCHBINDING_KERNEL_CHECK_FAULT", "ONEDNN_MAX_CPU_ISA" })
            start.Environment.Remove(name);
        start.Environment["TORCHBINDING_THREADS"] = "1";
        foreach (var (key, value) in Environment)
            start.Environment[key] = value;
        return start;
    }

    /// <summary>A run folder's metrics.json as numbers.</summary>
    public IReadOnlyDictionary<string, double> Metrics(string runFolder)
    {
        var path = PathOf(Path.Combine(runFolder, "metrics.json"));
        Assert.That(File.Exists(path), Is.True, $"{path} was written");
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : double.NaN);
    }

    public static void AssertPng(string path)
    {
        Assert.That(File.Exists(path), Is.True, $"{path} was written");
        Assert.That(File.ReadAllBytes(path).Take(8), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), $"{path} is a PNG");
    }

    public void Dispose() => _folder.Dispose();
}
