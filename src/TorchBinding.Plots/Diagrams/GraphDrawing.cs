using SkiaSharp;

namespace TorchBinding.Plots.Diagrams;

/// <summary>How <see cref="GraphDiagram.From(long, IReadOnlyList{ValueTuple{long, long}}, GraphDrawing?)"/> draws a graph.</summary>
public sealed record GraphDrawing
{
    /// <summary>The title (null: none).</summary>
    public string? Title { get; init; }

    /// <summary>The text in each node, by node index (null: the index).</summary>
    public IReadOnlyList<string>? NodeLabels { get; init; }

    /// <summary>Each node's fill colour (null: the default tint).</summary>
    public IReadOnlyList<SKColor>? NodeFills { get; init; }

    /// <summary>Each edge's colour, in edge order (null: ink).</summary>
    public IReadOnlyList<SKColor>? EdgeColours { get; init; }

    /// <summary>Each edge's label, in edge order (null: none).</summary>
    public IReadOnlyList<string>? EdgeLabels { get; init; }

    /// <summary>Whether to draw arrows (null: only if some edge lacks its reverse).</summary>
    public bool? Directed { get; init; }

    /// <summary>The layout (default: spring for undirected graphs of more than 3 nodes, else circular or layered).</summary>
    public GraphLayout Layout { get; init; } = GraphLayout.Auto;

    /// <summary>The spring layout's seed (default 42, the course's networkx seed; the layouts themselves differ).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The smallest node radius in pixels (default 22).</summary>
    public float NodeRadius { get; init; } = 22;
}
