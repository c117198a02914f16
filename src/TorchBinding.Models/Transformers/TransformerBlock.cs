using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>Options of a <see cref="TransformerBlock"/>. The defaults are the standard block without dropout.</summary>
public sealed record TransformerBlockOptions
{
    /// <summary>The attention layer's biases, scale, dropout on the weights and implementation.</summary>
    public AttentionOptions Attention { get; init; } = new();

    /// <summary>Biases in the MLP's two linear layers (default true; the course's GPT has none).</summary>
    public bool MlpBias { get; init; } = true;

    /// <summary>Dropout on each sub-layer's output before it is added to the residual stream, while training (default 0).</summary>
    public double Dropout { get; init; }

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Attention, nameof(Attention));
        Attention.Validate();
        if (!(Dropout is >= 0 and < 1))
            throw new ArgumentException($"TransformerBlockOptions.Dropout must be in [0, 1), got {Dropout}.");
    }
}

/// <summary>
/// The pre-norm transformer block of the ViT and GPT-2: <c>x = x + attn(norm1(x))</c>, then
/// <c>x = x + mlp(norm2(x))</c> with the MLP <c>fc1</c> (D → mlpDim), exact GELU, <c>fc2</c> (mlpDim → D). Normalising
/// before each sub-layer leaves the residual stream an identity path from input to output, which is what lets
/// deep stacks train without warm-up. Layers: <c>norm1</c>, <c>attn</c>, <c>norm2</c>, <c>mlp.fc1</c>,
/// <c>mlp.act</c>, <c>mlp.fc2</c> (the course ViT's <c>PreNorm</c>/<c>Residual</c> pair, nanoGPT's <c>Block</c>).
/// </summary>
public sealed class TransformerBlock : nn.Module<Tensor, Tensor>
{
    readonly LayerNorm norm1;
    readonly MultiHeadAttention attn;
    readonly LayerNorm norm2;
    readonly Sequential mlp;
    readonly Dropout? drop;

    /// <summary>A block over <paramref name="dim"/> features.</summary>
    /// <param name="dim">The model dimension D.</param>
    /// <param name="heads">Attention heads (they must divide D).</param>
    /// <param name="mlpDim">The MLP's hidden width (the course ViT: 2D, GPT: 4D).</param>
    /// <param name="options">Attention options, MLP biases, dropout.</param>
    /// <exception cref="ArgumentException">A size is not positive, or the heads do not divide D.</exception>
    public TransformerBlock(int dim, int heads, int mlpDim, TransformerBlockOptions? options = null) : base(ModuleName.AfterRuntimeStart("transformer_block"))
    {
        options ??= new TransformerBlockOptions();
        options.Validate();
        if (mlpDim < 1)
            throw new ArgumentException($"transformer_block needs a positive MLP width, got {mlpDim}.", nameof(mlpDim));
        Options = options;
        MlpDim = mlpDim;
        // Made in this order (norm, attention, norm, MLP) so that a seeded generator gives the same initial weights as
        // the course notebooks' modules, which are made in this order too.
        norm1 = nn.LayerNorm(dim);
        attn = new MultiHeadAttention(dim, heads, options.Attention);
        norm2 = nn.LayerNorm(dim);
        mlp = nn.Sequential(
            ("fc1", nn.Linear(dim, mlpDim, hasBias: options.MlpBias)),
            ("act", nn.GELU()),
            ("fc2", nn.Linear(mlpDim, dim, hasBias: options.MlpBias)));
        drop = options.Dropout > 0 ? nn.Dropout(options.Dropout) : null;
        RegisterComponents();
    }

    /// <summary>The options the block was built from.</summary>
    public TransformerBlockOptions Options { get; }

    /// <summary>The model dimension D.</summary>
    public int Dim => Attention.Dim;

    /// <summary>The MLP's hidden width.</summary>
    public int MlpDim { get; }

    /// <summary>The block's attention layer.</summary>
    public MultiHeadAttention Attention => attn;

    /// <summary>The MLP's two linear layers, D → mlpDim and mlpDim → D.</summary>
    public (Linear Fc1, Linear Fc2) Mlp => ((Linear)mlp[0], (Linear)mlp[2]);

    /// <summary>The block applied to <c>[N, T, D]</c>, every token attending to every token.</summary>
    public override Tensor forward(Tensor input) => Forward(input);

    /// <summary>The block applied to <c>[N, T, D]</c> under <paramref name="mask"/>.</summary>
    /// <exception cref="ArgumentException">The input is not <c>[N, T, D]</c>, or the mask does not fit it.</exception>
    public Tensor Forward(Tensor input, AttentionMask? mask = null) => Apply(input, mask, needWeights: false).Output;

    /// <summary>The block's output and its attention weights <c>[N, H, T, T]</c>.</summary>
    /// <inheritdoc cref="Forward(Tensor, AttentionMask?)"/>
    public (Tensor Output, Tensor Weights) ForwardWithWeights(Tensor input, AttentionMask? mask = null)
    {
        var (output, weights) = Apply(input, mask, needWeights: true);
        return (output, weights!);
    }

    (Tensor Output, Tensor? Weights) Apply(Tensor input, AttentionMask? mask, bool needWeights)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 3 || input.shape[2] != Dim)
            throw new ArgumentException($"transformer_block expects a batch of sequences [N, T, {Dim}] (batch, tokens, features), got {Shapes.Format(input)}.", nameof(input));
        var normed = norm1.call(input);
        Tensor attended;
        Tensor? weights = null;
        if (needWeights)
            (attended, weights) = attn.ForwardWithWeights(normed, mask);
        else
            attended = mask is null ? attn.call(normed) : attn.Forward(normed, mask);
        var x = input + Drop(attended);
        x = x + Drop(mlp.call(norm2.call(x)));
        return (x, weights);
    }

    Tensor Drop(Tensor x) => drop is null ? x : drop.call(x);
}
