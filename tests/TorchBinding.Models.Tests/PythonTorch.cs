using System.Diagnostics;
using System.Reflection;

namespace TorchBinding.Models.Tests;

/// <summary>
/// A Python 3 with PyTorch to check weights against (Debian's python3-torch): <c>TORCHBINDING_PYTHON</c>, else
/// <c>python3</c> on the PATH, else <c>/usr/bin/python3</c> — the first that imports torch. Tests that need it are
/// ignored, saying why, where there is none; CI installs python3-torch, so they run there.
/// </summary>
static class PythonTorch
{
    static readonly Lazy<string?> Found = new(Find);

    public static string RepositoryRoot =>
        typeof(PythonTorch).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepositoryRoot").Value!;

    public static string Fixture(string name) => Path.Combine(RepositoryRoot, "tests", "TorchBinding.Models.Tests", "Fixtures", "pytorch", name);

    /// <summary>The interpreter, or an <see cref="Assert.Ignore(string)"/> that says none was found.</summary>
    public static string Require() => Found.Value ?? Ignore();

    static string Ignore()
    {
        Assert.Ignore("No Python 3 with PyTorch was found (TORCHBINDING_PYTHON, python3, /usr/bin/python3): install Debian's python3-torch to run this check against PyTorch.");
        return "";
    }

    /// <summary>Runs a script of scripts/pytorch/ and returns its output; fails the test with its output on a non-zero exit.</summary>
    public static string RunScript(string script, params string[] arguments)
    {
        var python = Require();
        var start = new ProcessStartInfo(python, [Path.Combine(RepositoryRoot, "scripts", "pytorch", script), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} did not finish in 2 minutes.");
        }
        Assert.That(process.ExitCode, Is.Zero, $"{script} {string.Join(' ', arguments)}\n{output.Result}\n{error.Result}");
        return output.Result;
    }

    static string? Find()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("TORCHBINDING_PYTHON"), "python3", "/usr/bin/python3" };
        foreach (var candidate in candidates.Where(c => !string.IsNullOrWhiteSpace(c)))
        {
            try
            {
                using var process = Process.Start(new ProcessStartInfo(candidate!, ["-c", "import torch"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                })!;
                process.StandardOutput.ReadToEnd();
                process.StandardError.ReadToEnd();
                if (process.WaitForExit(TimeSpan.FromSeconds(60)) && process.ExitCode == 0)
                    return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed under that name
            }
        }
        return null;
    }
}
