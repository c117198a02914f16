using System.Diagnostics;
using System.Text.RegularExpressions;

namespace TorchBinding.Runtime;

/// <summary>An external libtorch: the folder of its libraries, its version if known, and how it was found.</summary>
/// <param name="Directory">The folder holding libc10, libtorch_cpu, libtorch (and the CUDA ones for a CUDA build).</param>
/// <param name="Version">The libtorch version, e.g. <c>2.11.0+cu130</c>, or null when the folder does not say.</param>
/// <param name="Origin">How it was chosen, for the runtime description.</param>
public sealed record LibTorchLocation(string Directory, string? Version, string Origin);

/// <summary>
/// Finding and vetting a libtorch that does not come from the libtorch-cpu package: a folder named by
/// the user, or the <c>lib</c> folder of a Python PyTorch install. This is how TorchBinding runs on CUDA
/// on Linux, where no TorchSharp CUDA package is served.
/// </summary>
public static partial class ExternalLibTorch
{
    /// <summary>The libtorch version TorchSharp 0.107 was built against.</summary>
    public static readonly Version BuiltFor = new(2, 10);

    /// <summary>Versions known to work with TorchSharp 0.107 (2.11.0+cu130 was run on an H200).</summary>
    public static readonly IReadOnlyList<Version> SeenWorking = [new(2, 10), new(2, 11)];

    /// <summary>Locates the external libtorch the options ask for, or returns null if they ask for none.</summary>
    public static LibTorchLocation? Find(RuntimeOptions options)
    {
        if (options.LibTorchDirectory is { } folder)
        {
            var full = Path.GetFullPath(folder);
            if (!System.IO.Directory.Exists(full))
                throw new RuntimeInitializationException($"{RuntimeOptions.LibTorchVariable} names '{full}', which is not a folder.");
            var lib = NativeNames.FileName("torch_cpu");
            if (!File.Exists(Path.Combine(full, lib)) && File.Exists(Path.Combine(full, "lib", lib)))
                full = Path.Combine(full, "lib"); // the root of a libtorch distribution was given
            if (!File.Exists(Path.Combine(full, lib)))
                throw new RuntimeInitializationException($"{RuntimeOptions.LibTorchVariable} names '{full}', which holds no {lib}; give the folder that holds libtorch's libraries (a libtorch distribution's lib folder, or torch/lib of a PyTorch install).");
            return new LibTorchLocation(full, ReadVersion(full), $"{RuntimeOptions.LibTorchVariable}={folder}");
        }
        return options.UsePythonTorch ? FindPythonTorch(options.PythonExecutable) : null;
    }

    /// <summary>Asks Python where its torch package is and which version it is.</summary>
    public static LibTorchLocation FindPythonTorch(string python)
    {
        const string script = "import os, torch; print(os.path.dirname(torch.__file__)); print(torch.__version__)";
        var start = new ProcessStartInfo(python, ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("no process was started");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            throw new RuntimeInitializationException($"{RuntimeOptions.LibTorchVariable}=python: could not run '{python}' ({e.Message}). Set {RuntimeOptions.PythonVariable} to the Python that has PyTorch, or set {RuntimeOptions.LibTorchVariable} to its torch/lib folder.", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill(entireProcessTree: true);
                throw new RuntimeInitializationException($"{RuntimeOptions.LibTorchVariable}=python: '{python} -c \"import torch\"' did not finish within 2 minutes.");
            }
            var lines = output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (process.ExitCode != 0 || lines.Length < 2)
            {
                var last = error.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault()?.Trim() ?? "no output";
                throw new RuntimeInitializationException($"{RuntimeOptions.LibTorchVariable}=python: '{python}' could not import torch ({last}).");
            }
            var lib = Path.Combine(lines[^2], "lib");
            if (!File.Exists(Path.Combine(lib, NativeNames.FileName("torch_cpu"))))
                throw new RuntimeInitializationException($"{RuntimeOptions.LibTorchVariable}=python: the torch package of '{python}' ({lines[^2]}) has no lib/{NativeNames.FileName("torch_cpu")}.");
            return new LibTorchLocation(lib, lines[^1], $"{RuntimeOptions.LibTorchVariable}=python ({python}, torch {lines[^1]})");
        }
    }

    /// <summary>
    /// Reads the version a libtorch folder declares: <c>../version.py</c> in a PyTorch install,
    /// <c>../build-version</c> in a libtorch distribution. Null when neither says.
    /// </summary>
    public static string? ReadVersion(string libDirectory)
    {
        var parent = Path.GetDirectoryName(Path.GetFullPath(libDirectory).TrimEnd(Path.DirectorySeparatorChar)) ?? libDirectory;
        foreach (var file in new[] { Path.Combine(parent, "version.py"), Path.Combine(parent, "build-version"), Path.Combine(libDirectory, "build-version") })
        {
            if (!File.Exists(file))
                continue;
            var text = File.ReadAllText(file);
            var match = file.EndsWith(".py", StringComparison.Ordinal) ? PythonVersion().Match(text) : PlainVersion().Match(text);
            if (match.Success)
                return match.Groups[1].Value;
        }
        return null;
    }

    /// <summary>
    /// Compares an external libtorch's version with the one TorchSharp was built for: silent for the
    /// built-for version, a note for versions seen working, and for others a refusal (strict) or a warning.
    /// </summary>
    public static void CheckVersion(LibTorchLocation location, RuntimeOptions options)
    {
        if (options.VersionCheck == LibTorchVersionCheck.Off)
            return;
        var version = location.Version is { } v && LeadingVersion().Match(v) is { Success: true } m
            ? new Version(int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
            : null;
        if (version is null)
        {
            options.Warn($"could not tell the version of the libtorch in {location.Directory} (no version.py or build-version beside it); TorchSharp 0.107 is built for libtorch {BuiltFor}.");
            return;
        }
        if (version == BuiltFor)
            return;
        if (SeenWorking.Contains(version))
        {
            options.Info($"libtorch {location.Version} in {location.Directory} differs from the {BuiltFor} TorchSharp 0.107 is built for; {version} has been seen working.");
            return;
        }
        var message = $"libtorch {location.Version} in {location.Directory} is not a version TorchSharp 0.107 works with: it is built for libtorch {BuiltFor} " +
                      $"(seen working: {string.Join(", ", SeenWorking)}). Use a PyTorch/libtorch {BuiltFor} or {SeenWorking[^1]} install";
        if (options.VersionCheck == LibTorchVersionCheck.Strict)
            throw new RuntimeInitializationException($"{message}, or set {RuntimeOptions.VersionCheckVariable}=warn to try it anyway.");
        options.Warn($"{message}; trying it anyway because {RuntimeOptions.VersionCheckVariable}=warn.");
    }

    [GeneratedRegex(@"__version__\s*=\s*['""]([^'""]+)['""]")]
    private static partial Regex PythonVersion();

    [GeneratedRegex(@"^\s*(\d+\.\d+[^\s]*)")]
    private static partial Regex PlainVersion();

    [GeneratedRegex(@"^(\d+)\.(\d+)")]
    private static partial Regex LeadingVersion();
}
