using System.Security.Cryptography;

namespace TorchBinding.Runtime.Compatibility;

/// <summary>A shared library of the host as the dynamic loader would bind it, with the versions it defines.</summary>
/// <param name="Soname">The name libraries ask for, e.g. <c>libstdc++.so.6</c>.</param>
/// <param name="Path">The file the process uses.</param>
/// <param name="Versions">The symbol versions the file defines.</param>
public sealed record HostLibrary(string Soname, string Path, IReadOnlySet<string> Versions);

/// <summary>What a library's version needs mean on this host.</summary>
public enum CompatibilityStatus
{
    /// <summary>Every version the library needs is there: it loads as it is.</summary>
    Compatible,

    /// <summary>Only GLIBCXX_3.4.32 is missing and it binds only a link anchor: a copy with that need marked weak loads.</summary>
    FixableByWeakening,

    /// <summary>Versions are missing that real symbols need: no copy of the file can load here.</summary>
    Incompatible,
}

/// <summary>The verdict on one library, with the needs that are missing and a sentence that explains it.</summary>
public sealed record CompatibilityVerdict(CompatibilityStatus Status, IReadOnlyList<VersionNeed> Missing, string Explanation);

/// <summary>
/// The Debian 12 / Ubuntu 22.04 fix for TorchSharp 0.107's <c>libLibTorchSharp.so</c>, which was linked
/// against GCC 13's libstdc++ and so needs <c>GLIBCXX_3.4.32</c>, a version those hosts (GCC 12,
/// GLIBCXX_3.4.30) do not have. The one symbol bound to it, <c>std::ios_base_library_init()</c>, is a
/// link anchor GCC 13 emits so that iostreams get initialised; nothing calls it and no relocation refers
/// to it, so the requirement can be marked weak (<c>VER_FLG_WEAK</c>) and the loader then only warns.
/// The fix is applied to a copy in the cache, never to the NuGet package, and only when that exact
/// situation holds; anything else is refused with a message naming the missing versions.
/// </summary>
public static class GlibcxxCompatibility
{
    /// <summary>The one version the fix may weaken.</summary>
    public const string FixableVersion = "GLIBCXX_3.4.32";

    /// <summary>The one symbol that may be bound to it: <c>std::ios_base_library_init()</c>.</summary>
    public const string AnchorSymbol = "_ZSt21ios_base_library_initv";

    /// <summary>The library that defines GLIBCXX_* versions.</summary>
    public const string LibStdCxx = "libstdc++.so.6";

    /// <summary>
    /// Decides whether <paramref name="library"/> loads on a host whose libraries <paramref name="hostLibrary"/>
    /// describes (null for a library it cannot find; such needs are not judged).
    /// </summary>
    public static CompatibilityVerdict Assess(ElfImage library, Func<string, HostLibrary?> hostLibrary)
    {
        ArgumentNullException.ThrowIfNull(library);
        ArgumentNullException.ThrowIfNull(hostLibrary);
        var hosts = new Dictionary<string, HostLibrary?>(StringComparer.Ordinal);
        HostLibrary? Host(string file) => hosts.TryGetValue(file, out var h) ? h : hosts[file] = hostLibrary(file);

        var missing = library.VersionNeeds
            .Where(n => !n.IsWeak && Host(n.File) is { } host && !host.Versions.Contains(n.Version))
            .ToList();
        var name = Path.GetFileName(library.Source);
        if (missing.Count == 0)
            return new(CompatibilityStatus.Compatible, missing, $"{name}: every symbol version it needs is present on this host.");

        var fixable = missing.All(n => n.File == LibStdCxx && n.Version == FixableVersion && n.Symbols.All(s => s == AnchorSymbol));
        var described = string.Join("; ", missing.GroupBy(n => n.File).Select(g =>
            $"{string.Join(", ", g.Select(n => n.Version))} from {g.Key} (this host's is {Host(g.Key)!.Path})"));
        if (fixable)
            return new(CompatibilityStatus.FixableByWeakening, missing,
                $"{name} needs {described}; only the link anchor {AnchorSymbol} is bound to it, so a copy with that need marked weak loads.");

        var bound = string.Join("; ", missing.Select(n =>
            $"{n.Version} binds {(n.Symbols.Count == 0 ? "no symbol" : string.Join(", ", n.Symbols.Take(5)) + (n.Symbols.Count > 5 ? $" and {n.Symbols.Count - 5} more" : ""))}"));
        return new(CompatibilityStatus.Incompatible, missing,
            $"{name} cannot load on this host: it needs {described}. {bound}. " +
            $"These are real symbols, so marking the need weak would not help. Fix: use a libstdc++ that provides them " +
            $"(GCC 13 or newer: Debian 13, Ubuntu 24.04, or conda's libstdcxx-ng>=13 on LD_LIBRARY_PATH), or a TorchSharp build made for this distribution.");
    }

    /// <summary>
    /// Writes (or reuses) the weakened copy of <paramref name="originalPath"/> under
    /// <paramref name="cacheFolder"/>, in a folder keyed by the original's SHA-256, and returns its path.
    /// Idempotent: an existing copy is used only if it is byte-for-byte what the fix produces now; the
    /// copy is written atomically, and the original is only read.
    /// </summary>
    public static string PrepareWeakenedCopy(string originalPath, CompatibilityVerdict verdict, string cacheFolder)
    {
        if (verdict.Status != CompatibilityStatus.FixableByWeakening)
            throw new InvalidOperationException($"The GLIBCXX fix applies only to a fixable library; the verdict was {verdict.Status}: {verdict.Explanation}");
        var original = File.ReadAllBytes(originalPath);
        var image = ElfImage.Parse(original, originalPath);
        var patched = image.WithWeakVersionNeeds(image.VersionNeeds.Where(n => verdict.Missing.Any(m => m.FlagsOffset == n.FlagsOffset)));
        var key = Convert.ToHexStringLower(SHA256.HashData(original))[..16];
        var target = Path.Combine(cacheFolder, $"{Path.GetFileNameWithoutExtension(originalPath)}-{key}", Path.GetFileName(originalPath));
        if (File.Exists(target) && File.ReadAllBytes(target).AsSpan().SequenceEqual(patched))
            return target;
        try
        {
            AtomicFile.WriteAllBytes(target, patched);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new RuntimeInitializationException(
                $"{verdict.Explanation} The patched copy goes into the cache folder '{cacheFolder}', which cannot be written ({e.Message}). " +
                $"Set {Runtime.CacheDirectory.EnvironmentVariable} to a writable folder.", e);
        }
        return target;
    }
}
