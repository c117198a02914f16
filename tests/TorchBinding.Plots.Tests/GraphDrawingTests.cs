using SkiaSharp;
using TorchBinding.Models.Graphs;
using TorchBinding.Plots.Diagrams;
using static TorchSharp.torch;

namespace TorchBinding.Plots.Tests;

/// <summary>Graphs of <c>TorchBinding.Models.Graphs</c> drawn: spring layout, undirected edges once, node and edge colours, a legend.</summary>
public class GraphDrawingTests
{
    /// <summary>A ring of six with a tail of two, stored undirected as PyG stores it (each edge both ways).</summary>
    static Graph RingWithTail() =>
        Graph.FromEdges(ones(8, 1), [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 0), (5, 6), (6, 7)], undirected: true);

    [Test]
    public void A_spring_layout_keeps_nodes_apart_and_neighbours_close()
    {
        using var graph = RingWithTail();
        var diagram = GraphDiagram.From(graph.NodeCount, graph.EdgeList(), new GraphDrawing { Title = "ring with a tail" });
        var area = new SKRect(0, 0, diagram.Width, diagram.Height);
        var centres = diagram.NodeCentres(area);
        var points = Enumerable.Range(0, 8).Select(i => centres[i.ToString()]).ToArray();
        var edges = graph.EdgeList();
        var neighbours = edges.Select(e => (points[e.Source] - points[e.Target]).Length).ToList();
        var all = new List<float>();
        for (var a = 0; a < 8; a++)
        {
            for (var b = a + 1; b < 8; b++)
                all.Add((points[a] - points[b]).Length);
        }
        Assert.Multiple(() =>
        {
            Assert.That(diagram.Directed, Is.False, "every edge has its reverse");
            Assert.That(diagram.ToDot(), Does.Contain("layout=neato;"), "undirected graphs of more than 3 nodes are laid out by springs");
            Assert.That(all.Min(), Is.GreaterThan(44), "no two nodes (radius 22) overlap");
            Assert.That(neighbours.Average(), Is.LessThan(all.Average()), "neighbours are closer than the average pair");
            Assert.That(points.All(p => area.Contains(p)), Is.True);
        });
        // The same seed gives the same picture; another seed another one.
        var again = GraphDiagram.From(graph.NodeCount, graph.EdgeList(), new GraphDrawing { Title = "ring with a tail" }).NodeCentres(area);
        var other = GraphDiagram.From(graph.NodeCount, graph.EdgeList(), new GraphDrawing { Title = "ring with a tail", Seed = 7 }).NodeCentres(area);
        Assert.That(again["3"], Is.EqualTo(diagram.NodeCentres(area)["3"]));
        Assert.That(other["3"], Is.Not.EqualTo(again["3"]));
    }

    [Test]
    public void Undirected_edges_are_drawn_once_with_their_colours_and_a_legend()
    {
        using var graph = RingWithTail();
        var red = new SKColor(0xD0, 0x20, 0x20);
        var blue = new SKColor(0x20, 0x40, 0xD0);
        var edgeColours = graph.EdgeList().Select(e => e.Source >= 5 && e.Target >= 5 ? red : Palette.OkabeIto[7]).ToList();
        var diagram = GraphDiagram.From(graph.NodeCount, graph.EdgeList(), new GraphDrawing
        {
            EdgeColours = edgeColours,
            NodeFills = Enumerable.Repeat(blue, 8).ToList(),
            NodeLabels = Enumerable.Range(0, 8).Select(i => $"v{i}").ToList(),
        }).AddLegend("tail bond", red, isEdge: true).AddLegend("atom", blue);
        var dot = diagram.ToDot();
        Assert.Multiple(() =>
        {
            Assert.That(diagram.EdgeCount, Is.EqualTo(16), "both directions are kept");
            Assert.That(dot.Split('\n').Count(l => l.Contains("->", StringComparison.Ordinal)), Is.EqualTo(8), "each undirected edge once");
            Assert.That(dot, Does.Contain("\"5\" -> \"6\" [color=\"#D02020\", dir=none];"));
            Assert.That(dot, Does.Contain("\"0\" [label=\"v0\", style=filled, fillcolor=\"#2040D0\"];"));
        });
        diagram.Width = 500;
        diagram.Height = 460;
        using var bitmap = Png.AssertValid(diagram.ToPng(), 500, 460);
        var pixels = bitmap.Pixels;
        Assert.That(pixels.Count(p => Png.Distance(p, red) < 40), Is.GreaterThan(60), "the red tail bonds and the legend's line are drawn");
        Assert.That(pixels.Count(p => Png.Distance(p, blue) < 40), Is.GreaterThan(8 * 600), "eight blue nodes");
    }

    [Test]
    public void Directed_graphs_keep_their_arrows_and_bad_drawings_are_refused()
    {
        using var graph = Graph.FromEdges(ones(2, 1), [(0, 1)]);
        var diagram = GraphDiagram.From(graph.NodeCount, graph.EdgeList());
        Assert.That(diagram.Directed, Is.True);
        Assert.That(diagram.ToDot(), Does.Contain("\"0\" -> \"1\";"));
        Png.AssertValid(diagram.ToPng(), diagram.Width, diagram.Height).Dispose();
        Assert.That(() => GraphDiagram.From(graph.NodeCount, graph.EdgeList(), new GraphDrawing { NodeLabels = ["only one"] }), Throws.ArgumentException.With.Message.Contain("1 labels for 2 nodes"));
        Assert.That(() => GraphDiagram.From(graph.NodeCount, graph.EdgeList(), new GraphDrawing { EdgeColours = [SKColors.Red, SKColors.Red] }), Throws.ArgumentException.With.Message.Contain("2 colours for 1 edges"));
    }
}
