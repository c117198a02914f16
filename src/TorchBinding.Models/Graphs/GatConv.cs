using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>Options of a <see cref="GatConv"/>; the defaults are PyG's <c>GATConv</c> defaults.</summary>
public sealed record GatOptions
{
    /// <summary>Attention heads (default 1).</summary>
    public int Heads { get; init; } = 1;

    /// <summary>Concatenate the heads' outputs to <c>[N, heads·out]</c> (default true); false averages them to <c>[N, out]</c>.</summary>
    public bool Concat { get; init; } = true;

    /// <summary>The slope of the LeakyReLU applied to the scores (default 0.2).</summary>
    public double NegativeSlope { get; init; } = 0.2;

    /// <summary>Dropout on the attention weights during training (default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>
    /// Remove existing self-loops and add exactly one per node before attending (default true, as PyG), so every
    /// node attends to itself. Beware: the input graph's own self-loops are then indistinguishable from the added ones.
    /// </summary>
    public bool AddSelfLoops { get; init; } = true;

    /// <summary>A learned bias after the heads are combined (default true).</summary>
    public bool Bias { get; init; } = true;

    internal void Validate()
    {
        if (Heads < 1)
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, "GatConv needs at least one head.");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout))
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "GatConv's attention dropout must be in [0, 1).");
    }
}

/// <summary>What <see cref="GatConv.ForwardWithAttention"/> returns.</summary>
/// <param name="Output">The layer's output, <c>[N, heads·out]</c> or <c>[N, out]</c>.</param>
/// <param name="EdgeIndex">The edges attended over (with the self-loops the layer added), <c>[2, E']</c>.</param>
/// <param name="Attention">α per edge and head, <c>[E', heads]</c>; for each target node and head they sum to 1.</param>
public sealed record GatOutput(Tensor Output, Tensor EdgeIndex, Tensor Attention) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Output.Dispose();
        EdgeIndex.Dispose();
        Attention.Dispose();
    }
}

/// <summary>
/// The graph attention layer of Veličković et al. (2018), as PyG's <c>GATConv</c>: per head, <c>h = W x</c>,
/// scores <c>e_ji = LeakyReLU(aₛᵀ h_j + a_dᵀ h_i)</c> (slope 0.2), α = a softmax of the scores over each node's incoming
/// edges, <c>x_i' = Σ_{j → i} α_ji h_j</c>; heads concatenated (or averaged), then a bias. Self-loops are removed and one
/// per node added first, unless <see cref="GatOptions.AddSelfLoops"/> is false.
/// </summary>
public sealed class GatConv : MessagePassing
{
    readonly Linear lin;
    readonly Parameter att_src, att_dst;
    readonly Parameter? bias;
    readonly Dropout? attentionDropout;

    /// <summary>A GAT layer from <paramref name="inFeatures"/> to <paramref name="outFeatures"/> per head.</summary>
    public GatConv(long inFeatures, long outFeatures, GatOptions? options = null) : base("GatConv", Aggregation.Sum)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        Options = options ?? new GatOptions();
        Options.Validate();
        (InFeatures, OutFeatures) = (inFeatures, outFeatures);
        var heads = Options.Heads;
        lin = nn.Linear(inFeatures, heads * outFeatures, hasBias: false);
        att_src = nn.Parameter(empty(1, heads, outFeatures));
        att_dst = nn.Parameter(empty(1, heads, outFeatures));
        // PyG's glorot: U(±√(6 / (fan_in + fan_out))) over the last two dimensions.
        using (no_grad())
        {
            nn.init.xavier_uniform_(lin.weight!);
            var limit = Math.Sqrt(6.0 / (heads + outFeatures));
            att_src.uniform_(-limit, limit);
            att_dst.uniform_(-limit, limit);
        }
        if (Options.Bias)
            bias = nn.Parameter(zeros(Options.Concat ? heads * outFeatures : outFeatures));
        if (Options.Dropout > 0)
            attentionDropout = nn.Dropout(Options.Dropout);
        RegisterComponents();
    }

    /// <summary>A GAT layer with <paramref name="heads"/> heads and PyG's other defaults.</summary>
    public GatConv(long inFeatures, long outFeatures, int heads) : this(inFeatures, outFeatures, new GatOptions { Heads = heads })
    {
    }

    /// <summary>The options.</summary>
    public GatOptions Options { get; }

    /// <summary>Input features per node.</summary>
    public long InFeatures { get; }

    /// <summary>Output features per node and head.</summary>
    public long OutFeatures { get; }

    /// <summary>Features per node of the output: heads·out when concatenated, else out.</summary>
    public long OutputFeatures => Options.Concat ? Options.Heads * OutFeatures : OutFeatures;

    /// <inheritdoc/>
    public override string Description => $"GatConv({InFeatures} → {OutFeatures}, {Options.Heads} head{(Options.Heads == 1 ? "" : "s")})";

    /// <summary>Maps node features <c>[N, in]</c> to <see cref="OutputFeatures"/> per node over the edges <c>[2, E]</c>.</summary>
    public override Tensor forward(Tensor x, Tensor edgeIndex)
    {
        using var result = ForwardWithAttention(x, edgeIndex);
        return result.Output.alias();
    }

    /// <summary>The output and the attention weights α of every edge attended over (PyG's <c>return_attention_weights</c>).</summary>
    public GatOutput ForwardWithAttention(Tensor x, Tensor edgeIndex)
    {
        CheckInput(x, edgeIndex, InFeatures, lin.weight!);
        using var scope = NewDisposeScope();
        var (n, heads) = (x.shape[0], Options.Heads);
        var h = lin.call(x).view(n, heads, OutFeatures);                // [N, H, C]
        var scoreSource = (h * att_src).sum(dim: -1);                       // [N, H]: aₛᵀ h_j
        var scoreTarget = (h * att_dst).sum(dim: -1);                       // [N, H]: a_dᵀ h_i
        var edges = Options.AddSelfLoops ? Edges.AddSelfLoops(Edges.RemoveSelfLoops(edgeIndex), n) : edgeIndex.alias();
        var (sources, targets) = (edges[0], edges[1]);
        var scores = nn.functional.leaky_relu(scoreSource.index_select(0, sources) + scoreTarget.index_select(0, targets), Options.NegativeSlope);
        var alpha = Scatter.SoftmaxUnchecked(scores, targets, n);           // [E', H], sums to 1 over each node's incoming edges
        var weights = attentionDropout is null ? alpha : attentionDropout.call(alpha);
        var output = Propagate(h, edges, weights);                          // Σ_{j → i} α_ji h_j: [N, H, C]
        output = Options.Concat ? output.reshape(n, heads * OutFeatures) : output.mean([1]);
        if (bias is not null)
            output = output + bias;
        return new GatOutput(output.MoveToOuterDisposeScope(), edges.MoveToOuterDisposeScope(), alpha.MoveToOuterDisposeScope());
    }
}
