using System.Text;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// A graph as PyTorch Geometric's <c>Data</c> holds one: node features <c>x</c> <c>[N, F]</c>, <c>edge_index</c>
/// <c>[2, E]</c> (int64; row 0 the source j, row 1 the target i of each directed edge j → i, so messages flow
/// source to target), optional edge features <c>[E, D]</c>, graph labels and node labels. Several graphs combined by
/// <see cref="Combine"/> form one disjoint graph whose <see cref="Batch"/> vector names each node's graph
/// (PyG's <c>Batch.from_data_list</c>). An undirected graph stores each edge both ways.
/// </summary>
/// <remarks>
/// The graph takes its tensors over: <see cref="Dispose"/> disposes them. It leaves them in the caller's dispose
/// scope (a graph built inside a training step's scope is freed with the step). The constructor checks shapes,
/// dtypes and that every edge index lies in <c>0..N−1</c>, so a mistake is a clear exception, never a native crash.
/// </remarks>
/// <example><code>
/// // Water: O bonded to two H; atoms one-hot over [C, H, O, N, S]; each bond both ways.
/// var water = Graph.FromEdges(tensor(new float[,] { { 0, 0, 1, 0, 0 }, { 0, 1, 0, 0, 0 }, { 0, 1, 0, 0, 0 } }),
///     [(0, 1), (0, 2)], undirected: true);
/// Console.WriteLine(water);   // Graph(x=[3, 5], edge_index=[2, 4])
/// </code></example>
public sealed class Graph : IDisposable
{
    /// <summary>A graph from its tensors, checked.</summary>
    /// <param name="nodeFeatures">Node features <c>x</c>, <c>[N, F]</c> (a single feature per node: <c>[N, 1]</c>).</param>
    /// <param name="edgeIndex">Edges, <c>[2, E]</c> int64 with values in <c>0..N−1</c>: row 0 sources, row 1 targets.</param>
    /// <param name="edgeFeatures">Edge features <c>[E, D]</c>, one row per column of <paramref name="edgeIndex"/>, or null.</param>
    /// <param name="labels">The graph's label: a scalar, <c>[1]</c> or <c>[1, K]</c> (stored as <c>[1]</c> / <c>[1, K]</c>), or null.</param>
    /// <param name="nodeLabels">One label per node, <c>[N]</c> or <c>[N, K]</c>, or null.</param>
    /// <exception cref="ArgumentException">A shape, dtype, device or edge index does not fit; the message names it.</exception>
    public Graph(Tensor nodeFeatures, Tensor edgeIndex, Tensor? edgeFeatures = null, Tensor? labels = null, Tensor? nodeLabels = null)
        : this(nodeFeatures, edgeIndex, edgeFeatures, labels is { } l && l.dim() == 0 ? l.unsqueeze(0) : labels, nodeLabels, batch: null, graphCount: 1, check: true)
    {
    }

    Graph(Tensor nodeFeatures, Tensor edgeIndex, Tensor? edgeFeatures, Tensor? labels, Tensor? nodeLabels, Tensor? batch, int graphCount, bool check)
    {
        ArgumentNullException.ThrowIfNull(nodeFeatures);
        ArgumentNullException.ThrowIfNull(edgeIndex);
        TorchRuntime.EnsureInitialized();
        if (check)
        {
            if (nodeFeatures.dim() != 2)
                throw new ArgumentException(
                    $"Graph: node features must be [N, F], got {Shapes.Format(nodeFeatures)}" +
                    (nodeFeatures.dim() == 1 ? "; for one feature per node use x.unsqueeze(1)." : "."), nameof(nodeFeatures));
            var n = nodeFeatures.shape[0];
            GraphChecks.EdgeIndex("Graph", edgeIndex, n, nodeFeatures.device);
            var e = edgeIndex.shape[1];
            if (edgeFeatures is not null && (edgeFeatures.dim() != 2 || edgeFeatures.shape[0] != e))
                throw new ArgumentException($"Graph: edge features must be [E, D] with E = {e} (one row per edge), got {Shapes.Format(edgeFeatures)}.", nameof(edgeFeatures));
            if (labels is not null && (labels.dim() is < 1 or > 2 || labels.shape[0] != graphCount))
                throw new ArgumentException($"Graph: graph labels must be a scalar, [{graphCount}] or [{graphCount}, K], got {Shapes.Format(labels)}.", nameof(labels));
            if (nodeLabels is not null && (nodeLabels.dim() is < 1 or > 2 || nodeLabels.shape[0] != n))
                throw new ArgumentException($"Graph: node labels must be [N] or [N, K] with N = {n}, got {Shapes.Format(nodeLabels)}.", nameof(nodeLabels));
            foreach (var (t, role) in new[] { (edgeFeatures, "edge features"), (labels, "graph labels"), (nodeLabels, "node labels") })
            {
                if (t is not null && !GraphChecks.SameDevice(t.device, nodeFeatures.device))
                    throw new ArgumentException($"Graph: the {role} are on {t.device} but the node features are on {nodeFeatures.device}.");
            }
        }
        NodeFeatures = nodeFeatures;
        EdgeIndex = edgeIndex;
        EdgeFeatures = edgeFeatures;
        Labels = labels;
        NodeLabels = nodeLabels;
        Batch = batch;
        GraphCount = graphCount;
    }

