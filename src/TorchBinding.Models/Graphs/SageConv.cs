using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// GraphSAGE of Hamilton et al. (2017) with the mean aggregator, as PyG's <c>SAGEConv</c>:
/// <c>x_i' = W₁ · mean_{j → i} x_j + b + W₂ x_i</c> (the mean is 0 for a node without incoming edges). Mean
/// aggregation sees the distribution of the neighbours' features, not how many there are (Xu et al., 2019).
/// </summary>
public sealed class SageConv : MessagePassing
{
    readonly Linear lin_l;
    readonly Linear? lin_r;

    /// <summary>A GraphSAGE layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/> per node.</summary>
    /// <param name="inFeatures">F, the input features per node.</param>
    /// <param name="outFeatures">The output features per node.</param>
    /// <param name="aggregation">How neighbours are combined (default the mean, GraphSAGE-mean).</param>
    /// <param name="rootWeight">Add <c>W₂ x_i</c>, the node's own features (default true).</param>
    /// <param name="hasBias">A bias on the neighbours' term (default true).</param>
    public SageConv(long inFeatures, long outFeatures, Aggregation aggregation = Aggregation.Mean, bool rootWeight = true, bool hasBias = true)
        : base("SageConv", aggregation)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        lin_l = nn.Linear(inFeatures, outFeatures, hasBias: hasBias);
        if (rootWeight)
            lin_r = nn.Linear(inFeatures, outFeatures, hasBias: false);
        RegisterComponents();
    }

    /// <summary>Input features per node.</summary>
    public long InFeatures { get; }

    /// <summary>Output features per node.</summary>
    public long OutFeatures { get; }

    /// <inheritdoc/>
    public override string Description => $"SageConv({InFeatures} → {OutFeatures}, {Aggregation.ToString().ToLowerInvariant()})";

    /// <summary>Maps node features <c>[N, in]</c> to <c>[N, out]</c> over the edges <c>[2, E]</c>.</summary>
    public override Tensor forward(Tensor x, Tensor edgeIndex)
    {
        CheckInput(x, edgeIndex, InFeatures, lin_l.weight!);
        using var scope = NewDisposeScope();
        var output = lin_l.call(Propagate(x, edgeIndex));
        if (lin_r is not null)
            output = output + lin_r.call(x);
        return output.MoveToOuterDisposeScope();
    }
}
