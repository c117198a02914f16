using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Pads each image by <see cref="Padding"/> pixels on every side and crops it back to H×W at an offset drawn
/// uniformly per image: torchvision's <c>RandomCrop(size=(H, W), padding=k)</c>, the usual CIFAR
/// augmentation. Zero padding by default; reflect, replicate and circular padding are available.
/// </summary>
public sealed class RandomCrop : BatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="padding">Pixels added on every side before cropping (non-negative).</param>
    /// <param name="paddingMode">How the border is filled: <see cref="PaddingModes.Constant"/> or
    /// <see cref="PaddingModes.Zeros"/> (zeros), <see cref="PaddingModes.Reflect"/> (needs a padding smaller
    /// than the image), <see cref="PaddingModes.Replicate"/> or <see cref="PaddingModes.Circular"/>.</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="padding"/> is negative.</exception>
    public RandomCrop(int padding, PaddingModes paddingMode = PaddingModes.Constant, int? seed = null) : base(seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Padding = padding;
        PaddingMode = paddingMode;
    }

    /// <summary>Pixels added on every side before cropping.</summary>
    public int Padding { get; }

    /// <summary>How the border is filled.</summary>
    public PaddingModes PaddingMode { get; }

    /// <summary>The crop offsets of the last batch, one per image: the window's top-left corner in the padded
    /// image, each in [0, 2 × <see cref="Padding"/>] (<see cref="Padding"/> = the image unmoved).</summary>
    public IReadOnlyList<(int Top, int Left)> LastOffsets { get; private set; } = [];

    /// <inheritdoc/>
    protected override Tensor Transform(Tensor batch)
    {
        if (PaddingMode is PaddingModes.Reflect or PaddingModes.Circular && (Padding >= batch.shape[2] || Padding >= batch.shape[3]))
            throw new ArgumentException($"{nameof(RandomCrop)}: {PaddingMode} padding by {Padding} needs images larger than the padding; got a batch of shape {Shapes.Format(batch)}.", nameof(batch));
        var n = (int)batch.shape[0];
        var offsets = new (int Top, int Left)[n];
        for (var i = 0; i < n; i++)
            offsets[i] = (Random.Next(0, 2 * Padding + 1), Random.Next(0, 2 * Padding + 1));
        LastOffsets = offsets;
        return PaddedWindows.Cut(batch, Padding, Padding, [.. offsets.Select(o => o.Top)], [.. offsets.Select(o => o.Left)], PaddingMode);
    }
}
