using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// A set of graphs held as one concatenation (node features, edges in each graph's own numbering, edge
/// features, labels) plus each graph's node and edge offsets, so that a batch of graphs is a few
/// <c>index_select</c>s and an offset addition (<c>Collate</c>), not a loop over
/// graph objects: the batching idea of <see cref="InMemoryDataset"/>, for graphs. For training, <see cref="AsIndexDataset"/>
/// turns it into an <see cref="InMemoryDataset"/> of graph indices and labels, which the
/// <see cref="Training.Trainer"/> shuffles, splits (<see cref="DatasetSplits"/>) and batches as any other; a
/// <see cref="GraphClassificationStep"/> turns each batch of indices into one combined graph.
/// The data set owns its tensors (they survive the dispose scope it was made in) until disposed.
/// </summary>
/// <example><code>
/// using var graphs = new GraphDataset(list, "cycles vs paths", ["cycle", "path"]);
/// using var all = graphs.AsIndexDataset();
/// var (train, test) = DatasetSplits.TrainTest(all, 0.2, seed: 1);
/// var model = new GraphClassifier(new GraphClassifierOptions { InFeatures = graphs.FeatureCount, Classes = 2 });
/// var trainer = new Trainer(new GraphClassificationStep(model, graphs, (o, y) =&gt; nn.functional.cross_entropy(o, y)),
///     Optim.Adam(0.01), new TrainerOptions { Epochs = 50, BatchSize = 32, Metrics = [() =&gt; new Accuracy()] });
/// trainer.Fit(train, test);
/// </code></example>
public sealed class GraphDataset : IDisposable
{
    readonly long[] _nodeOffsets, _edgeOffsets;   // G + 1 each: graph g's nodes are _nodeOffsets[g] .. _nodeOffsets[g + 1] − 1
    readonly Tensor _x, _edges;                    // [ΣN, F] and [2, ΣE] (each graph's edges numbered within the graph)
    readonly Tensor? _edgeFeatures, _labels, _nodeLabels;
    (Device Device, Tensor X, Tensor Edges, Tensor? EdgeFeatures, Tensor? Labels, Tensor? NodeLabels)? _copy;

    /// <summary>A data set of <paramref name="graphs"/> (copied; the caller keeps and disposes its graphs).</summary>
    /// <param name="graphs">Single graphs (not combinations) with the same node feature width and dtype and the same optional parts.</param>
    /// <param name="name">A name for messages.</param>
    /// <param name="classNames">Class names when the graph labels are class indices.</param>
    /// <exception cref="ArgumentException">No graphs, a combined graph, or graphs that do not agree.</exception>
    public GraphDataset(IEnumerable<Graph> graphs, string name = "graphs", IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(graphs);
        TorchRuntime.EnsureInitialized();
        var list = graphs.ToList();
        if (list.Count == 0)
            throw new ArgumentException($"{name}: a graph data set needs at least one graph.", nameof(graphs));
        var combined = list.FindIndex(g => g.GraphCount != 1 || g.Batch is not null);
        if (combined >= 0)
            throw new ArgumentException($"{name}: graph {combined} is a combination of {list[combined].GraphCount} graphs; add the single graphs.", nameof(graphs));
        Name = name;
        ClassNames = classNames;
        _nodeOffsets = new long[list.Count + 1];
        _edgeOffsets = new long[list.Count + 1];
        for (var g = 0; g < list.Count; g++)
        {
            _nodeOffsets[g + 1] = _nodeOffsets[g] + list[g].NodeCount;
            _edgeOffsets[g + 1] = _edgeOffsets[g] + list[g].EdgeCount;
        }
        // Graph.Combine checks that the graphs agree; its edges are shifted, which is undone here per graph.
        using var scope = NewDisposeScope();
        using var all = Graph.Combine(list);
        _x = all.NodeFeatures.clone().DetachFromDisposeScope();
        _edges = cat(list.Select(g => g.EdgeIndex).ToList(), 1).DetachFromDisposeScope();
        _edgeFeatures = all.EdgeFeatures?.clone().DetachFromDisposeScope();
        _labels = all.Labels?.clone().DetachFromDisposeScope();
        _nodeLabels = all.NodeLabels?.clone().DetachFromDisposeScope();
    }

