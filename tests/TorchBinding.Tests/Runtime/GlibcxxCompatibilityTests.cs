using System.Security.Cryptography;
using TorchBinding.Runtime;
using TorchBinding.Runtime.Compatibility;

namespace TorchBinding.Tests.Runtime;

public class GlibcxxCompatibilityTests
{
    static ElfImage Original => ElfImage.Load(HostLoader.OriginalLibTorchSharp);

    static HostLibrary? RealHost(string soname) => LoadedLibraries.HostLibrary(soname);

    /// <summary>A host whose libraries define everything the real ones do, minus <paramref name="removed"/> (plus <paramref name="added"/>).</summary>
    static Func<string, HostLibrary?> HostWith(string[] removed, string[]? added = null) => soname =>
    {
        var real = RealHost(soname);
        if (real is null)
            return null;
        var versions = real.Versions.Except(removed).Concat(soname == GlibcxxCompatibility.LibStdCxx ? added ?? [] : []).ToHashSet();
        return real with { Versions = versions };
    };

    [SetUp]
    public void RequireLinux()
    {
        if (!HostLoader.Available)
            Assert.Ignore("The GLIBCXX fix concerns Linux x64 ELF libraries; this host is not one.");
    }

    [Test]
    public void Shipped_library_needs_glibcxx_3_4_32_only_for_the_link_anchor()
    {
        var need = Original.VersionNeeds.Single(n => n.Version == GlibcxxCompatibility.FixableVersion);
        Assert.Multiple(() =>
        {
            Assert.That(need.File, Is.EqualTo("libstdc++.so.6"));
            Assert.That(need.IsWeak, Is.False);
            Assert.That(need.Symbols, Is.EqualTo(new[] { GlibcxxCompatibility.AnchorSymbol }));
        });
    }

    [Test]
    public void Verdict_on_this_host_agrees_with_the_host_loader()
    {
        var verdict = GlibcxxCompatibility.Assess(Original, RealHost);
        var expected = HostLoader.HostLacksGlibcxx3432() ? CompatibilityStatus.FixableByWeakening : CompatibilityStatus.Compatible;
        Assert.That(verdict.Status, Is.EqualTo(expected), verdict.Explanation);
    }

    [Test]
    public void Host_with_every_version_is_compatible()
    {
        var verdict = GlibcxxCompatibility.Assess(Original, HostWith([], added: [GlibcxxCompatibility.FixableVersion]));
        Assert.That(verdict.Status, Is.EqualTo(CompatibilityStatus.Compatible), verdict.Explanation);
    }

    [Test]
    public void Host_lacking_other_versions_is_refused_and_the_message_names_them()
    {
        var verdict = GlibcxxCompatibility.Assess(Original, HostWith(["GLIBCXX_3.4.30", "GLIBCXX_3.4.29", GlibcxxCompatibility.FixableVersion]));
        Assert.Multiple(() =>
        {
            Assert.That(verdict.Status, Is.EqualTo(CompatibilityStatus.Incompatible));
            Assert.That(verdict.Missing.Select(m => m.Version), Is.EquivalentTo(new[] { "GLIBCXX_3.4.30", "GLIBCXX_3.4.29", GlibcxxCompatibility.FixableVersion }));
            Assert.That(verdict.Explanation, Does.Contain("GLIBCXX_3.4.30").And.Contain("GLIBCXX_3.4.29").And.Contain("GLIBCXX_3.4.32"));
            Assert.That(verdict.Explanation, Does.Contain("libstdc++").And.Contain("GCC 13"));
        });
    }

    [Test]
    public void Library_whose_missing_version_binds_another_symbol_is_refused()
    {
        var original = Original;
        var anchorNeed = original.VersionNeeds.Single(n => n.Version == GlibcxxCompatibility.FixableVersion);
        // Construct the case: bind a real libstdc++ function to GLIBCXX_3.4.32 as well.
        var victim = original.VersionNeeds.First(n => n.File == "libstdc++.so.6" && n.Version == "GLIBCXX_3.4.30" && n.Symbols.Count > 0).Symbols[0];
        var constructed = ElfImage.Parse(original.WithSymbolBoundTo(victim, anchorNeed.Index), "constructed-libLibTorchSharp.so");
        Assert.That(constructed.VersionNeeds.Single(n => n.Version == GlibcxxCompatibility.FixableVersion).Symbols, Does.Contain(victim));

        var verdict = GlibcxxCompatibility.Assess(constructed, HostWith([GlibcxxCompatibility.FixableVersion]));
        Assert.Multiple(() =>
        {
            Assert.That(verdict.Status, Is.EqualTo(CompatibilityStatus.Incompatible));
            Assert.That(verdict.Explanation, Does.Contain(victim).And.Contain("GLIBCXX_3.4.32"));
        });
        using var cache = TestSupport.TemporaryFolder();
        Assert.That(() => GlibcxxCompatibility.PrepareWeakenedCopy(HostLoader.OriginalLibTorchSharp, verdict, cache.Path),
            Throws.InvalidOperationException.With.Message.Contain("Incompatible"));
    }

