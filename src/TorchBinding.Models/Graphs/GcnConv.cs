using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// The graph convolution of Kipf &amp; Welling (2017), as PyG's <c>GCNConv</c>:
/// <c>X' = D̂^−½ Â D̂^−½ X W + b</c> with <c>Â = A + I</c> (a self-loop added to every node that has none) and
/// <c>D̂</c> its degree matrix, computed per edge: <c>x_i' = Σ_{j → i} w_ji / √(d̂_j d̂_i) · W x_j + b</c>, with
/// <c>d̂_i</c> the (weighted) in-degree of i in Â. No dense matrix is formed.
/// </summary>
public sealed class GcnConv : MessagePassing
{
    readonly Linear lin;
    readonly Parameter? bias;

    /// <summary>A GCN layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/> per node.</summary>
    /// <param name="inFeatures">F, the input features per node.</param>
    /// <param name="outFeatures">The output features per node.</param>
    /// <param name="addSelfLoops">Add a self-loop (weight 1) to every node without one (default true, as PyG).</param>
    /// <param name="normalize">Use the symmetric normalisation (default true); false sums <c>w_ji W x_j</c> as they are.</param>
    /// <param name="hasBias">Add a learned bias after the aggregation (default true).</param>
    public GcnConv(long inFeatures, long outFeatures, bool addSelfLoops = true, bool normalize = true, bool hasBias = true) : base("GcnConv", Aggregation.Sum)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        (InFeatures, OutFeatures, AddSelfLoops, Normalize) = (inFeatures, outFeatures, addSelfLoops, normalize);
        lin = nn.Linear(inFeatures, outFeatures, hasBias: false);
        nn.init.xavier_uniform_(lin.weight!); // PyG initialises GCN weights with Glorot
        if (hasBias)
            bias = nn.Parameter(zeros(outFeatures));
        RegisterComponents();
    }

    /// <summary>Input features per node.</summary>
    public long InFeatures { get; }

    /// <summary>Output features per node.</summary>
    public long OutFeatures { get; }

    /// <summary>Whether missing self-loops are added.</summary>
    public bool AddSelfLoops { get; }

    /// <summary>Whether the symmetric normalisation is applied.</summary>
    public bool Normalize { get; }

    /// <summary>W, <c>[out, in]</c> (so <c>X W</c> in the formula is <c>x @ Weight.T</c>).</summary>
    public Parameter Weight => lin.weight!;

    /// <summary>b, <c>[out]</c>, or null.</summary>
    public Parameter? Bias => bias;

    /// <inheritdoc/>
    public override string Description => $"GcnConv({InFeatures} → {OutFeatures})";

    /// <summary>Maps node features <c>[N, in]</c> to <c>[N, out]</c> over the edges <c>[2, E]</c>.</summary>
    public override Tensor forward(Tensor x, Tensor edgeIndex) => Forward(x, edgeIndex, null);

    /// <summary>
    /// As <see cref="forward"/>, with a weight per edge <c>[E]</c> (the entries of a weighted A). With
    /// <see cref="Normalize"/> the weights must be finite and ≥ 0 (degrees are square-rooted); without, they are
    /// summed as given (signed weights too).
    /// </summary>
    /// <exception cref="ArgumentException">Bad node features, edges or weights; a negative weight names its edge.</exception>
    public Tensor Forward(Tensor x, Tensor edgeIndex, Tensor? edgeWeights)
    {
        CheckInput(x, edgeIndex, InFeatures, Weight);
        GraphChecks.EdgeWeight(Description, edgeWeights, edgeIndex);
        if (Normalize)
            GraphChecks.NonNegativeEdgeWeights(Description, edgeWeights, edgeIndex);
        using var scope = NewDisposeScope();
        var n = x.shape[0];
        var (edges, weights) = Normalize
            ? NormalizedEdgesUnchecked(edgeIndex, edgeWeights, n, AddSelfLoops, x.dtype)
            : AddSelfLoops ? Edges.AddRemainingSelfLoopsUnchecked(edgeIndex, edgeWeights, n, 1.0, x.dtype) : (edgeIndex, edgeWeights);
        var output = Propagate(lin.call(x), edges, weights);
        if (bias is not null)
            output = output + bias;
        return output.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// PyG's <c>gcn_norm</c>: the edges of Â (self-loops added where missing, if asked) and their weights
    /// <c>w_ji / √(d̂_j d̂_i)</c>, with <c>d̂</c> the weighted in-degree in Â (0 where it is 0).
    /// </summary>
    /// <exception cref="ArgumentException">A bad edge index, or an edge weight that is negative or not finite (the message names the edge).</exception>
    public static (Tensor EdgeIndex, Tensor Weights) NormalizedEdges(Tensor edgeIndex, Tensor? edgeWeights, long nodeCount, bool addSelfLoops = true, ScalarType dtype = ScalarType.Float32)
    {
        GraphChecks.EdgeIndex("GcnConv.NormalizedEdges", edgeIndex, nodeCount, edgeIndex.device);
        GraphChecks.EdgeWeight("GcnConv.NormalizedEdges", edgeWeights, edgeIndex);
        GraphChecks.NonNegativeEdgeWeights("GcnConv.NormalizedEdges", edgeWeights, edgeIndex);
        return NormalizedEdgesUnchecked(edgeIndex, edgeWeights, nodeCount, addSelfLoops, dtype);
    }

    static (Tensor EdgeIndex, Tensor Weights) NormalizedEdgesUnchecked(Tensor edgeIndex, Tensor? edgeWeights, long nodeCount, bool addSelfLoops, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var (edges, weights) = addSelfLoops
            ? Edges.AddRemainingSelfLoopsUnchecked(edgeIndex, edgeWeights, nodeCount, 1.0, dtype)
            : (edgeIndex.alias(), edgeWeights ?? ones(edgeIndex.shape[1], dtype: dtype, device: edgeIndex.device));
        var degree = Scatter.SumUnchecked(weights, edges[1], nodeCount);
        var inverseRoot = degree.pow(-0.5);
        inverseRoot = inverseRoot.masked_fill(inverseRoot.isinf(), 0);
        var normalized = inverseRoot.index_select(0, edges[0]) * weights * inverseRoot.index_select(0, edges[1]);
        return (edges.MoveToOuterDisposeScope(), normalized.MoveToOuterDisposeScope());
    }
}