    GraphDataset(GraphDataset source, long[] indices, string name)
    {
        Name = name;
        ClassNames = source.ClassNames;
        _nodeOffsets = new long[indices.Length + 1];
        _edgeOffsets = new long[indices.Length + 1];
        for (var k = 0; k < indices.Length; k++)
        {
            var g = indices[k];
            _nodeOffsets[k + 1] = _nodeOffsets[k] + source._nodeOffsets[g + 1] - source._nodeOffsets[g];
            _edgeOffsets[k + 1] = _edgeOffsets[k] + source._edgeOffsets[g + 1] - source._edgeOffsets[g];
        }
        using var scope = NewDisposeScope();
        var (nodes, edges, _, _) = source.Gather(indices);
        var device = source._x.device;
        using var nodeIndex = tensor(nodes, dtype: int64, device: device);
        using var edgeIndex = tensor(edges, dtype: int64, device: device);
        using var graphIndex = tensor(indices, dtype: int64, device: device);
        _x = source._x.index_select(0, nodeIndex).DetachFromDisposeScope();
        _edges = source._edges.index_select(1, edgeIndex).DetachFromDisposeScope();
        _edgeFeatures = source._edgeFeatures?.index_select(0, edgeIndex).DetachFromDisposeScope();
        _labels = source._labels?.index_select(0, graphIndex).DetachFromDisposeScope();
        _nodeLabels = source._nodeLabels?.index_select(0, nodeIndex).DetachFromDisposeScope();
    }

    /// <summary>The name used in messages.</summary>
    public string Name { get; }

    /// <summary>Class names (index = class), when the graph labels are classes.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>G, the number of graphs.</summary>
    public int Count => _nodeOffsets.Length - 1;

    /// <summary>F, the node features per node.</summary>
    public int FeatureCount => checked((int)_x.shape[1]);

    /// <summary>The total number of nodes over all graphs.</summary>
    public long TotalNodes => _nodeOffsets[^1];

    /// <summary>The total number of directed edges over all graphs.</summary>
    public long TotalEdges => _edgeOffsets[^1];

    /// <summary>The number of nodes of graph <paramref name="index"/>.</summary>
    public long NodeCountOf(int index) => _nodeOffsets[CheckIndex(index) + 1] - _nodeOffsets[index];

    /// <summary>The graph labels, <c>[G]</c> or <c>[G, K]</c>.</summary>
    /// <exception cref="InvalidOperationException">The graphs have no labels.</exception>
    public Tensor Labels => _labels ?? throw new InvalidOperationException($"{Name}: the graphs have no graph labels.");

    /// <summary>The graph labels as class indices on the CPU.</summary>
    public long[] ClassLabels()
    {
        var labels = Labels;
        if (labels.dim() != 1 || !TensorChecks.IsInteger(labels.dtype))
            throw new InvalidOperationException($"{Name}: graph labels {Shapes.Format(labels)} of {labels.dtype} are not class indices.");
        using var cpu = labels.to(int64).cpu();
        return cpu.data<long>().ToArray();
    }

    /// <summary>Graph <paramref name="index"/> on its own (new tensors, in the caller's dispose scope).</summary>
    public Graph this[int index]
    {
        get
        {
            CheckIndex(index);
            using var scope = NewDisposeScope();
            var (nodeStart, nodeCount) = (_nodeOffsets[index], _nodeOffsets[index + 1] - _nodeOffsets[index]);
            var (edgeStart, edgeCount) = (_edgeOffsets[index], _edgeOffsets[index + 1] - _edgeOffsets[index]);
            var graph = new Graph(
                _x.narrow(0, nodeStart, nodeCount).clone(), _edges.narrow(1, edgeStart, edgeCount).clone(), _edgeFeatures?.narrow(0, edgeStart, edgeCount).clone(),
                _labels?.narrow(0, index, 1).clone(), _nodeLabels?.narrow(0, nodeStart, nodeCount).clone());
            foreach (var t in new[] { graph.NodeFeatures, graph.EdgeIndex, graph.EdgeFeatures, graph.Labels, graph.NodeLabels })
                t?.MoveToOuterDisposeScope();
            return graph;
        }
    }

