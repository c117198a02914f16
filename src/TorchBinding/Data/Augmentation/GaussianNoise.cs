using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Adds independent Gaussian noise of mean 0 and standard deviation <see cref="Std"/> to every value:
/// <c>out = clamp(x + std · ε, 0, 1)</c>. Clamping, on by default, assumes pixel values in [0, 1] (as
/// torchvision's v2 <c>GaussianNoise(clip=True)</c>); turn it off for normalised inputs or exact noise
/// statistics. The noise is drawn on the CPU by a generator seeded from this transform's random source
/// (TorchSharp 0.107 creates CPU generators only) and copied to the batch's device, so a seed gives the
/// same noise on every device.
/// </summary>
public sealed class GaussianNoise : BatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="std">The noise's standard deviation (non-negative).</param>
    /// <param name="clamp">Clamp the result to [0, 1] (default true).</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="std"/> is negative or not finite.</exception>
    public GaussianNoise(double std, bool clamp = true, int? seed = null) : base(seed)
    {
        if (!double.IsFinite(std) || std < 0)
            throw new ArgumentOutOfRangeException(nameof(std), std, $"{nameof(GaussianNoise)}: the standard deviation must be finite and non-negative.");
        (Std, Clamp) = (std, clamp);
    }

    /// <summary>The noise's standard deviation.</summary>
    public double Std { get; }

    /// <summary>Whether the result is clamped to [0, 1].</summary>
    public bool Clamp { get; }

    /// <inheritdoc/>
    protected override Tensor Transform(Tensor batch)
    {
        using var generator = new Generator((ulong)Random.NextInt64(), CPU);
        // Half types are drawn in float32: the CPU normal kernel is not defined for every dtype.
        var drawType = batch.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var noise = randn(batch.shape, dtype: drawType, generator: generator).to(batch.device).to(batch.dtype);
        var result = batch + noise * Std;
        return Clamp ? result.clamp(0, 1) : result;
    }
}
