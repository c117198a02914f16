// The picture of the house (scripts/architecture.sh runs this): the projects under src/, examples/Shared/ and
// benchmarks/ and what each references, read from their csproj files' ProjectReference items, written as
// docs/architecture.txt (one line per reference, "A -> B", sorted) and drawn as docs/architecture.png by
// TorchBinding.Plots' own GraphDiagram (a referencing project above the projects it references).
//
//   dotnet run scripts/architecture.cs -- REPOSITORY_ROOT
//
// tests/TorchBinding.Tests/Architecture/ArchitectureMapTests.cs reads the csproj files the same way and fails when
// docs/architecture.txt differs from them.
#:project ../src/TorchBinding.Plots/TorchBinding.Plots.csproj
#:property TorchBindingRunsLibTorch=false

using System.Xml.Linq;
using SkiaSharp;
using TorchBinding.Plots;
using TorchBinding.Plots.Diagrams;

var root = Path.GetFullPath(args.Length > 0 ? args[0] : ".");
var projects = new[] { "src", Path.Combine("examples", "Shared"), "benchmarks" }
    .Select(folder => Path.Combine(root, folder))
    .Where(Directory.Exists)
    .SelectMany(folder => Directory.GetDirectories(folder).SelectMany(d => Directory.GetFiles(d, "*.csproj")))
    .Select(path => (Path: path, Name: Path.GetFileNameWithoutExtension(path), Xml: XDocument.Load(path)))
    .OrderBy(p => p.Name, StringComparer.Ordinal)
    .ToList();

string Kind((string Path, string Name, XDocument Xml) project) =>
    project.Xml.Descendants("IsPackable").Any(e => e.Value.Trim() == "true") ? "package"
    : project.Path.StartsWith(Path.Combine(root, "benchmarks"), StringComparison.Ordinal) ? "program"
    : "beside the examples, unpacked";

var references = projects
    .SelectMany(p => p.Xml.Descendants("ProjectReference")
        .Select(r => r.Attribute("Include")!.Value.Replace("$(RepositoryRoot)", root + "/", StringComparison.Ordinal).Replace('\\', '/'))
        .Select(include => (From: p.Name, To: Path.GetFileNameWithoutExtension(include))))
    .Distinct()
    .Select(r => $"{r.From} -> {r.To}")
    .Order(StringComparer.Ordinal)
    .ToList();
File.WriteAllLines(Path.Combine(root, "docs", "architecture.txt"), references);

var fills = new Dictionary<string, SKColor>
{
    ["package"] = Palette.Lighten(Palette.OkabeIto[5], 0.55),
    ["beside the examples, unpacked"] = Palette.Lighten(Palette.OkabeIto[1], 0.55),
    ["program"] = Palette.Lighten(Palette.OkabeIto[7], 0.75),
};
var diagram = new GraphDiagram
{
    Title = "TorchBinding: the projects and what each references",
    Layout = GraphLayout.Layered,
    LeftToRight = false,
    NodeShape = NodeShape.Box,
    Width = 1000,
    Height = 560,
};
foreach (var project in projects)
    diagram.AddNode(project.Name, project.Name == "TorchBinding" ? "TorchBinding (core)" : project.Name["TorchBinding.".Length..], fill: fills[Kind(project)]);
foreach (var line in references)
{
    var parts = line.Split(" -> ");
    diagram.AddEdge(parts[0], parts[1]);
}
foreach (var (kind, fill) in fills)
    diagram.AddLegend(kind, fill);
diagram.Save(Path.Combine(root, "docs", "architecture.png"));
Console.WriteLine($"architecture: {projects.Count} projects, {references.Count} references -> docs/architecture.txt, docs/architecture.png");
