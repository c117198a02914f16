using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// The edge convolution of DGCNN (Wang et al., 2019), as PyG's <c>EdgeConv</c>:
/// <c>x_i' = max_{j → i} h_Θ([x_i, x_j − x_i])</c>, an MLP on each edge's target features and the difference
/// to its source, maximum over the incoming edges (0 for a node without any, as PyG).
/// </summary>
public sealed class EdgeConv : MessagePassing
{
    readonly nn.Module<Tensor, Tensor> mlp;

    /// <summary>An edge convolution around <paramref name="mlp"/>.</summary>
    /// <param name="mlp">h_Θ, mapping <c>[E, 2·inFeatures]</c> to <c>[E, out]</c>.</param>
    /// <param name="inFeatures">F, the input features per node (h_Θ takes 2F).</param>
    /// <param name="aggregation">How the edge features are combined (default the maximum, as DGCNN and PyG).</param>
    public EdgeConv(nn.Module<Tensor, Tensor> mlp, long inFeatures, Aggregation aggregation = Aggregation.Max) : base("EdgeConv", aggregation)
    {
        ArgumentNullException.ThrowIfNull(mlp);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        InFeatures = inFeatures;
        this.mlp = mlp;
        RegisterComponents();
    }

    /// <summary>Input features per node.</summary>
    public long InFeatures { get; }

    /// <inheritdoc/>
    public override string Description => $"EdgeConv({InFeatures} → MLP, {Aggregation.ToString().ToLowerInvariant()})";

    /// <summary>Maps node features <c>[N, in]</c> through the edge MLP over the edges <c>[2, E]</c>.</summary>
    public override Tensor forward(Tensor x, Tensor edgeIndex)
    {
        var reference = parameters().FirstOrDefault()
            ?? throw new InvalidOperationException($"{Description}: the MLP has no parameters to take the dtype and device from.");
        CheckInput(x, edgeIndex, InFeatures, reference);
        using var scope = NewDisposeScope();
        return Propagate(x, edgeIndex).MoveToOuterDisposeScope();
    }

    /// <summary>h_Θ([x_i, x_j − x_i]) for every edge j → i.</summary>
    protected override Tensor Message(MessageEdges edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var xi = edges.TargetFeatures;
        return mlp.call(cat([xi, edges.SourceFeatures - xi], 1));
    }
}
