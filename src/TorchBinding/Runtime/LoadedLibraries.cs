using System.Runtime.InteropServices;
using TorchBinding.Runtime.Compatibility;

namespace TorchBinding.Runtime;

/// <summary>
/// Which files the process has mapped, read from <c>/proc/self/maps</c> (Linux). This is how the
/// start-up learns the folder a library was really loaded from and which libstdc++ the dynamic
/// loader binds, rather than guessing from search paths.
/// </summary>
static class LoadedLibraries
{
    /// <summary>Paths of the mapped files whose name is <paramref name="soname"/> or starts with it plus a dot (libstdc++.so.6.0.30).</summary>
    public static string? PathOf(string soname)
    {
        if (!OperatingSystem.IsLinux())
            return null;
        foreach (var path in MappedFiles())
        {
            var file = Path.GetFileName(path);
            if (file == soname || file.StartsWith(soname + ".", StringComparison.Ordinal))
                return path;
        }
        return null;
    }

    /// <summary>The first mapped file whose name contains <paramref name="fragment"/>.</summary>
    public static string? PathContaining(string fragment) =>
        OperatingSystem.IsLinux() ? MappedFiles().FirstOrDefault(p => Path.GetFileName(p).Contains(fragment, StringComparison.Ordinal)) : null;

    /// <summary>
    /// The host library the dynamic loader binds for <paramref name="soname"/>: loaded by that bare
    /// name (as the loader would resolve a DT_NEEDED entry), then read for the versions it defines.
    /// </summary>
    public static HostLibrary? HostLibrary(string soname)
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(soname, out _))
            return null;
        var path = PathOf(soname);
        return path is null ? null : new HostLibrary(soname, path, ElfImage.Load(path).VersionDefinitions);
    }

    static IEnumerable<string> MappedFiles()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines("/proc/self/maps"))
        {
            var slash = line.IndexOf('/');
            if (slash < 0)
                continue;
            var path = line[slash..];
            if (path.EndsWith(" (deleted)", StringComparison.Ordinal))
                continue;
            if (seen.Add(path))
                yield return path;
        }
    }
}
