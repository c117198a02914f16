using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>How messages arriving at a node are combined.</summary>
public enum Aggregation
{
    /// <summary>The sum (GIN, GCN with its normalised weights, GAT with attention weights): injective on multisets.</summary>
    Sum,

    /// <summary>The mean (GraphSAGE): the distribution of the messages, not how many there are. 0 for a node without messages.</summary>
    Mean,

    /// <summary>The element-wise maximum (EdgeConv): the set of messages. 0 for a node without messages, as PyG fills it.</summary>
    Max,
}

/// <summary>
/// Reductions of rows that share an index: row <c>k</c> of <c>src</c> <c>[E, ...]</c> goes to slot <c>index[k]</c>
/// of a result <c>[size, ...]</c>. This is message passing's aggregation step (and pooling's, with the batch vector
/// as the index), done with <c>index_add</c> (sums, means) and sorting (maxima): no dense adjacency matrix. Slots that
/// receive nothing are 0, as in PyTorch Geometric. All of it is differentiable.
/// </summary>
public static class Scatter
{
    /// <summary>Σ of the rows sent to each slot.</summary>
    public static Tensor Sum(Tensor src, Tensor index, long size)
    {
        Check("Scatter.Sum", src, index, size);
        return SumUnchecked(src, index, size);
    }

    /// <summary>The mean of the rows sent to each slot (0 where none arrive).</summary>
    public static Tensor Mean(Tensor src, Tensor index, long size)
    {
        Check("Scatter.Mean", src, index, size);
        return MeanUnchecked(src, index, size);
    }

    /// <summary>The element-wise maximum of the rows sent to each slot (0 where none arrive).</summary>
    public static Tensor Max(Tensor src, Tensor index, long size)
    {
        Check("Scatter.Max", src, index, size);
        return MaxUnchecked(src, index, size);
    }

    /// <summary>The reduction named by <paramref name="aggregation"/>.</summary>
    public static Tensor Reduce(Tensor src, Tensor index, long size, Aggregation aggregation)
    {
        Check($"Scatter.Reduce ({aggregation})", src, index, size);
        return ReduceUnchecked(src, index, size, aggregation);
    }

    /// <summary>
    /// A softmax over the rows that share an index, column by column: <c>out[k] = exp(src[k]) / Σ_{index[m] = index[k]} exp(src[m])</c>
    /// (PyG's <c>softmax(src, index)</c>; GAT's attention over each node's incoming edges). Each group's maximum
    /// is subtracted first for stability.
    /// </summary>
    /// <param name="src">Scores, <c>[E]</c> or <c>[E, H]</c> (H heads).</param>
    /// <param name="index">The group of each row, <c>[E]</c> int64 in <c>0..size−1</c> (the target node of each edge).</param>
    /// <param name="size">The number of groups (nodes).</param>
    public static Tensor Softmax(Tensor src, Tensor index, long size)
    {
        Check("Scatter.Softmax", src, index, size);
        if (!src.is_floating_point())
            throw new ArgumentException($"Scatter.Softmax needs floating-point scores, got {src.dtype}.", nameof(src));
        return SoftmaxUnchecked(src, index, size);
    }

    internal static Tensor ReduceUnchecked(Tensor src, Tensor index, long size, Aggregation aggregation) => aggregation switch
    {
        Aggregation.Sum => SumUnchecked(src, index, size),
        Aggregation.Mean => MeanUnchecked(src, index, size),
        Aggregation.Max => MaxUnchecked(src, index, size),
        _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown aggregation."),
    };

    internal static Tensor SumUnchecked(Tensor src, Tensor index, long size)
    {
        using var empty = zeros(ResultShape(src, size), dtype: src.dtype, device: src.device);
        return empty.index_add(0, index, src, 1);
    }

    internal static Tensor MeanUnchecked(Tensor src, Tensor index, long size)
    {
        using var scope = NewDisposeScope();
        var sum = SumUnchecked(src, index, size);
        var counts = zeros(size, dtype: src.dtype, device: src.device).index_add_(0, index, ones(index.shape[0], dtype: src.dtype, device: src.device), 1);
        var shape = new long[src.dim()];
        Array.Fill(shape, 1L);
        shape[0] = size;
        return sum.div(counts.clamp_min(1).view(shape)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The maximum per slot without <c>scatter_reduce</c> (which TorchSharp 0.107 does not expose): each column is
    /// sorted by value, then stably by slot, so every slot's rows are contiguous and ascending and its maximum is the
    /// last of them. The result is a <c>gather</c> from <paramref name="src"/>, so the gradient reaches the maximal
    /// row (the last of equal ones), as <c>torch_scatter</c>'s max passes it. Cost: two sorts of <c>[E, F]</c>.
    /// </summary>
    internal static Tensor MaxUnchecked(Tensor src, Tensor index, long size)
    {
        var e = src.shape[0];
        if (e == 0)
            return zeros(ResultShape(src, size), dtype: src.dtype, device: src.device);
        using var scope = NewDisposeScope();
        var flat = src.reshape(e, -1);                                          // [E, F]
        var columns = flat.shape[1];
        var (_, byValue) = flat.detach().sort(dim: 0, stable: true);            // per column: rows by ascending value
        var slots = index.unsqueeze(1).expand(e, columns).gather(0, byValue);
        var (_, bySlot) = slots.sort(dim: 0, stable: true);                     // then grouped by slot, order kept
        var order = byValue.gather(0, bySlot);                                  // [E, F]: source rows, grouped, ascending
        var counts = SumUnchecked(ones(e, dtype: int64, device: src.device), index, size);
        var last = (counts.cumsum(0) - 1).clamp_min(0);                         // each slot's last (largest) position
        var rows = order.index_select(0, last);                                 // [size, F]: the maximal source row
        var maximum = flat.gather(0, rows).masked_fill(counts.eq(0).unsqueeze(1), 0);
        return maximum.reshape(ResultShape(src, size)).MoveToOuterDisposeScope();
    }

    internal static Tensor SoftmaxUnchecked(Tensor src, Tensor index, long size)
    {
        using var scope = NewDisposeScope();
        Tensor groupMax;
        using (no_grad())
            groupMax = MaxUnchecked(src.detach(), index, size).index_select(0, index);
        var exp = (src - groupMax).exp();
        var total = SumUnchecked(exp, index, size).index_select(0, index);
        return exp.div(total + 1e-16).MoveToOuterDisposeScope();
    }

    static long[] ResultShape(Tensor src, long size)
    {
        var shape = src.shape.ToArray();
        shape[0] = size;
        return shape;
    }

    static void Check(string who, Tensor src, Tensor index, long size)
    {
        ArgumentNullException.ThrowIfNull(src);
        ArgumentNullException.ThrowIfNull(index);
        TorchRuntime.EnsureInitialized();
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (src.dim() < 1)
            throw new ArgumentException($"{who}: src must have a first (row) dimension, got a scalar.", nameof(src));
        if (index.dtype != ScalarType.Int64 || index.dim() != 1 || index.shape[0] != src.shape[0])
            throw new ArgumentException($"{who}: index must be int64 [{src.shape[0]}] (one slot per row of src {Shapes.Format(src)}), got {index.dtype} {Shapes.Format(index)}.", nameof(index));
        if (!GraphChecks.SameDevice(index.device, src.device))
            throw new ArgumentException($"{who}: index is on {index.device} but src is on {src.device}.", nameof(index));
        GraphChecks.IndexRange(who, "index", index, size, "slots");
    }
}
