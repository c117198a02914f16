using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Blends each image with its own mean by a factor drawn uniformly from [<see cref="MinFactor"/>,
/// <see cref="MaxFactor"/>]: <c>out = clamp(f · x + (1 - f) · mean(x), 0, 1)</c>, where the mean is over all
/// of the image's channels and pixels (f = 0: a flat grey image, f = 1: unchanged, f &gt; 1: more contrast).
/// torchvision's <c>adjust_contrast</c> takes the mean of the luminance for RGB images instead; for grey
/// images the two agree. Clamping, on by default, assumes pixel values in [0, 1]; turn it off for
/// normalised inputs.
/// </summary>
public sealed class RandomContrast : BatchTransform
{
    /// <summary>Creates the transform. torchvision's <c>ColorJitter(contrast=c)</c> is the range [max(0, 1 - c), 1 + c].</summary>
    /// <param name="minFactor">The smallest factor (non-negative).</param>
    /// <param name="maxFactor">The largest factor (at least <paramref name="minFactor"/>).</param>
    /// <param name="clamp">Clamp the result to [0, 1] (default true).</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentException">The factor range is empty, negative or not finite.</exception>
    public RandomContrast(double minFactor, double maxFactor, bool clamp = true, int? seed = null) : base(seed)
    {
        CheckRange(minFactor, maxFactor, 0, nameof(RandomContrast), "factor");
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

    /// <inheritdoc/>
    protected override Tensor Transform(Tensor batch)
    {
        var factors = new double[batch.shape[0]];
        for (var i = 0; i < factors.Length; i++)
            factors[i] = Uniform(MinFactor, MaxFactor);
        LastFactors = factors;
        var f = PerSample(factors, batch);
        var mean = batch.mean([1, 2, 3], keepdim: true);
        var result = f * batch + (1 - f) * mean;
        return Clamp ? result.clamp(0, 1) : result;
    }
}
