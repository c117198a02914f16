using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// The edges of one propagation, as a message function sees them: for each edge j → i (row 0 of
/// <c>edge_index</c> the source j, row 1 the target i), the features of both ends, gathered once on first use.
/// </summary>
public sealed class MessageEdges
{
    readonly Tensor _x;
    Tensor? _sources, _targets, _sourceFeatures, _targetFeatures;

    internal MessageEdges(Tensor x, Tensor edgeIndex, Tensor? weights)
    {
        _x = x;
        EdgeIndex = edgeIndex;
        Weights = weights;
    }

    /// <summary>The edges, <c>[2, E]</c>.</summary>
    public Tensor EdgeIndex { get; }

    /// <summary>N, the number of nodes (rows of the aggregated result).</summary>
    public long NodeCount => _x.shape[0];

    /// <summary>E, the number of edges (rows of the messages).</summary>
    public long Count => EdgeIndex.shape[1];

    /// <summary>Per-edge weights passed to the propagation (<c>[E]</c>, or <c>[E, H]</c> per head), or null.</summary>
    public Tensor? Weights { get; }

    /// <summary>The source j of each edge, <c>[E]</c>.</summary>
    public Tensor Sources => _sources ??= EdgeIndex[0];

    /// <summary>The target i of each edge, <c>[E]</c>: where its message is aggregated.</summary>
    public Tensor Targets => _targets ??= EdgeIndex[1];

    /// <summary>x_j: the features of each edge's source, <c>[E, ...]</c> (PyG's <c>x_j</c>).</summary>
    public Tensor SourceFeatures => _sourceFeatures ??= _x.index_select(0, Sources);

    /// <summary>x_i: the features of each edge's target, <c>[E, ...]</c> (PyG's <c>x_i</c>).</summary>
    public Tensor TargetFeatures => _targetFeatures ??= _x.index_select(0, Targets);

    /// <summary>Any per-node tensor <c>[N, ...]</c> read at each edge's source, <c>[E, ...]</c>.</summary>
    public Tensor AtSources(Tensor nodeValues) => nodeValues.index_select(0, Sources);

    /// <summary>Any per-node tensor <c>[N, ...]</c> read at each edge's target, <c>[E, ...]</c>.</summary>
    public Tensor AtTargets(Tensor nodeValues) => nodeValues.index_select(0, Targets);
}

/// <summary>
/// The message-passing layer of Gilmer et al. (2017) as PyTorch Geometric structures it: for every node i,
/// <c>x_i' = update(x_i, AGG_{j → i} message(x_i, x_j, e_ji))</c>. <see cref="Propagate"/> gathers the features of
/// both ends of every edge by <c>edge_index</c>, asks <see cref="Message"/> for one message per edge, and aggregates
/// them at each edge's target with <see cref="Scatter"/> (<c>index_add</c> for sums and means): memory and time
/// grow with the edges, never with N². A node without incoming edges aggregates to 0.
/// </summary>
/// <remarks>
/// Subclasses take <c>(x [N, F], edge_index [2, E])</c> in <c>forward</c>, check them with
/// <see cref="CheckInput"/> (a bad index is an <see cref="ArgumentException"/>, never a native crash), transform,
/// call <see cref="Propagate"/>, and update. Call layers with <c>.call(x, edgeIndex)</c> so hooks fire.
/// </remarks>
public abstract class MessagePassing : nn.Module<Tensor, Tensor, Tensor>
{
    /// <summary>A layer called <paramref name="name"/> that aggregates with <paramref name="aggregation"/>.</summary>
    protected MessagePassing(string name, Aggregation aggregation) : base(AfterRuntimeStart(name))
    {
        Aggregation = aggregation;
    }

    /// <summary>How the messages arriving at a node are combined.</summary>
    public Aggregation Aggregation { get; }

    /// <summary>The layer as messages name it, e.g. <c>GcnConv(16 → 32)</c>.</summary>
    public abstract string Description { get; }

    /// <summary>
    /// One round of message passing: a message per edge from <see cref="Message"/>, aggregated at the targets.
    /// </summary>
    /// <param name="x">Node values <c>[N, ...]</c> the messages are made from (already transformed, if the layer transforms first).</param>
    /// <param name="edgeIndex">The edges (checked by <see cref="CheckInput"/> beforehand).</param>
    /// <param name="edgeWeights">Optional per-edge weights <c>[E]</c> (or <c>[E, H]</c>), handed to <see cref="Message"/>.</param>
    /// <returns>The aggregated messages, <c>[N, ...message shape]</c>.</returns>
    protected Tensor Propagate(Tensor x, Tensor edgeIndex, Tensor? edgeWeights = null)
    {
        var edges = new MessageEdges(x, edgeIndex, edgeWeights);
        var messages = Message(edges);
        if (messages.dim() < 1 || messages.shape[0] != edges.Count)
            throw new InvalidOperationException($"{Description}: Message must return one row per edge ([{edges.Count}, ...]), got {Shapes.Format(messages)}.");
        return Scatter.ReduceUnchecked(messages, edges.Targets, x.shape[0], Aggregation);
    }

    /// <summary>
    /// The message along each edge, <c>[E, ...]</c>. The default is x_j, scaled by the edge weight when there is one
    /// (weights <c>[E]</c>, or <c>[E, H]</c> for x_j <c>[E, H, C]</c>: one weight per edge and head).
    /// </summary>
    protected virtual Tensor Message(MessageEdges edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var xj = edges.SourceFeatures;
        if (edges.Weights is not { } w)
            return xj;
        while (w.dim() < xj.dim())
            w = w.unsqueeze(-1);
        return xj * w;
    }

    /// <summary>Checks a layer's input: node features <c>[N, F]</c> like <paramref name="parameter"/>, and an edge index that fits them.</summary>
    protected void CheckInput(Tensor x, Tensor edgeIndex, long features, Tensor parameter) =>
        GraphChecks.LayerInput(Description, x, edgeIndex, features, parameter);

    static string AfterRuntimeStart(string name)
    {
        TorchRuntime.EnsureInitialized();
        return name;
    }
}
