using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Shifts each image by a whole number of pixels, drawn uniformly from [-<see cref="MaxDx"/>, +<see cref="MaxDx"/>]
/// horizontally and [-<see cref="MaxDy"/>, +<see cref="MaxDy"/>] vertically; what is shifted out is lost and
/// what comes in is zero. (A shift of up to ±k both ways is the same as <see cref="RandomCrop"/> with padding k.)
/// </summary>
public sealed class RandomTranslation : BatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="maxDx">The largest horizontal shift in pixels (non-negative).</param>
    /// <param name="maxDy">The largest vertical shift in pixels (non-negative).</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A largest shift is negative.</exception>
    public RandomTranslation(int maxDx, int maxDy, int? seed = null) : base(seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxDx);
        ArgumentOutOfRangeException.ThrowIfNegative(maxDy);
        (MaxDx, MaxDy) = (maxDx, maxDy);
    }

    /// <summary>The largest horizontal shift, in pixels.</summary>
    public int MaxDx { get; }

    /// <summary>The largest vertical shift, in pixels.</summary>
    public int MaxDy { get; }

    /// <summary>The shifts drawn for the last batch, one per image: <c>Dx</c> positive = right, <c>Dy</c> positive = down.</summary>
    public IReadOnlyList<(int Dx, int Dy)> LastShifts { get; private set; } = [];

    /// <inheritdoc/>
    protected override Tensor Transform(Tensor batch)
    {
        var n = (int)batch.shape[0];
        var shifts = new (int Dx, int Dy)[n];
        var (top, left) = (new int[n], new int[n]);
        for (var i = 0; i < n; i++)
        {
            shifts[i] = (Random.Next(-MaxDx, MaxDx + 1), Random.Next(-MaxDy, MaxDy + 1));
            // output[y, x] = input[y - dy, x - dx] = padded[y - dy + maxDy, x - dx + maxDx]
            (top[i], left[i]) = (MaxDy - shifts[i].Dy, MaxDx - shifts[i].Dx);
        }
        LastShifts = shifts;
        return PaddedWindows.Cut(batch, MaxDy, MaxDx, top, left, PaddingModes.Constant);
    }
}
