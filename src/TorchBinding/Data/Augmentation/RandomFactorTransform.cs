using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// The shared part of brightness and contrast: one factor per image drawn uniformly from
/// [<see cref="MinFactor"/>, <see cref="MaxFactor"/>], an adjustment by that factor, then an optional clamp
/// to [0, 1] (which assumes pixel values in [0, 1]; turn it off for normalised inputs).
/// </summary>
public abstract class RandomFactorTransform : BatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="minFactor">The smallest factor (non-negative).</param>
    /// <param name="maxFactor">The largest factor (at least <paramref name="minFactor"/>).</param>
    /// <param name="clamp">Clamp the result to [0, 1].</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentException">The factor range is empty, negative or not finite.</exception>
    protected RandomFactorTransform(double minFactor, double maxFactor, bool clamp, int? seed) : base(seed)
    {
        CheckRange(minFactor, maxFactor, 0, GetType().Name, "factor");
        (MinFactor, MaxFactor, Clamp) = (minFactor, maxFactor, clamp);
    }

    /// <summary>The smallest factor.</summary>
    public double MinFactor { get; }

    /// <summary>The largest factor.</summary>
    public double MaxFactor { get; }

    /// <summary>Whether the result is clamped to [0, 1].</summary>
    public bool Clamp { get; }

    /// <summary>The factors drawn for the last batch, one per image.</summary>
    public IReadOnlyList<double> LastFactors { get; private set; } = [];

    /// <summary>The adjustment of a batch by per-image factors <paramref name="factor"/> (shaped <c>[N, 1, 1, 1]</c>).</summary>
    protected abstract Tensor Adjust(Tensor batch, Tensor factor);

    /// <inheritdoc/>
    protected sealed override Tensor Transform(Tensor batch)
    {
        var factors = new double[batch.shape[0]];
        for (var i = 0; i < factors.Length; i++)
            factors[i] = Uniform(MinFactor, MaxFactor);
        LastFactors = factors;
        var result = Adjust(batch, PerSample(factors, batch));
        return Clamp ? result.clamp(0, 1) : result;
    }
}
