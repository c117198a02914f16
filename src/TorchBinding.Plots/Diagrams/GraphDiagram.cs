using System.Text;
using SkiaSharp;

namespace TorchBinding.Plots.Diagrams;

/// <summary>
/// A small node-edge diagram: a computation graph with local derivatives on its edges, a finite-state machine or
/// Markov chain with transition probabilities (self-loops and edges both ways are drawn apart), an attention graph.
/// Laid out by itself (no Graphviz needed); <see cref="ToDot"/> gives the same graph as Graphviz DOT text.
/// <see cref="From(long, IReadOnlyList{ValueTuple{long, long}}, GraphDrawing?)"/> draws a graph given by its node count and
/// edge list (a molecule, a GNN's input: <c>GraphDiagram.From(graph.NodeCount, graph.EdgeList())</c> for a graph of
/// <c>TorchBinding.Models.Graphs</c>) with a spring layout, coloured nodes and edges, and undirected edges drawn once.
/// </summary>
/// <example><code>
/// var graph = new GraphDiagram { Title = "e = (a + b)(b + 1)" }
///     .AddEdge("a", "c", "∂c/∂a = 1").AddEdge("b", "c", "1").AddEdge("b", "d", "1")
///     .AddEdge("c", "e", "∂e/∂c = d").AddEdge("d", "e", "∂e/∂d = c");
/// graph.Save("graph.png");
/// File.WriteAllText("graph.dot", graph.ToDot());
/// </code></example>
public sealed partial class GraphDiagram : Figure
{
    readonly List<Node> _nodes = [];
    readonly List<Edge> _edges = [];
    readonly List<(string Label, SKColor Colour, bool IsEdge)> _legend = [];

    /// <summary>How nodes are placed (default: layered when acyclic, else circular).</summary>
    public GraphLayout Layout { get; set; } = GraphLayout.Auto;

    /// <summary>The shape of nodes added without one (default circles).</summary>
    public NodeShape NodeShape { get; set; } = NodeShape.Circle;

    /// <summary>Whether layers run left to right (default) rather than top to bottom.</summary>
    public bool LeftToRight { get; set; } = true;

    /// <summary>
    /// Whether edges have a direction (default true). When false, edges are lines without arrowheads, and a pair
    /// a → b, b → a (how an undirected graph stores an edge) is drawn once.
    /// </summary>
    public bool Directed { get; set; } = true;

    /// <summary>The seed of the <see cref="GraphLayout.Spring"/> layout's starting positions (default 42).</summary>
    public int LayoutSeed { get; set; } = 42;

    /// <summary>The smallest radius of a circle node in pixels (default 22; a larger label makes a larger circle).</summary>
    public float NodeRadius { get; set; } = 22;

    /// <summary>The node identifiers, in the order added.</summary>
    public IReadOnlyList<string> NodeIds => _nodes.Select(n => n.Id).ToList();

    /// <summary>The number of edges.</summary>
    public int EdgeCount => _edges.Count;

    /// <summary>Adds a node (or restyles one that exists).</summary>
    /// <param name="id">Its identifier, used by edges.</param>
    /// <param name="label">The text drawn in it (default: the identifier).</param>
    /// <param name="shape">Its shape (default: <see cref="NodeShape"/>).</param>
    /// <param name="fill">Its fill colour (default: a light tint).</param>
    public GraphDiagram AddNode(string id, string? label = null, NodeShape? shape = null, SKColor? fill = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var index = _nodes.FindIndex(n => n.Id == id);
        var node = new Node(id, label ?? id, shape, fill);
        if (index >= 0)
            _nodes[index] = node;
        else
            _nodes.Add(node);
        return this;
    }

    /// <summary>Adds a directed edge; nodes not yet added are added with their identifiers as labels.</summary>
    /// <param name="from">The source node.</param>
    /// <param name="to">The target node (the same as <paramref name="from"/> for a self-loop).</param>
    /// <param name="label">The text on the edge, e.g. a local derivative or a probability (null: none).</param>
    /// <param name="colour">The edge's colour (default: ink).</param>
    public GraphDiagram AddEdge(string from, string to, string? label = null, SKColor? colour = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        if (_nodes.All(n => n.Id != from))
            AddNode(from);
        if (_nodes.All(n => n.Id != to))
            AddNode(to);
        _edges.Add(new Edge(from, to, label, colour));
        return this;
    }

    /// <summary>Adds a legend entry: a filled circle (a kind of node) or, with <paramref name="isEdge"/>, a line (a kind of edge).</summary>
    public GraphDiagram AddLegend(string label, SKColor colour, bool isEdge = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        _legend.Add((label, colour, isEdge));
        return this;
    }