    /// <summary>
    /// The graphs at <paramref name="indices"/> combined into one disjoint graph with a batch vector (as
    /// <see cref="Graph.Combine"/> would make it), on <paramref name="device"/> (default: the data set's). The data
    /// set is copied to another device once and gathered there. The result is in the caller's dispose scope.
    /// </summary>
    public Graph Collate(IReadOnlyList<long> indices, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var array = indices.ToArray();
        foreach (var g in array)
        {
            if (g < 0 || g >= Count)
                throw new ArgumentOutOfRangeException(nameof(indices), g, $"{Name}: graph index {g} is outside 0..{Count - 1}.");
        }
        var (nodes, edges, shifts, batch) = Gather(array);
        var source = OnDevice(device ?? _x.device);
        var on = source.X.device;
        using var scope = NewDisposeScope();
        var nodeIndex = tensor(nodes, dtype: int64, device: on);
        var edgeIndex = tensor(edges, dtype: int64, device: on);
        var graph = Graph.Combined(
            source.X.index_select(0, nodeIndex),
            source.Edges.index_select(1, edgeIndex) + tensor(shifts, dtype: int64, device: on),
            source.EdgeFeatures?.index_select(0, edgeIndex),
            source.Labels?.index_select(0, tensor(array, dtype: int64, device: on)),
            source.NodeLabels?.index_select(0, nodeIndex),
            tensor(batch, dtype: int64, device: on),
            array.Length);
        foreach (var t in new[] { graph.NodeFeatures, graph.EdgeIndex, graph.EdgeFeatures, graph.Labels, graph.NodeLabels, graph.Batch })
            t?.MoveToOuterDisposeScope();
        return graph;
    }

    /// <summary>The graphs named by a batch of <see cref="AsIndexDataset"/> (its inputs are graph indices), combined.</summary>
    public Graph Collate(Batch batch, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var indices = batch.Inputs;
        if (indices.dim() != 1 || !TensorChecks.IsInteger(indices.dtype))
            throw new ArgumentException($"{Name}: a batch of graph indices must have integer inputs [B], got {indices.dtype} {Shapes.Format(indices)}; batch GraphDataset.AsIndexDataset().", nameof(batch));
        using var cpu = indices.to(int64).cpu();
        return Collate(cpu.data<long>().ToArray(), device ?? indices.device);
    }

    /// <summary>
    /// The data set as an <see cref="InMemoryDataset"/> whose inputs are the graph indices <c>[G]</c> (int64) and
    /// whose targets are the graph labels: what the trainer, <see cref="DatasetSplits"/> and batching work with.
    /// </summary>
    public InMemoryDataset AsIndexDataset()
    {
        using var scope = NewDisposeScope();
        return new InMemoryDataset(arange(Count, dtype: int64, device: _x.device), Labels.clone(), Name, ClassNames);
    }

    /// <summary>
    /// Combined graphs of <paramref name="batchSize"/> graphs, one epoch per enumeration (shuffled per
    /// <paramref name="options"/>, as <see cref="InMemoryDataset.Batches"/>). Each graph is owned by the enumeration
    /// and disposed when the next one is made.
    /// </summary>
    public IEnumerable<Graph> Batches(int batchSize, BatchOptions? options = null)
    {
        options ??= new BatchOptions();
        if (options.Transform is not null)
            throw new ArgumentException($"{Name}: graph batches take no tensor transform; transform the node features instead.", nameof(options));
        return Enumerate(batchSize, options);
    }

    IEnumerable<Graph> Enumerate(int batchSize, BatchOptions options)
    {
        using var indices = new InMemoryDataset(arange(Count, dtype: int64), arange(Count, dtype: int64), Name);
        using var loader = indices.Batches(batchSize, options with { Device = null });
        Graph? current = null;
        try
        {
            foreach (var batch in loader)
            {
                current?.Dispose();
                current = Collate(batch, options.Device ?? _x.device);
                yield return current;
            }
        }
        finally
        {
            current?.Dispose();
        }
    }

