using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// Operations on an <c>edge_index</c> <c>[2, E]</c> (int64, sources in row 0, targets in row 1), with PyTorch
/// Geometric's semantics: self-loops removed, added, or added only where missing, degrees, the complete graph.
/// </summary>
public static class Edges
{
    /// <summary>The edges that are not self-loops (PyG's <c>remove_self_loops</c>), in order.</summary>
    public static Tensor RemoveSelfLoops(Tensor edgeIndex)
    {
        CheckShape("Edges.RemoveSelfLoops", edgeIndex);
        using var scope = NewDisposeScope();
        var keep = edgeIndex[0].ne(edgeIndex[1]);
        return edgeIndex.index_select(1, keep.nonzero().flatten()).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Every edge, then one self-loop per node (PyG's <c>add_self_loops</c>; existing self-loops stay, so
    /// <see cref="RemoveSelfLoops"/> first gives exactly one loop per node, as GAT does).
    /// </summary>
    public static Tensor AddSelfLoops(Tensor edgeIndex, long nodeCount)
    {
        GraphChecks.EdgeIndex("Edges.AddSelfLoops", edgeIndex, nodeCount, edgeIndex.device);
        using var scope = NewDisposeScope();
        var loop = arange(nodeCount, dtype: int64, device: edgeIndex.device);
        return cat([edgeIndex, stack([loop, loop])], 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A self-loop for every node that has none, with weight <paramref name="fill"/>; existing loops keep their
    /// weights (PyG's <c>add_remaining_self_loops</c>, as GCN normalises).
    /// </summary>
    /// <param name="edgeIndex">The edges.</param>
    /// <param name="weights">Edge weights <c>[E]</c>, or null for all ones.</param>
    /// <param name="nodeCount">N.</param>
    /// <param name="fill">The weight of the added loops.</param>
    /// <returns>The edges followed by the new loops, and their weights.</returns>
    public static (Tensor EdgeIndex, Tensor Weights) AddRemainingSelfLoops(Tensor edgeIndex, Tensor? weights, long nodeCount, double fill = 1.0)
    {
        GraphChecks.EdgeIndex("Edges.AddRemainingSelfLoops", edgeIndex, nodeCount, edgeIndex.device);
        GraphChecks.EdgeWeight("Edges.AddRemainingSelfLoops", weights, edgeIndex);
        return AddRemainingSelfLoopsUnchecked(edgeIndex, weights, nodeCount, fill, ScalarType.Float32);
    }

    internal static (Tensor EdgeIndex, Tensor Weights) AddRemainingSelfLoopsUnchecked(Tensor edgeIndex, Tensor? weights, long nodeCount, double fill, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var device = edgeIndex.device;
        var w = weights ?? ones(edgeIndex.shape[1], dtype: dtype, device: device);
        var isLoop = edgeIndex[0].eq(edgeIndex[1]);
        var loopNodes = edgeIndex[1].masked_select(isLoop);
        var loopCounts = Scatter.SumUnchecked(ones(loopNodes.shape[0], dtype: int64, device: device), loopNodes, nodeCount);
        var missing = loopCounts.eq(0).nonzero().flatten();
        var all = cat([edgeIndex, stack([missing, missing])], 1);
        var allWeights = cat([w, full(missing.shape[0], fill, dtype: w.dtype, device: device)], 0);
        return (all.MoveToOuterDisposeScope(), allWeights.MoveToOuterDisposeScope());
    }

    /// <summary>The in-degree of every node (edges arriving at it, i.e. its count in row 1), <c>[N]</c>, optionally weighted.</summary>
    public static Tensor InDegree(Tensor edgeIndex, long nodeCount, Tensor? weights = null, ScalarType dtype = ScalarType.Float32)
    {
        GraphChecks.EdgeIndex("Edges.InDegree", edgeIndex, nodeCount, edgeIndex.device);
        GraphChecks.EdgeWeight("Edges.InDegree", weights, edgeIndex);
        using var scope = NewDisposeScope();
        var w = weights ?? ones(edgeIndex.shape[1], dtype: dtype, device: edgeIndex.device);
        return Scatter.SumUnchecked(w, edgeIndex[1], nodeCount).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The complete directed graph on <paramref name="nodeCount"/> nodes: every ordered pair (j, i), with or without
    /// the self-loops (j, j). Edges are grouped by target: i = 0's incoming edges first, sources in order.
    /// </summary>
    public static Tensor Complete(long nodeCount, bool selfLoops = true, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodeCount);
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var nodes = arange(nodeCount, dtype: int64, device: device);
        var targets = nodes.repeat_interleave(nodeCount);
        var sources = nodes.repeat(nodeCount);
        var edges = stack([sources, targets]);
        if (!selfLoops)
            edges = edges.index_select(1, sources.ne(targets).nonzero().flatten());
        return edges.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The edges where <paramref name="mask"/> <c>[N, N]</c> (indexed [target, source], as an attention mask is
    /// [query, key]) is true: masking attention is removing edges. Grouped by target, sources in order.
    /// </summary>
    public static Tensor FromMask(Tensor mask)
    {
        ArgumentNullException.ThrowIfNull(mask);
        TorchRuntime.EnsureInitialized();
        if (mask.dim() != 2 || mask.shape[0] != mask.shape[1] || mask.dtype != ScalarType.Bool)
            throw new ArgumentException($"Edges.FromMask expects a square boolean mask [N, N], got {mask.dtype} {Shapes.Format(mask)}.", nameof(mask));
        using var scope = NewDisposeScope();
        var pairs = mask.nonzero(); // [E, 2]: (target, source), row-major: grouped by target
        return stack([pairs[.., 1], pairs[.., 0]]).MoveToOuterDisposeScope();
    }

    static void CheckShape(string who, Tensor edgeIndex)
    {
        ArgumentNullException.ThrowIfNull(edgeIndex);
        TorchRuntime.EnsureInitialized();
        if (edgeIndex.dtype != ScalarType.Int64 || edgeIndex.dim() != 2 || edgeIndex.shape[0] != 2)
            throw new ArgumentException($"{who}: edge_index must be int64 [2, E], got {edgeIndex.dtype} {Shapes.Format(edgeIndex)}.", nameof(edgeIndex));
    }
}