    /// <summary>
    /// A diagram of a graph given by its nodes 0 … <paramref name="nodeCount"/> − 1 and its edges (source, target), e.g.
    /// <c>From(graph.NodeCount, graph.EdgeList())</c> for a graph of <c>TorchBinding.Models.Graphs</c>: one node per
    /// node (labelled with its index unless <see cref="GraphDrawing.NodeLabels"/> says otherwise), one edge per edge,
    /// undirected when every edge has its reverse (each pair then drawn once), laid out by a seeded spring layout unless
    /// asked otherwise.
    /// </summary>
    /// <param name="nodeCount">The number of nodes.</param>
    /// <param name="edges">The edges by node index, in order (edge colours and labels follow this order).</param>
    /// <param name="drawing">How to draw it (default: <see cref="GraphDrawing"/>'s defaults).</param>
    public static GraphDiagram From(long nodeCount, IReadOnlyList<(long Source, long Target)> edges, GraphDrawing? drawing = null)
    {
        ArgumentNullException.ThrowIfNull(edges);
        drawing ??= new GraphDrawing();
        var n = checked((int)nodeCount);
        if (n == 0)
            throw new ArgumentException("The graph has no nodes to draw.", nameof(nodeCount));
        if (drawing.NodeLabels is { } labels && labels.Count != n)
            throw new ArgumentException($"GraphDrawing.NodeLabels has {labels.Count} labels for {n} nodes.", nameof(drawing));
        if (drawing.NodeFills is { } fills && fills.Count != n)
            throw new ArgumentException($"GraphDrawing.NodeFills has {fills.Count} colours for {n} nodes.", nameof(drawing));
        if (drawing.EdgeColours is { } colours && colours.Count != edges.Count)
            throw new ArgumentException($"GraphDrawing.EdgeColours has {colours.Count} colours for {edges.Count} edges.", nameof(drawing));
        if (drawing.EdgeLabels is { } edgeLabels && edgeLabels.Count != edges.Count)
            throw new ArgumentException($"GraphDrawing.EdgeLabels has {edgeLabels.Count} labels for {edges.Count} edges.", nameof(drawing));
        var diagram = new GraphDiagram
        {
            Title = drawing.Title,
            Directed = drawing.Directed ?? !IsUndirected(edges),
            Layout = drawing.Layout,
            LayoutSeed = drawing.Seed,
            NodeRadius = drawing.NodeRadius,
        };
        for (var i = 0; i < n; i++)
            diagram.AddNode(i.ToString(System.Globalization.CultureInfo.InvariantCulture), drawing.NodeLabels?[i], fill: drawing.NodeFills?[i]);
        for (var k = 0; k < edges.Count; k++)
        {
            var (from, to) = (edges[k].Source.ToString(System.Globalization.CultureInfo.InvariantCulture), edges[k].Target.ToString(System.Globalization.CultureInfo.InvariantCulture));
            diagram.AddEdge(from, to, drawing.EdgeLabels?[k], drawing.EdgeColours?[k]);
        }
        return diagram;
    }

    /// <summary>Whether every edge j → i has its reverse i → j (an undirected graph as PyG stores one).</summary>
    static bool IsUndirected(IReadOnlyList<(long Source, long Target)> edges)
    {
        var set = edges.ToHashSet();
        return edges.All(e => set.Contains((e.Target, e.Source)));
    }

    /// <summary>The graph as Graphviz DOT text (render it elsewhere with <c>dot -Tpng</c>).</summary>
    public string ToDot()
    {
        static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
        var dot = new StringBuilder();
        dot.AppendLine("digraph G {");
        if (!string.IsNullOrEmpty(Title))
            dot.AppendLine($"  label={Quote(Title)};\n  labelloc=t;");
        dot.AppendLine($"  rankdir={(LeftToRight ? "LR" : "TB")};");
        if (ChosenLayout() == GraphLayout.Circular)
            dot.AppendLine("  layout=circo;");
        else if (ChosenLayout() == GraphLayout.Spring)
            dot.AppendLine("  layout=neato;");
        dot.AppendLine($"  node [shape={(NodeShape == NodeShape.Circle ? "circle" : "box")}, fontname=\"DejaVu Sans\"];");
        foreach (var node in _nodes)
        {
            var attributes = new List<string> { $"label={Quote(node.Label)}" };
            if (node.Shape is { } shape)
                attributes.Add($"shape={(shape == NodeShape.Circle ? "circle" : "box")}");
            if (node.Fill is { } fill)
                attributes.Add($"style=filled, fillcolor=\"#{fill.Red:X2}{fill.Green:X2}{fill.Blue:X2}\"");
            dot.AppendLine($"  {Quote(node.Id)} [{string.Join(", ", attributes)}];");
        }
        foreach (var edge in DrawnEdges())
        {
            var attributes = new List<string>();
            if (edge.Label is not null)
                attributes.Add($"label={Quote(edge.Label)}");
            if (edge.Colour is { } colour)
                attributes.Add($"color=\"#{colour.Red:X2}{colour.Green:X2}{colour.Blue:X2}\"");
            if (!Directed)
                attributes.Add("dir=none");
            dot.AppendLine($"  {Quote(edge.From)} -> {Quote(edge.To)}{(attributes.Count == 0 ? "" : $" [{string.Join(", ", attributes)}]")};");
        }
        dot.AppendLine("}");
        return dot.ToString();
    }

    GraphLayout ChosenLayout() => Layout != GraphLayout.Auto ? Layout
        : !Directed && _nodes.Count > 3 ? GraphLayout.Spring
        : _edges.Any(e => e.From == e.To) || HasCycle() ? GraphLayout.Circular : GraphLayout.Layered;

    /// <summary>The edges to draw: all of them, or for an undirected diagram each pair once.</summary>
    List<Edge> DrawnEdges()
    {
        if (Directed)
            return _edges;
        var seen = new HashSet<(string, string)>();
        return _edges.Where(e => seen.Add(string.CompareOrdinal(e.From, e.To) <= 0 ? (e.From, e.To) : (e.To, e.From))).ToList();
    }

    bool HasCycle()
    {
        if (!Directed)
            return _edges.Any(e => e.From != e.To);
        var state = _nodes.ToDictionary(n => n.Id, _ => 0); // 0 unvisited, 1 on the stack, 2 done
        bool Visit(string id)
        {
            state[id] = 1;
            foreach (var e in _edges.Where(e => e.From == id))
                if (state[e.To] == 1 || (state[e.To] == 0 && Visit(e.To)))
                    return true;
            state[id] = 2;
            return false;
        }
        return _nodes.Any(n => state[n.Id] == 0 && Visit(n.Id));
    }

    sealed record Node(string Id, string Label, NodeShape? Shape, SKColor? Fill);

    sealed record Edge(string From, string To, string? Label, SKColor? Colour);
}