    /// <summary>The graphs at <paramref name="indices"/> as a new data set.</summary>
    public GraphDataset Subset(IReadOnlyList<long> indices, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var array = indices.ToArray();
        if (array.Length == 0)
            throw new ArgumentException($"{Name}: a subset needs at least one graph.", nameof(indices));
        foreach (var g in array)
        {
            if (g < 0 || g >= Count)
                throw new ArgumentOutOfRangeException(nameof(indices), g, $"{Name}: graph index {g} is outside 0..{Count - 1}.");
        }
        return new GraphDataset(this, array, name ?? Name);
    }

    /// <summary>
    /// A model's outputs for every graph, in order, batch by batch in eval mode under <c>no_grad</c>, on the CPU
    /// (e.g. logits <c>[G, C]</c>).
    /// </summary>
    public Tensor Predict(nn.Module<Graph, Tensor> model, int batchSize = 256)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var device = model.parameters().FirstOrDefault()?.device ?? _x.device;
        model.eval();
        var outputs = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            for (var start = 0; start < Count; start += batchSize)
            {
                // One scope per batch, so no batch's activations outlive it.
                using var scope = NewDisposeScope();
                var indices = Enumerable.Range(start, Math.Min(batchSize, Count - start)).Select(i => (long)i).ToList();
                using var graph = Collate(indices, device);
                outputs.Add(model.call(graph).cpu().DetachFromDisposeScope());
            }
            return cat(outputs, 0);
        }
        finally
        {
            outputs.ForEach(o => o.Dispose());
        }
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {Count} graphs, {TotalNodes} nodes, {TotalEdges} edges, x {Shapes.Format(_x)} {_x.dtype}" +
        (_labels is null ? "" : $", labels {Shapes.Format(_labels)} {_labels.dtype}");

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in new[] { _x, _edges, _edgeFeatures, _labels, _nodeLabels })
            t?.Dispose();
        DisposeCopy();
    }

    int CheckIndex(int index) =>
        index >= 0 && index < Count ? index : throw new ArgumentOutOfRangeException(nameof(index), index, $"{Name}: graph index {index} is outside 0..{Count - 1}.");

    /// <summary>Node rows, edge columns, per-edge offsets and per-node graph numbers of a batch, in .NET arrays.</summary>
    (long[] Nodes, long[] Edges, long[] Shifts, long[] Batch) Gather(long[] indices)
    {
        long nodeTotal = 0, edgeTotal = 0;
        foreach (var g in indices)
        {
            nodeTotal += _nodeOffsets[g + 1] - _nodeOffsets[g];
            edgeTotal += _edgeOffsets[g + 1] - _edgeOffsets[g];
        }
        var nodes = new long[nodeTotal];
        var batch = new long[nodeTotal];
        var edges = new long[edgeTotal];
        var shifts = new long[edgeTotal];
        long n = 0, e = 0;
        for (var k = 0; k < indices.Length; k++)
        {
            var g = indices[k];
            var offset = n;
            for (var node = _nodeOffsets[g]; node < _nodeOffsets[g + 1]; node++, n++)
                (nodes[n], batch[n]) = (node, k);
            for (var edge = _edgeOffsets[g]; edge < _edgeOffsets[g + 1]; edge++, e++)
                (edges[e], shifts[e]) = (edge, offset);
        }
        return (nodes, edges, shifts, batch);
    }

    (Tensor X, Tensor Edges, Tensor? EdgeFeatures, Tensor? Labels, Tensor? NodeLabels) OnDevice(Device device)
    {
        if (GraphChecks.SameDevice(device, _x.device))
            return (_x, _edges, _edgeFeatures, _labels, _nodeLabels);
        if (_copy is { } copy && GraphChecks.SameDevice(copy.Device, device))
            return (copy.X, copy.Edges, copy.EdgeFeatures, copy.Labels, copy.NodeLabels);
        DisposeCopy();
        _copy = (device, _x.to(device).DetachFromDisposeScope(), _edges.to(device).DetachFromDisposeScope(), _edgeFeatures?.to(device).DetachFromDisposeScope(),
            _labels?.to(device).DetachFromDisposeScope(), _nodeLabels?.to(device).DetachFromDisposeScope());
        return OnDevice(device);
    }

    void DisposeCopy()
    {
        if (_copy is not { } copy)
            return;
        foreach (var t in new[] { copy.X, copy.Edges, copy.EdgeFeatures, copy.Labels, copy.NodeLabels })
            t?.Dispose();
        _copy = null;
    }
}
