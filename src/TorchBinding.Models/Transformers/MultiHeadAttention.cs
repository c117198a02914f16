using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>What the attention scores of a <see cref="MultiHeadAttention"/> are multiplied by.</summary>
public enum AttentionScale
{
    /// <summary>1/√(head dim), the standard of Vaswani et al. (2017) and nanoGPT: keeps the scores' variance near 1 for unit-variance queries and keys.</summary>
    HeadDim,

    /// <summary>1/√(model dim), what the course's MNIST ViT uses (<c>dim ** -0.5</c> with 8 heads of 8 of 64): softer attention, √heads times flatter.</summary>
    ModelDim,
}

/// <summary>Options of a <see cref="MultiHeadAttention"/>. The defaults are the standard layer.</summary>
public sealed record AttentionOptions
{
    /// <summary>A bias in the query/key/value projection (default true; the course's ViT and GPT have none).</summary>
    public bool QkvBias { get; init; } = true;

    /// <summary>A bias in the output projection (default true; the course's GPT has none).</summary>
    public bool OutputBias { get; init; } = true;

    /// <summary>The scale of the scores (default the standard 1/√(head dim)).</summary>
    public AttentionScale Scale { get; init; } = AttentionScale.HeadDim;

    /// <summary>Dropout on the attention weights while training (default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>Causal self-attention: token t attends to tokens 0..t only, always (a decoder; default false). Combines with any mask passed in.</summary>
    public bool Causal { get; init; }

    /// <summary>Explicit or fused attention (default: the faster on the device, explicit when the weights are asked for).</summary>
    public AttentionImplementation Implementation { get; init; } = AttentionImplementation.Auto;

    internal void Validate()
    {
        if (!(Dropout is >= 0 and < 1))
            throw new ArgumentException($"AttentionOptions.Dropout must be in [0, 1), got {Dropout}.");
    }
}

/// <summary>
/// Multi-head self-attention on batch-first sequences <c>[N, T, D]</c>: one linear layer makes queries, keys and
/// values for all heads (<c>to_qkv</c>, D → 3D), each of the H heads attends with its own D/H features, and the
/// heads' outputs, side by side, go through <c>to_out</c> (D → D). The layouts are the course notebooks': the
/// projection's output splits as einops <c>'b n (qkv h d) -> qkv b h n d'</c> (queries, then keys, then values,
/// each head by head, as nanoGPT's <c>c_attn</c> too) and the heads join as <c>'b h n d -> b n (h d)'</c>, so a
/// notebook's <c>to_qkv</c>/<c>to_out</c> (or <c>c_attn</c>/<c>c_proj</c>) weights load as they are.
/// </summary>
/// <example><code>
/// var attention = new MultiHeadAttention(64, heads: 8);
/// var y = attention.call(x);                                                    // [N, T, 64]
/// var (y2, weights) = attention.ForwardWithWeights(x, AttentionMask.CausalMask);  // weights [N, 8, T, T]
/// </code></example>
public sealed class MultiHeadAttention : nn.Module<Tensor, Tensor>
{
    readonly Linear to_qkv;
    readonly Linear to_out;

    /// <summary>Self-attention over <paramref name="dim"/> features with <paramref name="heads"/> heads.</summary>
    /// <param name="dim">The model dimension D (features per token).</param>
    /// <param name="heads">The number of heads H; it must divide D.</param>
    /// <param name="options">Biases, scale, dropout, implementation (default: the standard layer).</param>
    /// <exception cref="ArgumentException">H does not divide D, or a size is not positive.</exception>
    public MultiHeadAttention(int dim, int heads, AttentionOptions? options = null) : base(ModuleName.AfterRuntimeStart("attention"))
    {
        options ??= new AttentionOptions();
        options.Validate();
        if (dim < 1 || heads < 1)
            throw new ArgumentException($"attention needs a positive dimension and head count, got dim {dim} and {heads} heads.");
        if (dim % heads != 0)
            throw new ArgumentException($"attention: {heads} heads do not divide the model dimension {dim} ({dim} / {heads} is not a whole number of features per head).");
        (Dim, Heads, Options) = (dim, heads, options);
        to_qkv = nn.Linear(dim, 3 * dim, hasBias: options.QkvBias);
        to_out = nn.Linear(dim, dim, hasBias: options.OutputBias);
        RegisterComponents();
    }

    /// <summary>The model dimension D.</summary>
    public int Dim { get; }

    /// <summary>The number of heads H.</summary>
    public int Heads { get; }

    /// <summary>Features per head, D / H.</summary>
    public int HeadDim => Dim / Heads;

    /// <summary>The factor of the scores: 1/√(D/H) or, with <see cref="AttentionScale.ModelDim"/>, 1/√D.</summary>
    public double Scale => Options.Scale == AttentionScale.ModelDim ? 1.0 / Math.Sqrt(Dim) : 1.0 / Math.Sqrt(HeadDim);

    /// <summary>The options the layer was built from.</summary>
    public AttentionOptions Options { get; }

    /// <summary>The query/key/value projection, D → 3D (weight <c>[3D, D]</c>: rows of queries, then keys, then values, each head by head).</summary>
    public Linear QkvProjection => to_qkv;

    /// <summary>The output projection, D → D.</summary>
    public Linear OutputProjection => to_out;

    /// <summary>Self-attention of <c>[N, T, D]</c>, every token attending to every token.</summary>
    public override Tensor forward(Tensor input) => Forward(input);

    /// <summary>Self-attention of <c>[N, T, D]</c> under <paramref name="mask"/>.</summary>
    /// <exception cref="ArgumentException">The input is not <c>[N, T, D]</c> of the parameters' dtype and device, or the mask does not fit.</exception>
    public Tensor Forward(Tensor input, AttentionMask? mask = null) => Attend(input, mask, needWeights: false).Output;

    /// <summary>Self-attention and its weights <c>[N, H, T, T]</c> (each row a distribution over the keys; computed explicitly).</summary>
    /// <inheritdoc cref="Forward(Tensor, AttentionMask?)"/>
    public (Tensor Output, Tensor Weights) ForwardWithWeights(Tensor input, AttentionMask? mask = null)
    {
        var (output, weights) = Attend(input, mask, needWeights: true);
        return (output, weights!);
    }

    (Tensor Output, Tensor? Weights) Attend(Tensor input, AttentionMask? mask, bool needWeights)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 3 || input.shape[2] != Dim)
            throw new ArgumentException($"attention expects a batch of sequences [N, T, {Dim}] (batch, tokens, features), got {Shapes.Format(input)}.", nameof(input));
        InputChecks.LikeParameters(input, "attention", to_qkv.weight!);
        var (n, t) = (input.shape[0], input.shape[1]);
        if (Options.Causal && mask is not { Causal: true })
            mask = (mask ?? new AttentionMask()) with { Causal = true };
        // 'b n (qkv h d) -> qkv b h n d'
        var qkv = to_qkv.call(input).view(n, t, 3, Heads, HeadDim).permute(2, 0, 3, 1, 4);
        var (q, k, v) = (qkv[0], qkv[1], qkv[2]);
        var dropout = training ? Options.Dropout : 0;
        Tensor heads;
        Tensor? weights = null;
        if (needWeights)
            (heads, weights) = ScaledDotProductAttention.ComputeWithWeights(q, k, v, mask, dropout, Scale);
        else
            heads = ScaledDotProductAttention.Compute(q, k, v, mask, dropout, Scale, Options.Implementation);
        // 'b h n d -> b n (h d)'
        var joined = heads.transpose(1, 2).reshape(n, t, Dim);
        return (to_out.call(joined), weights);
    }
}
