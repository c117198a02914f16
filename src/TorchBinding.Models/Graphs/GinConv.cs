using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

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

    /// <summary>
    /// Maps node features <c>[N, in]</c> through the MLP over the edges <c>[2, E]</c>. In training mode, a batch of
    /// one node (a one-node graph alone in a batch) passes the MLP's batch-norm layers normalised by their running
    /// statistics, which it leaves unchanged.
    /// </summary>
    public override Tensor forward(Tensor x, Tensor edgeIndex)
    {
        var reference = parameters().FirstOrDefault();
        if (reference is null)
            throw new InvalidOperationException($"{Description}: the MLP has no parameters to take the dtype and device from.");
        CheckInput(x, edgeIndex, InFeatures, reference);
        // One node has no batch statistics: its variance is 0 (so training-mode batch norm would map every node to β,
        // whatever its features) and the unbiased running variance 0/0 = NaN, which makes every later prediction NaN
        // while the training losses stay finite. PyTorch refuses such a batch, which stops the run; the running statistics
        // are the best estimate there is, so such a batch is normalised by them, as prediction would, and they stay as
        // they were. Norms without running statistics keep their training mode (their output is β, nothing is stored).
        var frozen = training && x.shape[0] == 1
            ? mlp.modules().OfType<BatchNorm>().Where(norm => norm.training && norm.track_running_stats).ToList()
            : [];
        foreach (var norm in frozen)
            norm.eval();
        try
        {
            using var scope = NewDisposeScope();
            var neighbours = Propagate(x, edgeIndex);
            var self = eps is null ? x * (1 + _fixedEpsilon) : x * (1 + eps);
            return mlp.call(self + neighbours).MoveToOuterDisposeScope();
        }
        finally
        {
            foreach (var norm in frozen)
                norm.train();
        }
    }
}