    /// <summary>Node features <c>x</c>, <c>[N, F]</c>.</summary>
    public Tensor NodeFeatures { get; }

    /// <summary>Edges, <c>[2, E]</c> int64: row 0 the sources j, row 1 the targets i (messages flow j → i).</summary>
    public Tensor EdgeIndex { get; }

    /// <summary>Edge features <c>[E, D]</c>, or null.</summary>
    public Tensor? EdgeFeatures { get; }

    /// <summary>Graph labels, <c>[G]</c> or <c>[G, K]</c> (G = <see cref="GraphCount"/>), or null.</summary>
    public Tensor? Labels { get; }

    /// <summary>Node labels, <c>[N]</c> or <c>[N, K]</c>, or null.</summary>
    public Tensor? NodeLabels { get; }

    /// <summary>
    /// The graph of each node, <c>[N]</c> int64 in <c>0..G−1</c>, for a graph made by <see cref="Combine"/> (PyG's
    /// <c>batch</c>); null for a single graph (every node in graph 0).
    /// </summary>
    public Tensor? Batch { get; }

    /// <summary>How many graphs this is the disjoint union of (1 for a single graph).</summary>
    public int GraphCount { get; }

    /// <summary>N, the number of nodes.</summary>
    public long NodeCount => NodeFeatures.shape[0];

    /// <summary>E, the number of directed edges.</summary>
    public long EdgeCount => EdgeIndex.shape[1];

    /// <summary>F, the number of features per node.</summary>
    public long FeatureCount => NodeFeatures.shape[1];

    /// <summary>The device of the node features.</summary>
    public Device Device => NodeFeatures.device;

    /// <summary>
    /// A graph from node features and a list of edges (source, target).
    /// </summary>
    /// <param name="nodeFeatures">Node features, <c>[N, F]</c>.</param>
    /// <param name="edges">Directed edges (source j, target i).</param>
    /// <param name="undirected">Also add every edge reversed (each pair once per direction, as PyG stores undirected graphs).</param>
    /// <param name="edgeFeatures">Edge features <c>[E, D]</c> for the listed edges; with <paramref name="undirected"/> they are repeated for the reversed edges.</param>
    /// <param name="labels">The graph's label, or null.</param>
    public static Graph FromEdges(Tensor nodeFeatures, IEnumerable<(long Source, long Target)> edges, bool undirected = false, Tensor? edgeFeatures = null, Tensor? labels = null)
    {
        ArgumentNullException.ThrowIfNull(nodeFeatures);
        ArgumentNullException.ThrowIfNull(edges);
        TorchRuntime.EnsureInitialized();
        var list = edges.ToList();
        var sources = list.Select(e => e.Source);
        var targets = list.Select(e => e.Target);
        if (undirected)
        {
            (sources, targets) = (sources.Concat(targets), targets.Concat(sources));
            if (edgeFeatures is not null)
            {
                if (edgeFeatures.dim() != 2 || edgeFeatures.shape[0] != list.Count)
                    throw new ArgumentException($"Graph.FromEdges: edge features must be [E, D] with E = {list.Count} (one row per listed edge), got {Shapes.Format(edgeFeatures)}.", nameof(edgeFeatures));
                edgeFeatures = cat([edgeFeatures, edgeFeatures], 0);
            }
        }
        var flat = sources.Concat(targets).ToArray();
        var edgeIndex = tensor(flat, [2, flat.Length / 2], dtype: int64, device: nodeFeatures.device);
        return new Graph(nodeFeatures, edgeIndex, edgeFeatures, labels);
    }

