using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>
/// A learned position embedding: one trained vector per position, added to the tokens, <c>x + weight[:T]</c> for
/// <c>[N, T, D]</c> (the course GPT's <c>wpe</c>, an <c>nn.Embedding(context, D)</c>). Attention itself is blind to
/// order (permuting the tokens permutes the outputs); adding the position is what lets it tell them apart.
/// </summary>
public sealed class LearnedPositionalEmbedding : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;

    /// <summary>Positions 0..<paramref name="maxLength"/>−1 of <paramref name="dim"/> features, initialised N(0, <paramref name="std"/>²).</summary>
    /// <param name="maxLength">The most positions (the context length).</param>
    /// <param name="dim">The model dimension D.</param>
    /// <param name="std">The initial values' standard deviation (default 1, as <c>nn.Embedding</c> and the course ViT's <c>randn</c>).</param>
    public LearnedPositionalEmbedding(int maxLength, int dim, double std = 1.0) : base(ModuleName.AfterRuntimeStart("position_embedding"))
    {
        if (maxLength < 1 || dim < 1)
            throw new ArgumentException($"position_embedding needs a positive length and dimension, got {maxLength} positions of {dim} features.");
        (MaxLength, Dim) = (maxLength, dim);
        using (no_grad())
            weight = new Parameter(empty(maxLength, dim).normal_(0, std));
        RegisterComponents();
    }

    /// <summary>The most positions.</summary>
    public int MaxLength { get; }

    /// <summary>Features per position.</summary>
    public int Dim { get; }

    /// <summary>The embedding table <c>[MaxLength, D]</c>.</summary>
    public Parameter Weight => weight;

    /// <summary>The embeddings of positions 0..T−1, <c>[T, D]</c>.</summary>
    /// <exception cref="ArgumentException">T is larger than <see cref="MaxLength"/>.</exception>
    public Tensor Positions(long length)
    {
        if (length > MaxLength)
            throw new ArgumentException($"position_embedding has {MaxLength} positions, got a sequence of {length} tokens (longer than the context {MaxLength}).", nameof(length));
        return weight.narrow(0, 0, length);
    }

    /// <summary><c>x + weight[:T]</c> for <c>x</c> of shape <c>[N, T, D]</c>.</summary>
    public override Tensor forward(Tensor input)
    {
        PositionalEncodingChecks.Sequence(input, "position_embedding", Dim);
        return input + Positions(input.shape[1]);
    }
}

/// <summary>
/// The fixed sinusoidal position encoding of Vaswani et al. (2017): <c>PE[p, 2i] = sin(p / 10000^(2i/D))</c>,
/// <c>PE[p, 2i+1] = cos(p / 10000^(2i/D))</c>, added to the tokens. Each pair of features is a rotation at its own
/// frequency, so a shift by k positions is the same linear map for every p, and the dot product of two encodings
/// depends only on their distance; nothing is learned and any length is possible.
/// </summary>
public sealed class SinusoidalPositionalEncoding : nn.Module<Tensor, Tensor>
{
    readonly Tensor table;

    /// <summary>The encoding of positions 0..<paramref name="maxLength"/>−1 with <paramref name="dim"/> features.</summary>
    public SinusoidalPositionalEncoding(int maxLength, int dim, double @base = 10000) : base(ModuleName.AfterRuntimeStart("sinusoidal_encoding"))
    {
        if (maxLength < 1 || dim < 1)
            throw new ArgumentException($"sinusoidal_encoding needs a positive length and dimension, got {maxLength} positions of {dim} features.");
        (MaxLength, Dim) = (maxLength, dim);
        table = Table(maxLength, dim, @base);
        register_buffer("table", table, persistent: false);
    }

    /// <summary>The most positions.</summary>
    public int MaxLength { get; }

    /// <summary>Features per position.</summary>
    public int Dim { get; }

    /// <summary>
    /// The encoding table <c>[length, dim]</c> (float32): column 2i is <c>sin(p·ω_i)</c>, column 2i+1 is
    /// <c>cos(p·ω_i)</c>, with <c>ω_i = base^(−2i/dim)</c>.
    /// </summary>
    public static Tensor Table(int length, int dim, double @base = 10000)
    {
        if (length < 1 || dim < 1)
            throw new ArgumentException($"A sinusoidal table needs a positive length and dimension, got {length} x {dim}.");
        if (!(@base > 1))
            throw new ArgumentOutOfRangeException(nameof(@base), @base, "The base must be larger than 1.");
        using var scope = NewDisposeScope();
        var positions = arange(length, dtype: ScalarType.Float64).unsqueeze(1);                          // [T, 1]
        var pairs = arange(dim, dtype: ScalarType.Int64).div(2, rounding_mode: RoundingMode.floor);       // i for columns 2i, 2i+1
        var frequencies = pow(@base, pairs.to(ScalarType.Float64).mul(-2.0 / dim)).unsqueeze(0);          // [1, D]
        var angles = positions * frequencies;
        var even = arange(dim, dtype: ScalarType.Int64).remainder(2).eq(0).unsqueeze(0);
        return where(even, angles.sin(), angles.cos()).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>The encodings of positions 0..T−1, <c>[T, D]</c>.</summary>
    public Tensor Positions(long length)
    {
        if (length > MaxLength)
            throw new ArgumentException($"sinusoidal_encoding has {MaxLength} positions, got a sequence of {length} tokens.", nameof(length));
        return table.narrow(0, 0, length);
    }

    /// <summary><c>x + PE[:T]</c> for <c>x</c> of shape <c>[N, T, D]</c>.</summary>
    public override Tensor forward(Tensor input)
    {
        PositionalEncodingChecks.Sequence(input, "sinusoidal_encoding", Dim);
        return input + Positions(input.shape[1]).to(input.dtype, input.device);
    }
}

static class PositionalEncodingChecks
{
    public static void Sequence(Tensor input, string owner, int dim)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 3 || input.shape[2] != dim)
            throw new ArgumentException($"{owner} expects a batch of sequences [N, T, {dim}] (batch, tokens, features), got {Shapes.Format(input)}.", nameof(input));
    }
}
