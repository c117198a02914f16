using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Multiplies each image by a factor drawn uniformly from [<see cref="RandomFactorTransform.MinFactor"/>,
/// <see cref="RandomFactorTransform.MaxFactor"/>]: <c>out = clamp(f · x, 0, 1)</c>. Clamping, on by default,
/// assumes pixel values in [0, 1] (as torchvision's <c>adjust_brightness</c> does for float images); turn it
/// off for normalised inputs. torchvision's <c>ColorJitter(brightness=b)</c> is the range [max(0, 1 - b), 1 + b].
/// </summary>
/// <param name="minFactor">The smallest factor (non-negative).</param>
/// <param name="maxFactor">The largest factor (at least <paramref name="minFactor"/>).</param>
/// <param name="clamp">Clamp the result to [0, 1] (default true).</param>
/// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
public sealed class RandomBrightness(double minFactor, double maxFactor, bool clamp = true, int? seed = null)
    : RandomFactorTransform(minFactor, maxFactor, clamp, seed)
{
    /// <inheritdoc/>
    protected override Tensor Adjust(Tensor batch, Tensor factor) => batch * factor;
}
