using System.Xml.Linq;

namespace TorchBinding.Tests.Architecture;

/// <summary>
/// docs/architecture.txt (and the picture beside it, docs/architecture.png) says which project references which; it is
/// written by scripts/architecture.sh from the project files and must follow them.
/// </summary>
public class ArchitectureMapTests
{
    /// <summary>The references of the projects under src/, examples/Shared/ and benchmarks/, as scripts/architecture.cs reads them.</summary>
    static List<string> ReferencesInTheProjectFiles()
    {
        var root = TestSupport.RepositoryRoot;
        return new[] { "src", Path.Combine("examples", "Shared"), "benchmarks" }
            .Select(folder => Path.Combine(root, folder))
            .Where(Directory.Exists)
            .SelectMany(folder => Directory.GetDirectories(folder).SelectMany(d => Directory.GetFiles(d, "*.csproj")))
            .SelectMany(path => XDocument.Load(path).Descendants("ProjectReference")
                .Select(r => $"{Path.GetFileNameWithoutExtension(path)} -> {Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/'))}"))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    [Test]
    public void The_architecture_text_follows_the_project_files()
    {
        var committed = File.ReadAllLines(Path.Combine(TestSupport.RepositoryRoot, "docs", "architecture.txt")).Where(l => l.Length > 0).ToList();
        Assert.That(committed, Is.EqualTo(ReferencesInTheProjectFiles()),
            "docs/architecture.txt differs from the project files' references: run scripts/architecture.sh (it redraws docs/architecture.png too)");
    }

    [Test]
    public void The_packages_reference_only_what_the_layers_allow()
    {
        // docs/architecture.md: the core depends on nothing of ours; Models, Analysis and Plots on the core alone.
        var references = ReferencesInTheProjectFiles();
        Assert.Multiple(() =>
        {
            Assert.That(references.Where(r => r.StartsWith("TorchBinding ->", StringComparison.Ordinal)), Is.Empty);
            foreach (var package in new[] { "TorchBinding.Models", "TorchBinding.Analysis", "TorchBinding.Plots" })
                Assert.That(references.Where(r => r.StartsWith(package + " ->", StringComparison.Ordinal)), Is.EqualTo(new[] { package + " -> TorchBinding" }), package);
        });
    }
}
