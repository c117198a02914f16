using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>A rectangle that <see cref="RandomErasing"/> filled, in pixels.</summary>
/// <param name="Top">The first row.</param>
/// <param name="Left">The first column.</param>
/// <param name="Height">Rows erased.</param>
/// <param name="Width">Columns erased.</param>
public readonly record struct ErasedRegion(int Top, int Left, int Height, int Width);

/// <summary>
/// Random erasing (Zhong et al. 2020; torchvision's <c>RandomErasing</c>): with probability
/// <see cref="Probability"/>, one rectangle of each image, in every channel, is set to <see cref="Fill"/>. Its
/// area is a fraction of the image drawn uniformly from [<see cref="MinArea"/>, <see cref="MaxArea"/>], its
/// aspect ratio (height / width) is drawn log-uniformly from [<see cref="MinAspect"/>, <see cref="MaxAspect"/>],
/// and its place uniformly among those that fit. As in torchvision, a draw whose rectangle does not fit
/// inside the image is retried up to 10 times, after which that image is left unchanged; sides are rounded
/// to whole pixels, so the erased fraction can differ slightly from the drawn one. Unlike torchvision, which
/// erases one rectangle across a whole batch tensor, each image gets its own draw.
/// </summary>
public sealed class RandomErasing : BatchTransform
{
    const int Attempts = 10;

    /// <summary>Creates the transform; the defaults are torchvision's.</summary>
    /// <param name="p">The probability that an image is erased, in [0, 1].</param>
    /// <param name="minArea">The smallest erased fraction of the image's area, in (0, 1].</param>
    /// <param name="maxArea">The largest erased fraction, in [<paramref name="minArea"/>, 1].</param>
    /// <param name="minAspect">The smallest aspect ratio height / width (positive).</param>
    /// <param name="maxAspect">The largest aspect ratio (at least <paramref name="minAspect"/>).</param>
    /// <param name="fill">The value written into the rectangle.</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentException">A probability or range is out of bounds.</exception>
    public RandomErasing(double p = 0.5, double minArea = 0.02, double maxArea = 0.33, double minAspect = 0.3, double maxAspect = 3.3, double fill = 0, int? seed = null)
        : base(seed)
    {
        const string name = nameof(RandomErasing);
        Probability = CheckProbability(p, name);
        CheckRange(minArea, maxArea, 0, name, "area fraction");
        if (minArea == 0 || maxArea > 1)
            throw new ArgumentException($"{name}: the area fraction range [{minArea}, {maxArea}] must lie in (0, 1].");
        CheckRange(minAspect, maxAspect, 0, name, "aspect ratio");
        if (minAspect == 0)
            throw new ArgumentException($"{name}: the aspect ratio range [{minAspect}, {maxAspect}] must be positive.");
        if (!double.IsFinite(fill))
            throw new ArgumentOutOfRangeException(nameof(fill), fill, $"{name}: the fill value must be finite.");
        (MinArea, MaxArea, MinAspect, MaxAspect, Fill) = (minArea, maxArea, minAspect, maxAspect, fill);
    }

    /// <summary>The probability that an image is erased.</summary>
    public double Probability { get; }

    /// <summary>The smallest erased fraction of the image's area.</summary>
    public double MinArea { get; }

    /// <summary>The largest erased fraction of the image's area.</summary>
    public double MaxArea { get; }

    /// <summary>The smallest aspect ratio (height / width).</summary>
    public double MinAspect { get; }

    /// <summary>The largest aspect ratio (height / width).</summary>
    public double MaxAspect { get; }

    /// <summary>The value written into the rectangle.</summary>
    public double Fill { get; }

    /// <summary>The rectangles erased in the last batch, one per image (null: that image was left unchanged).</summary>
    public IReadOnlyList<ErasedRegion?> LastRegions { get; private set; } = [];

    /// <inheritdoc/>
    protected override Tensor Transform(Tensor batch)
    {
        var (n, height, width) = ((int)batch.shape[0], (int)batch.shape[2], (int)batch.shape[3]);
        var regions = new ErasedRegion?[n];
        for (var i = 0; i < n; i++)
            regions[i] = Random.NextDouble() < Probability ? DrawRegion(height, width) : null;
        LastRegions = regions;
        if (regions.All(r => r is null))
            return batch.clone();

        // One mask [N, 1, H, W] from per-image bounds; an image without a region gets an empty one.
        var device = batch.device;
        Tensor Bound(Func<ErasedRegion, int> pick) =>
            tensor(regions.Select(r => r is { } region ? pick(region) : 0).ToArray(), dtype: int64, device: device).view(n, 1, 1, 1);
        var (top, left) = (Bound(r => r.Top), Bound(r => r.Left));
        var (bottom, right) = (top + Bound(r => r.Height), left + Bound(r => r.Width));
        var rows = arange(height, dtype: int64, device: device).view(1, 1, height, 1);
        var columns = arange(width, dtype: int64, device: device).view(1, 1, 1, width);
        var mask = rows.ge(top).logical_and(rows.lt(bottom)).logical_and(columns.ge(left)).logical_and(columns.lt(right));
        return batch.masked_fill(mask, Fill);
    }

    ErasedRegion? DrawRegion(int height, int width)
    {
        var (logMin, logMax) = (Math.Log(MinAspect), Math.Log(MaxAspect));
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var area = height * (double)width * Uniform(MinArea, MaxArea);
            var aspect = Math.Exp(Uniform(logMin, logMax));
            var h = (int)Math.Round(Math.Sqrt(area * aspect));
            var w = (int)Math.Round(Math.Sqrt(area / aspect));
            if (h >= height || w >= width)
                continue;
            return new ErasedRegion(Random.Next(0, height - h + 1), Random.Next(0, width - w + 1), h, w);
        }
        return null;
    }
}
