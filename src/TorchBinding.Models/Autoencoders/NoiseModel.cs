using TorchBinding.Data.Augmentation;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>
/// How a denoising autoencoder's inputs are corrupted while its target stays the clean input (Vincent et al.,
/// 2008): additive Gaussian noise, masking (a random fraction of the values set to 0) or salt-and-pepper (a
/// random fraction set to the low or the high value). Works on batches of any shape <c>[N, ...]</c> and, as an
/// <see cref="IBatchTransform"/>, also as a trainer's augmentation. Draws come from this model's own seeded CPU
/// generator (copied to the batch's device), so a seed gives the same corruptions on every device.
/// </summary>
public abstract class NoiseModel : IBatchTransform, IDisposable
{
    readonly Generator _generator;

    /// <summary>Creates the model's random source.</summary>
    /// <param name="seed">The seed; null draws one from <see cref="Seeding.NextSeed"/>.</param>
    protected NoiseModel(int? seed)
    {
        TorchRuntime.EnsureInitialized();
        Seed = seed ?? Seeding.NextSeed();
        _generator = new Generator((ulong)Seed, CPU);
    }

    /// <summary>Additive Gaussian noise x + σε, optionally clamped to [0, 1] (pixels).</summary>
    public static NoiseModel Gaussian(double std, bool clamp = false, int? seed = null) => new GaussianCorruption(std, clamp, seed);

    /// <summary>Masking noise: each value is set to 0 with probability <paramref name="p"/>.</summary>
    public static NoiseModel Masking(double p, int? seed = null) => new MaskingCorruption(p, seed);

    /// <summary>Salt-and-pepper noise: each value is replaced with probability <paramref name="p"/>, by <paramref name="low"/> or <paramref name="high"/> with equal chance.</summary>
    public static NoiseModel SaltAndPepper(double p, double low = 0, double high = 1, int? seed = null) => new SaltAndPepperCorruption(p, low, high, seed);

    /// <summary>The seed of the model's random source.</summary>
    public int Seed { get; }

    /// <summary>A corrupted copy of <paramref name="clean"/> (a new tensor of its shape, dtype and device).</summary>
    /// <exception cref="ArgumentException">The batch is not floating point or has no batch dimension.</exception>
    public Tensor Apply(Tensor clean)
    {
        ArgumentNullException.ThrowIfNull(clean);
        if (clean.dim() < 1 || !clean.is_floating_point())
            throw new ArgumentException($"{GetType().Name}: expected a floating-point batch [N, ...], got {clean.dtype} {Shapes.Format(clean)}.", nameof(clean));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return Corrupt(clean.detach()).MoveToOuterDisposeScope();
    }

    /// <summary>The corruption itself (inside a dispose scope; return a new tensor).</summary>
    protected abstract Tensor Corrupt(Tensor clean);

    /// <summary>Uniform draws in [0, 1) of the batch's shape, on its device.</summary>
    protected Tensor Uniform(Tensor like) => rand(like.shape, dtype: ScalarType.Float32, generator: _generator).to(like.device);

    /// <summary>Standard normal draws of the batch's shape, on its device, in its dtype.</summary>
    protected Tensor Normal(Tensor like) =>
        randn(like.shape, dtype: like.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32, generator: _generator).to(like.device).to(like.dtype);

    /// <summary>Checks a probability.</summary>
    protected static double Probability(double p, string name) =>
        double.IsFinite(p) && p is >= 0 and <= 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), p, $"{name}: the probability must be in [0, 1].");

    /// <summary>Releases the random source.</summary>
    public void Dispose()
    {
        _generator.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>x + σε, ε ~ N(0, 1), optionally clamped to [0, 1].</summary>
public sealed class GaussianCorruption : NoiseModel
{
    /// <summary>Creates the noise model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">σ is negative or not finite.</exception>
    public GaussianCorruption(double std, bool clamp = false, int? seed = null) : base(seed)
    {
        if (!double.IsFinite(std) || std < 0)
            throw new ArgumentOutOfRangeException(nameof(std), std, "GaussianCorruption: the standard deviation must be finite and non-negative.");
        (Std, Clamp) = (std, clamp);
    }

    /// <summary>σ.</summary>
    public double Std { get; }

    /// <summary>Whether the result is clamped to [0, 1].</summary>
    public bool Clamp { get; }

    /// <inheritdoc/>
    protected override Tensor Corrupt(Tensor clean)
    {
        var noisy = clean + Normal(clean) * Std;
        return Clamp ? noisy.clamp(0, 1) : noisy;
    }

    /// <inheritdoc/>
    public override string ToString() => $"Gaussian noise σ = {Std}{(Clamp ? ", clamped to [0, 1]" : "")}";
}

/// <summary>Each value set to 0 with probability p (masking noise).</summary>
public sealed class MaskingCorruption : NoiseModel
{
    /// <summary>Creates the noise model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">p is not in [0, 1].</exception>
    public MaskingCorruption(double p, int? seed = null) : base(seed) => P = Probability(p, nameof(MaskingCorruption));

    /// <summary>The probability that a value is masked.</summary>
    public double P { get; }

    /// <inheritdoc/>
    protected override Tensor Corrupt(Tensor clean) => clean * Uniform(clean).ge(P).to(clean.dtype);

    /// <inheritdoc/>
    public override string ToString() => $"masking noise p = {P}";
}

/// <summary>Each value replaced with probability p, by the low or the high value with equal chance (salt and pepper).</summary>
public sealed class SaltAndPepperCorruption : NoiseModel
{
    /// <summary>Creates the noise model.</summary>
    /// <exception cref="ArgumentOutOfRangeException">p is not in [0, 1], or low/high are not finite.</exception>
    public SaltAndPepperCorruption(double p, double low = 0, double high = 1, int? seed = null) : base(seed)
    {
        P = Probability(p, nameof(SaltAndPepperCorruption));
        if (!double.IsFinite(low) || !double.IsFinite(high))
            throw new ArgumentOutOfRangeException(nameof(low), $"SaltAndPepperCorruption: low ({low}) and high ({high}) must be finite.");
        (Low, High) = (low, high);
    }

    /// <summary>The probability that a value is replaced.</summary>
    public double P { get; }

    /// <summary>The "pepper" value.</summary>
    public double Low { get; }

    /// <summary>The "salt" value.</summary>
    public double High { get; }

    /// <inheritdoc/>
    protected override Tensor Corrupt(Tensor clean)
    {
        // One uniform draw decides both: u < p/2 pepper, p/2 ≤ u < p salt, else unchanged.
        var u = Uniform(clean);
        var pepper = u.lt(P / 2);
        var salt = u.ge(P / 2).logical_and(u.lt(P));
        return clean.masked_fill(pepper, Low).masked_fill(salt, High);
    }

    /// <inheritdoc/>
    public override string ToString() => $"salt-and-pepper noise p = {P} ({Low}/{High})";
}
