using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Blends each image with its own mean by a factor drawn uniformly from [<see cref="RandomFactorTransform.MinFactor"/>,
/// <see cref="RandomFactorTransform.MaxFactor"/>]: <c>out = clamp(f · x + (1 - f) · mean(x), 0, 1)</c>, where the
/// mean is over all of the image's channels and pixels (f = 0: a flat grey image, f = 1: unchanged, f &gt; 1:
/// more contrast). torchvision's <c>adjust_contrast</c> takes the mean of the luminance for RGB images instead;
/// for grey images the two agree. torchvision's <c>ColorJitter(contrast=c)</c> is the range [max(0, 1 - c), 1 + c].
/// </summary>
/// <param name="minFactor">The smallest factor (non-negative).</param>
/// <param name="maxFactor">The largest factor (at least <paramref name="minFactor"/>).</param>
/// <param name="clamp">Clamp the result to [0, 1] (default true).</param>
/// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
public sealed class RandomContrast(double minFactor, double maxFactor, bool clamp = true, int? seed = null)
    : RandomFactorTransform(minFactor, maxFactor, clamp, seed)
{
    /// <inheritdoc/>
    protected override Tensor Adjust(Tensor batch, Tensor factor) => factor * batch + (1 - factor) * batch.mean([1, 2, 3], keepdim: true);
}
