using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Graphs;

/// <summary>
/// The graph isomorphism network layer of Xu et al. (2019), as PyG's <c>GINConv</c>:
/// <c>x_i' = h_Θ((1 + ε) x_i + Σ_{j → i} x_j)</c> with an MLP <c>h_Θ</c>. The sum keeps how many neighbours carry
/// each feature, which makes GIN as discriminative as the Weisfeiler–Lehman test; ε may be learned (GIN-ε) or
/// fixed (GIN-0, PyG's default).
/// </summary>
public sealed class GinConv : MessagePassing
{
    readonly nn.Module<Tensor, Tensor> mlp;
    readonly Parameter? eps;
    readonly double _fixedEpsilon;

    /// <summary>A GIN layer around <paramref name="mlp"/>.</summary>
    /// <param name="mlp">h_Θ, mapping <c>[N, inFeatures]</c> to <c>[N, out]</c> (e.g. Linear, ReLU, Linear).</param>
    /// <param name="inFeatures">F, the input features per node (what <paramref name="mlp"/> takes).</param>
    /// <param name="epsilon">ε's initial (or fixed) value (default 0).</param>
    /// <param name="trainEpsilon">Learn ε (GIN-ε); default false (GIN-0), as PyG.</param>
    public GinConv(nn.Module<Tensor, Tensor> mlp, long inFeatures, double epsilon = 0, bool trainEpsilon = false) : base("GinConv", Aggregation.Sum)
    {
        ArgumentNullException.ThrowIfNull(mlp);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        InFeatures = inFeatures;
        this.mlp = mlp;
        _fixedEpsilon = epsilon;
        if (trainEpsilon)
            eps = nn.Parameter(tensor(new[] { (float)epsilon }));
        RegisterComponents();
    }

    /// <summary>Input features per node.</summary>
    public long InFeatures { get; }

    /// <summary>Whether ε is learned.</summary>
    public bool TrainsEpsilon => eps is not null;

    /// <summary>ε's current value.</summary>
    public double Epsilon => eps is null ? _fixedEpsilon : eps.ToDouble();

    /// <inheritdoc/>
    public override string Description => $"GinConv({InFeatures} → MLP)";

    /// <summary>Maps node features <c>[N, in]</c> through the MLP over the edges <c>[2, E]</c>.</summary>
    public override Tensor forward(Tensor x, Tensor edgeIndex)
    {
        var reference = parameters().FirstOrDefault();
        if (reference is null)
            throw new InvalidOperationException($"{Description}: the MLP has no parameters to take the dtype and device from.");
        CheckInput(x, edgeIndex, InFeatures, reference);
        using var scope = NewDisposeScope();
        var neighbours = Propagate(x, edgeIndex);
        var self = eps is null ? x * (1 + _fixedEpsilon) : x * (1 + eps);
        return mlp.call(self + neighbours).MoveToOuterDisposeScope();
    }
}
