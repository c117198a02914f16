using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>How a graph's node features become one vector per graph.</summary>
public enum GraphPooling
{
    /// <summary>The sum over the graph's nodes (PyG's <c>global_add_pool</c>): keeps the graph's size.</summary>
    Sum,

    /// <summary>The mean over the graph's nodes (<c>global_mean_pool</c>).</summary>
    Mean,

    /// <summary>The element-wise maximum over the graph's nodes (<c>global_max_pool</c>).</summary>
    Max,
}

/// <summary>
/// Read-outs: node features <c>[N, F]</c> to one row per graph <c>[G, F]</c>, grouped by the batch vector of a
/// combined graph (PyG's <c>global_add_pool</c>, <c>global_mean_pool</c>, <c>global_max_pool</c>). A graph without
/// nodes pools to 0.
/// </summary>
public static class GlobalPool
{
    /// <summary>The sum of each graph's node features.</summary>
    /// <param name="x">Node features, <c>[N, F]</c>.</param>
    /// <param name="batch">The graph of each node, <c>[N]</c> int64 in <c>0..graphCount−1</c>; null: all nodes form one graph.</param>
    /// <param name="graphCount">G, the number of graphs (rows of the result).</param>
    public static Tensor Sum(Tensor x, Tensor? batch, long graphCount = 1) => Apply(GraphPooling.Sum, x, batch, graphCount);

    /// <summary>The mean of each graph's node features.</summary>
    public static Tensor Mean(Tensor x, Tensor? batch, long graphCount = 1) => Apply(GraphPooling.Mean, x, batch, graphCount);

    /// <summary>The element-wise maximum of each graph's node features.</summary>
    public static Tensor Max(Tensor x, Tensor? batch, long graphCount = 1) => Apply(GraphPooling.Max, x, batch, graphCount);

    /// <summary>Pools <paramref name="x"/> (the nodes of <paramref name="graph"/>, e.g. a layer's output) by the graph's batch vector.</summary>
    public static Tensor Apply(GraphPooling pooling, Tensor x, Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return Apply(pooling, x, graph.Batch, graph.GraphCount);
    }

    /// <summary>The read-out named by <paramref name="pooling"/>.</summary>
    public static Tensor Apply(GraphPooling pooling, Tensor x, Tensor? batch, long graphCount = 1)
    {
        ArgumentNullException.ThrowIfNull(x);
        TorchRuntime.EnsureInitialized();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(graphCount);
        if (x.dim() != 2)
            throw new ArgumentException($"GlobalPool.{pooling} expects node features [N, F], got {Shapes.Format(x)}.", nameof(x));
        using var scope = NewDisposeScope();
        Tensor index;
        if (batch is null)
        {
            if (graphCount != 1)
                throw new ArgumentException($"GlobalPool.{pooling}: without a batch vector all nodes form one graph, but graphCount is {graphCount}.", nameof(graphCount));
            index = zeros(x.shape[0], dtype: int64, device: x.device);
        }
        else
        {
            if (batch.dtype != ScalarType.Int64 || batch.dim() != 1 || batch.shape[0] != x.shape[0])
                throw new ArgumentException($"GlobalPool.{pooling}: the batch vector must be int64 [{x.shape[0]}] (one graph per node of x {Shapes.Format(x)}), got {batch.dtype} {Shapes.Format(batch)}.", nameof(batch));
            if (!GraphChecks.SameDevice(batch.device, x.device))
                throw new ArgumentException($"GlobalPool.{pooling}: the batch vector is on {batch.device} but x is on {x.device}.", nameof(batch));
            GraphChecks.IndexRange($"GlobalPool.{pooling}", "the batch vector", batch, graphCount, "graphs");
            index = batch;
        }
        var aggregation = pooling switch
        {
            GraphPooling.Sum => Aggregation.Sum,
            GraphPooling.Mean => Aggregation.Mean,
            GraphPooling.Max => Aggregation.Max,
            _ => throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "Unknown pooling."),
        };
        return Scatter.ReduceUnchecked(x, index, graphCount, aggregation).MoveToOuterDisposeScope();
    }
}