    /// <summary>
    /// The disjoint union of <paramref name="graphs"/> as one graph (PyG's <c>Batch.from_data_list</c>): node
    /// features, edges (shifted by each graph's node offset), edge features and labels concatenated in order, and a
    /// <see cref="Batch"/> vector naming each node's graph. Graphs that are themselves combinations keep their parts
    /// apart. The inputs are not changed or taken over.
    /// </summary>
    /// <exception cref="ArgumentException">No graphs, or graphs that differ in feature width, device, or in which optional parts they have.</exception>
    public static Graph Combine(IReadOnlyList<Graph> graphs)
    {
        ArgumentNullException.ThrowIfNull(graphs);
        if (graphs.Count == 0)
            throw new ArgumentException("Graph.Combine needs at least one graph.", nameof(graphs));
        var first = graphs[0];
        for (var g = 1; g < graphs.Count; g++)
        {
            var other = graphs[g];
            if (other.FeatureCount != first.FeatureCount || other.NodeFeatures.dtype != first.NodeFeatures.dtype)
                throw new ArgumentException($"Graph.Combine: graph {g} has {other.FeatureCount} {other.NodeFeatures.dtype} features per node, graph 0 has {first.FeatureCount} {first.NodeFeatures.dtype}.", nameof(graphs));
            if (!GraphChecks.SameDevice(other.Device, first.Device))
                throw new ArgumentException($"Graph.Combine: graph {g} is on {other.Device}, graph 0 on {first.Device}.", nameof(graphs));
            foreach (var (a, b, role) in new[] { (first.EdgeFeatures, other.EdgeFeatures, "edge features"), (first.Labels, other.Labels, "graph labels"), (first.NodeLabels, other.NodeLabels, "node labels") })
            {
                if ((a is null) != (b is null))
                    throw new ArgumentException($"Graph.Combine: graph {g} {(b is null ? "has no" : "has")} {role}, graph 0 {(a is null ? "has none" : "has them")}; all graphs must agree.", nameof(graphs));
            }
        }
        using var scope = NewDisposeScope();
        var device = first.Device;
        var edgeParts = new List<Tensor>(graphs.Count);
        var batchParts = new List<Tensor>(graphs.Count);
        long nodeOffset = 0;
        var graphOffset = 0;
        foreach (var graph in graphs)
        {
            edgeParts.Add(graph.EdgeIndex + nodeOffset);
            batchParts.Add(graph.Batch is { } b ? b + graphOffset : full(graph.NodeCount, (long)graphOffset, dtype: int64, device: device));
            nodeOffset += graph.NodeCount;
            graphOffset += graph.GraphCount;
        }
        static Tensor? Cat(IEnumerable<Tensor?> parts) => parts.First() is null ? null : cat(parts.Select(p => p!).ToList(), 0);
        var combined = new Graph(
            cat(graphs.Select(g => g.NodeFeatures).ToList(), 0), cat(edgeParts, 1), Cat(graphs.Select(g => g.EdgeFeatures)),
            Cat(graphs.Select(g => g.Labels)), Cat(graphs.Select(g => g.NodeLabels)), cat(batchParts, 0), graphOffset, check: false);
        return combined.MoveToOuterScope();
    }

    /// <summary>
    /// A combination of graphs from tensors already laid out as <see cref="Combine"/> lays them out (used by
    /// <see cref="GraphDataset"/>); the caller guarantees the layout.
    /// </summary>
    internal static Graph Combined(Tensor nodeFeatures, Tensor edgeIndex, Tensor? edgeFeatures, Tensor? labels, Tensor? nodeLabels, Tensor batch, int graphCount) =>
        new(nodeFeatures, edgeIndex, edgeFeatures, labels, nodeLabels, batch, graphCount, check: false);