    [Test]
    public void Weakened_copy_changes_one_flag_leaves_the_original_untouched_and_is_idempotent()
    {
        using var cache = TestSupport.TemporaryFolder();
        var originalPath = HostLoader.OriginalLibTorchSharp;
        var before = SHA256.HashData(File.ReadAllBytes(originalPath));
        var verdict = GlibcxxCompatibility.Assess(Original, HostWith([GlibcxxCompatibility.FixableVersion]));
        Assert.That(verdict.Status, Is.EqualTo(CompatibilityStatus.FixableByWeakening), verdict.Explanation);

        var first = GlibcxxCompatibility.PrepareWeakenedCopy(originalPath, verdict, cache.Path);
        var written = File.GetLastWriteTimeUtc(first);
        var second = GlibcxxCompatibility.PrepareWeakenedCopy(originalPath, verdict, cache.Path);

        var original = File.ReadAllBytes(originalPath);
        var copy = File.ReadAllBytes(first);
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != copy[i]).ToList();
        var patched = ElfImage.Load(first);
        Assert.Multiple(() =>
        {
            Assert.That(SHA256.HashData(File.ReadAllBytes(originalPath)), Is.EqualTo(before), "the original must not change");
            Assert.That(second, Is.EqualTo(first));
            Assert.That(File.GetLastWriteTimeUtc(second), Is.EqualTo(written), "an intact copy is reused, not rewritten");
            Assert.That(copy, Has.Length.EqualTo(original.Length));
            Assert.That(differing, Has.Count.EqualTo(1), "only the low byte of one vna_flags field changes");
            Assert.That(patched.VersionNeeds.Single(n => n.Version == GlibcxxCompatibility.FixableVersion).IsWeak, Is.True);
            Assert.That(patched.VersionNeeds.Where(n => n.Version != GlibcxxCompatibility.FixableVersion).Select(n => n.IsWeak), Has.All.False);
            Assert.That(Path.GetDirectoryName(first), Does.Contain(Convert.ToHexStringLower(before)[..16]), "keyed by the original's hash");
            // The weakened copy of the weakened copy is the same file: the fix is idempotent.
            Assert.That(ElfImage.Parse(copy, "copy").WithWeakVersionNeeds(patched.VersionNeeds.Where(n => n.Version == GlibcxxCompatibility.FixableVersion)), Is.EqualTo(copy));
        });
    }

    [Test]
    public void Corrupt_cached_copy_is_replaced_not_used()
    {
        using var cache = TestSupport.TemporaryFolder();
        var verdict = GlibcxxCompatibility.Assess(Original, HostWith([GlibcxxCompatibility.FixableVersion]));
        var path = GlibcxxCompatibility.PrepareWeakenedCopy(HostLoader.OriginalLibTorchSharp, verdict, cache.Path);
        var good = File.ReadAllBytes(path);
        File.WriteAllBytes(path, good[..(good.Length / 2)]); // a truncated cache entry

        var again = GlibcxxCompatibility.PrepareWeakenedCopy(HostLoader.OriginalLibTorchSharp, verdict, cache.Path);
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(path));
            Assert.That(File.ReadAllBytes(again), Is.EqualTo(good));
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1), "no temporary files are left behind");
        });
    }

    [Test]
    public void Weakened_copy_passes_the_host_loader_where_the_original_fails()
    {
        if (!HostLoader.HostLacksGlibcxx3432())
            Assert.Ignore("This host's libstdc++ has GLIBCXX_3.4.32, so the original loads and there is nothing to fix.");
        using var cache = TestSupport.TemporaryFolder();
        var verdict = GlibcxxCompatibility.Assess(Original, RealHost);
        var copy = GlibcxxCompatibility.PrepareWeakenedCopy(HostLoader.OriginalLibTorchSharp, verdict, cache.Path);

        var original = HostLoader.List(HostLoader.OriginalLibTorchSharp, TestSupport.NativesFolder);
        var fixedCopy = HostLoader.List(copy, TestSupport.NativesFolder);
        Assert.Multiple(() =>
        {
            Assert.That(HostLoader.VersionErrors(original), Has.Some.Contain("GLIBCXX_3.4.32"), original.ToString());
            Assert.That(HostLoader.VersionErrors(fixedCopy), Is.Empty, fixedCopy.ToString());
            Assert.That(fixedCopy.Error, Does.Contain("weak version `GLIBCXX_3.4.32' not found"), "the loader now only warns");
            Assert.That(fixedCopy.Output, Does.Contain("libtorch_cpu.so =>"), "dependencies resolve");
        });
    }

    [Test]
    public void Files_that_are_not_elf_libraries_get_a_clear_message()
    {
        using var folder = TestSupport.TemporaryFolder();
        var text = Path.Combine(folder.Path, "notes.so");
        File.WriteAllText(text, "this is not a shared library, just some text long enough to pass the header size check....");
        var truncated = Path.Combine(folder.Path, "truncated.so");
        File.WriteAllBytes(truncated, File.ReadAllBytes(HostLoader.OriginalLibTorchSharp)[..4096]);
        Assert.Multiple(() =>
        {
            Assert.That(() => ElfImage.Load(text), Throws.TypeOf<InvalidDataException>().With.Message.Contain(text).And.Message.Contain("not an ELF file"));
            Assert.That(() => ElfImage.Load(truncated), Throws.TypeOf<InvalidDataException>().With.Message.Contain(truncated).And.Message.Contain("truncated"));
        });
    }
}
