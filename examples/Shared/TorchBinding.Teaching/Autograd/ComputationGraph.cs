using System.Globalization;
using System.Text;

namespace TorchBinding.Teaching.Autograd;

/// <summary>What a node of a <see cref="ComputationGraph"/> stands for.</summary>
public enum GraphNodeKind
{
    /// <summary>A value: a number of the scalar autograd, or a tensor (the model's input or output, an intermediate).</summary>
    Value,

    /// <summary>An operation that makes a value from its operands (+, ×, tanh, ..., or tensor code between modules).</summary>
    Operation,

    /// <summary>A call of a module (a layer) of a model.</summary>
    Module,
}

/// <summary>A node of a <see cref="ComputationGraph"/>.</summary>
/// <param name="Id">A DOT-safe identifier, unique in its graph.</param>
/// <param name="Label">The text to show; <c>" | "</c> separates its fields, e.g. <c>c = a + b | data 3.0 | grad 2.0</c>.</param>
/// <param name="Kind">What the node stands for.</param>
public sealed record GraphNode(string Id, string Label, GraphNodeKind Kind)
{
    /// <summary>The label's fields (split at <c>" | "</c>).</summary>
    public IReadOnlyList<string> Fields => Label.Split(" | ");
}

/// <summary>A directed edge of a <see cref="ComputationGraph"/>, in the direction the data flows.</summary>
/// <param name="From">The source node's id.</param>
/// <param name="To">The target node's id.</param>
/// <param name="Label">Text on the edge (e.g. the local derivative), or null.</param>
public sealed record GraphEdge(string From, string To, string? Label = null);

/// <summary>
/// A computation graph as a plain structure of nodes and edges, independent of any drawing library, with DOT text
/// (Graphviz) for it. A picture: <c>TorchBinding.Plots</c>' <c>GraphDiagram</c>, node by node (<c>AddNode(Id, Label)</c>)
/// and edge by edge (<c>AddEdge(From, To, Label)</c>), or <c>dot -Tpng</c> on <see cref="ToDot"/>.
/// </summary>
public sealed class ComputationGraph
{
    readonly Dictionary<string, GraphNode> _byId;

    /// <summary>Creates a graph; every edge must join two of the nodes.</summary>
    /// <param name="nodes">The nodes (ids unique).</param>
    /// <param name="edges">The edges.</param>
    /// <exception cref="ArgumentException">A duplicate node id, or an edge naming an unknown node.</exception>
    public ComputationGraph(IEnumerable<GraphNode> nodes, IEnumerable<GraphEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(nodes);
        ArgumentNullException.ThrowIfNull(edges);
        Nodes = [.. nodes];
        Edges = [.. edges];
        _byId = new Dictionary<string, GraphNode>(StringComparer.Ordinal);
        foreach (var node in Nodes)
        {
            if (!_byId.TryAdd(node.Id, node))
                throw new ArgumentException($"ComputationGraph: node id '{node.Id}' is used twice.", nameof(nodes));
        }
        foreach (var edge in Edges)
        {
            if (!_byId.ContainsKey(edge.From) || !_byId.ContainsKey(edge.To))
                throw new ArgumentException($"ComputationGraph: edge {edge.From} -> {edge.To} names a node that is not in the graph.", nameof(edges));
        }
    }

    /// <summary>The nodes, in the order they were computed (operands before results).</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>The edges, in the direction the data flows.</summary>
    public IReadOnlyList<GraphEdge> Edges { get; }

    /// <summary>The node with id <paramref name="id"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such node.</exception>
    public GraphNode Node(string id) =>
        _byId.TryGetValue(id, out var node) ? node : throw new KeyNotFoundException($"ComputationGraph: no node '{id}'.");

    /// <summary>The nodes with an edge into <paramref name="id"/>, in edge order.</summary>
    public IReadOnlyList<GraphNode> Predecessors(string id) => [.. Edges.Where(e => e.To == id).Select(e => Node(e.From))];

    /// <summary>The nodes <paramref name="id"/> has an edge to, in edge order.</summary>
    public IReadOnlyList<GraphNode> Successors(string id) => [.. Edges.Where(e => e.From == id).Select(e => Node(e.To))];

    /// <summary>
    /// The graph as Graphviz DOT text: a <c>digraph</c> with one line per node (<c>id [label=..., shape=...]</c>) and one
    /// per edge (<c>from -> to</c>). Labels with fields become record nodes (<c>{a | data 2.0 | grad 5.0}</c>); values
    /// are boxes, operations ellipses, modules rounded boxes.
    /// </summary>
    /// <param name="name">The graph's name (letters, digits and underscores are kept; anything else becomes <c>_</c>).</param>
    /// <param name="leftToRight">Lay out left to right (as micrograd's drawings) rather than top to bottom.</param>
    public string ToDot(string name = "computation", bool leftToRight = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = new StringBuilder();
        var safeName = new string([.. name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_')]);
        text.Append("digraph ").Append(safeName.Length == 0 ? "computation" : safeName).AppendLine(" {");
        text.Append("  rankdir=").Append(leftToRight ? "LR" : "TB").AppendLine(";");
        text.AppendLine("  node [fontname=\"Helvetica\"];");
        foreach (var node in Nodes)
        {
            var fields = node.Fields;
            var (shape, style) = node.Kind switch
            {
                GraphNodeKind.Operation => ("ellipse", ""),
                GraphNodeKind.Module => (fields.Count > 1 ? "Mrecord" : "box", ", style=rounded"),
                _ => (fields.Count > 1 ? "record" : "box", ""),
            };
            var label = fields.Count > 1
                ? "{" + string.Join(" | ", fields.Select(EscapeRecordField)) + "}"
                : EscapeString(node.Label);
            text.Append(CultureInfo.InvariantCulture, $"  {node.Id} [label=\"{label}\", shape={shape}{style}];").AppendLine();
        }
        foreach (var edge in Edges)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {edge.From} -> {edge.To}");
            if (!string.IsNullOrEmpty(edge.Label))
                text.Append(CultureInfo.InvariantCulture, $" [label=\"{EscapeString(edge.Label)}\"]");
            text.AppendLine(";");
        }
        text.AppendLine("}");
        return text.ToString();
    }

    /// <summary>Quotes and backslashes escaped for a DOT string.</summary>
    static string EscapeString(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

    /// <summary>A record field: DOT's record syntax characters escaped too.</summary>
    static string EscapeRecordField(string text)
    {
        var escaped = new StringBuilder();
        foreach (var c in EscapeString(text))
        {
            if (c is '{' or '}' or '|' or '<' or '>')
                escaped.Append('\\');
            escaped.Append(c);
        }
        return escaped.ToString();
    }
}
