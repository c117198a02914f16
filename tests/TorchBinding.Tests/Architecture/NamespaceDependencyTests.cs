using TorchBinding.Runtime;
using static TorchBinding.Tests.Architecture.DependencyGraph;

namespace TorchBinding.Tests.Architecture;

/// <summary>
/// The core's shape, read from its compiled assembly (docs/architecture.md): it holds only what every user needs and
/// references no other assembly of ours; its areas (Runtime, IO, Data, ...) form layers, each using only those below
/// it; types that use each other share a namespace; the synthetic lecture data is used by nothing else in the core.
/// </summary>
public class NamespaceDependencyTests
{
    /// <summary>The core's areas: <c>TorchBinding.X</c> with its sub-namespaces (e.g. <c>TorchBinding.Training.Callbacks</c>).</summary>
    static readonly string[] CoreAreas = ["Runtime", "IO", "Data", "Training", "Losses", "Metrics", "Statistics", "Activations"];

    /// <summary>
    /// Uses known to go against the layers, and why they are there. The rules fail on any other, and on these once they
    /// are gone (then delete them here).
    /// </summary>
    static readonly (string From, string To, string Why)[] KnownUpwardUses =
    [
        ("TorchBinding.Runtime.Kernels", "TorchBinding.Losses",
            "the op-gradient suite (torchbinding doctor) checks the lecture's losses; the start-up's convolution check shares its RelativeError"),
        ("TorchBinding.Runtime.Kernels", "TorchBinding.Activations",
            "the op-gradient suite checks the lecture's activations (the straight-through step) too"),
    ];

    static readonly Lazy<DependencyGraph> Core = new(() => Read(typeof(TorchRuntime).Assembly.Location, "TorchBinding"));

    static IEnumerable<Use> UsesAlongTheLayers => Core.Value.Uses.Where(u => !KnownUpwardUses.Any(k => k.From == u.User.Namespace && k.To == u.Used.Namespace));

    /// <summary>The area of a namespace: <c>TorchBinding.Training.Callbacks</c> → <c>TorchBinding.Training</c>.</summary>
    static string AreaOf(string ns) => string.Join('.', ns.Split('.').Take(2));

    /// <summary>
    /// What counts as one namespace for the type rule: the start-up (<c>Runtime</c>) calls its kernel check and
    /// library fix (<c>Runtime.Kernels</c>, <c>Runtime.Compatibility</c>), which read the start-up's options and
    /// handles: one component in three folders.
    /// </summary>
    static string ComponentOf(string ns) => AreaOf(ns) == "TorchBinding.Runtime" ? "TorchBinding.Runtime" : ns;

    [Test]
    public void The_core_holds_only_what_every_user_needs()
    {
        var foreign = Core.Value.Namespaces.Where(n => n != "TorchBinding" && !CoreAreas.Contains(AreaOf(n)["TorchBinding.".Length..])).ToList();
        Assert.That(foreign, Is.Empty,
            "model families belong in TorchBinding.Models, analysis in TorchBinding.Analysis, lecture-only code beside the examples (docs/architecture.md)");
    }

    [Test]
    public void The_core_references_no_other_assembly_of_ours()
    {
        var ours = typeof(TorchRuntime).Assembly.GetReferencedAssemblies()
            .Select(a => a.Name!)
            .Where(n => n.StartsWith("TorchBinding", StringComparison.Ordinal))
            .ToList();
        Assert.That(ours, Is.Empty, "the core depends on nothing of ours; the other packages depend on it");
    }

    [Test]
    public void The_core_areas_form_layers()
    {
        var graph = Core.Value;
        var areas = graph.Namespaces.Select(AreaOf).Distinct();
        var edges = UsesAlongTheLayers.Select(u => (From: AreaOf(u.User.Namespace), To: AreaOf(u.Used.Namespace))).Where(e => e.From != e.To).ToList();
        var cycles = Cycles(areas, edges).Select(c => string.Join(" ⇄ ", c) + ": " + string.Join("; ",
            UsesAlongTheLayers.Where(u => c.Contains(AreaOf(u.User.Namespace)) && c.Contains(AreaOf(u.Used.Namespace)) && AreaOf(u.User.Namespace) != AreaOf(u.Used.Namespace))
                .GroupBy(u => (AreaOf(u.User.Namespace), AreaOf(u.Used.Namespace))).Select(g => g.First()))).ToList();
        Assert.That(cycles, Is.Empty, "an area uses only the areas below it (one example use per pair of areas is shown)");
        var stale = KnownUpwardUses.Where(k => !graph.Uses.Any(u => u.User.Namespace == k.From && u.Used.Namespace == k.To)).ToList();
        Assert.That(stale, Is.Empty, "a known upward use is gone: delete it from KnownUpwardUses");
    }

    [Test]
    public void Types_that_use_each_other_share_a_namespace()
    {
        var graph = Core.Value;
        var uses = UsesAlongTheLayers.ToList();
        var crossing = Cycles(graph.Types, uses.Select(u => (u.User, u.Used)))
            .Where(c => c.Select(t => ComponentOf(t.Namespace)).Distinct().Count() > 1)
            .Select(c => string.Join("; ", uses.Where(u => c.Contains(u.User) && c.Contains(u.Used) && ComponentOf(u.User.Namespace) != ComponentOf(u.Used.Namespace))))
            .ToList();
        Assert.That(crossing, Is.Empty, "a circle of types spans namespaces (its uses across them are shown): move one, or let one side see the other through an interface");
    }

    [Test]
    public void Nothing_else_in_the_core_uses_the_synthetic_lecture_data()
    {
        var users = Core.Value.Uses
            .Where(u => u.Used.Namespace == "TorchBinding.Data.Synthetic" && u.User.Namespace != "TorchBinding.Data.Synthetic")
            .Select(u => u.ToString()).ToList();
        Assert.That(users, Is.Empty, "the data generators are a leaf: shared helpers live below them (e.g. Statistics)");
    }

    [Test]
    public void The_reader_sees_uses_through_signatures_bodies_and_parent_namespaces()
    {
        var uses = Core.Value.Uses.Select(u => (u.User.ToString(), u.Used.ToString())).ToHashSet();
        Assert.Multiple(() =>
        {
            Assert.That(uses, Does.Contain(("TorchBinding.IO.SafeTensors", "TorchBinding.Runtime.TorchRuntime")), "a call in a method body");
            Assert.That(uses, Does.Contain(("TorchBinding.Training.Callbacks.EarlyStopping", "TorchBinding.Training.TrainingCallback")), "a base type in the parent namespace");
            Assert.That(uses, Does.Contain(("TorchBinding.Training.Trainer", "TorchBinding.Data.InMemoryDataset")), "a signature");
        });
    }
}