    /// <summary>This graph with its nodes renumbered: new node k is old node <paramref name="order"/>[k] (features, labels and edges follow).</summary>
    /// <exception cref="ArgumentException"><paramref name="order"/> is not a permutation of <c>0..N−1</c>.</exception>
    public Graph PermuteNodes(IReadOnlyList<long> order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var n = NodeCount;
        if (order.Count != n || order.Distinct().Count() != n || order.Any(o => o < 0 || o >= n))
            throw new ArgumentException($"Graph.PermuteNodes: the order must be a permutation of 0..{n - 1} ({n} distinct values), got {order.Count} values.", nameof(order));
        var inverse = new long[n];
        for (var k = 0; k < n; k++)
            inverse[order[k]] = k;
        using var scope = NewDisposeScope();
        var forward = tensor(order.ToArray(), dtype: int64, device: Device);
        var newIndex = tensor(inverse, dtype: int64, device: Device);
        var permuted = new Graph(
            NodeFeatures.index_select(0, forward), newIndex.index_select(0, EdgeIndex.flatten()).view(2, -1), EdgeFeatures?.clone(),
            Labels?.clone(), NodeLabels?.index_select(0, forward), Batch?.index_select(0, forward), GraphCount, check: false);
        return permuted.MoveToOuterScope();
    }

    /// <summary>This graph (edges, labels, batch vector) with other node features <c>[N, F']</c>, which it takes over.</summary>
    public Graph WithNodeFeatures(Tensor nodeFeatures)
    {
        ArgumentNullException.ThrowIfNull(nodeFeatures);
        if (nodeFeatures.dim() != 2 || nodeFeatures.shape[0] != NodeCount)
            throw new ArgumentException($"Graph.WithNodeFeatures: expected [{NodeCount}, F], got {Shapes.Format(nodeFeatures)}.", nameof(nodeFeatures));
        return new Graph(nodeFeatures, EdgeIndex.alias(), EdgeFeatures?.alias(), Labels?.alias(), NodeLabels?.alias(), Batch?.alias(), GraphCount, check: false);
    }

    /// <summary>A copy on <paramref name="device"/>.</summary>
    public Graph To(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new Graph(NodeFeatures.to(device), EdgeIndex.to(device), EdgeFeatures?.to(device), Labels?.to(device), NodeLabels?.to(device), Batch?.to(device), GraphCount, check: false);
    }

    /// <summary>The edges as (source, target) pairs, in order (read to the CPU).</summary>
    public IReadOnlyList<(long Source, long Target)> EdgeList()
    {
        using var cpu = EdgeIndex.cpu();
        var values = cpu.data<long>().ToArray();
        var e = values.Length / 2;
        return Enumerable.Range(0, e).Select(k => (values[k], values[e + k])).ToList();
    }

    /// <summary>Whether every edge j → i has its reverse i → j (an undirected graph as PyG stores one).</summary>
    public bool IsUndirected()
    {
        var edges = EdgeList();
        var set = edges.ToHashSet();
        return edges.All(e => set.Contains((e.Target, e.Source)));
    }

    /// <summary>PyG's summary, e.g. <c>Graph(x=[24, 5], edge_index=[2, 50], edge_attr=[50, 3])</c>.</summary>
    public override string ToString()
    {
        var text = new StringBuilder($"Graph(x={Shapes.Format(NodeFeatures)}, edge_index={Shapes.Format(EdgeIndex)}");
        if (EdgeFeatures is not null)
            text.Append($", edge_attr={Shapes.Format(EdgeFeatures)}");
        if (Labels is not null)
            text.Append($", y={Shapes.Format(Labels)}");
        if (NodeLabels is not null)
            text.Append($", node_y={Shapes.Format(NodeLabels)}");
        if (Batch is not null)
            text.Append($", batch={Shapes.Format(Batch)}, graphs={GraphCount}");
        return text.Append(')').ToString();
    }

    /// <summary>Moves every tensor of this graph to the dispose scope outside the current one.</summary>
    Graph MoveToOuterScope()
    {
        foreach (var t in Tensors())
            t.MoveToOuterDisposeScope();
        return this;
    }

    IEnumerable<Tensor> Tensors()
    {
        yield return NodeFeatures;
        yield return EdgeIndex;
        foreach (var t in new[] { EdgeFeatures, Labels, NodeLabels, Batch })
        {
            if (t is not null)
                yield return t;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in Tensors())
            t.Dispose();
    }
}
