using TorchBinding.Runtime;
using TorchBinding.Statistics;
using static TorchSharp.torch;

namespace TorchBinding.Data.Synthetic;

/// <summary>
/// A semantic segmentation set for the U-Net lecture: grey images of random filled circles, axis-aligned
/// rectangles and triangles on a black background, and per-pixel class masks.
/// </summary>
public static class ShapesSegmentation
{
    /// <summary>The mask classes: 0 background, 1 circle, 2 rectangle, 3 triangle.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = ["background", "circle", "rectangle", "triangle"];

    /// <summary>
    /// n images float32 <c>[n, 1, size, size]</c> and masks int64 <c>[n, size, size]</c>. Each image holds 1 to 3
    /// shapes of a random kind, each a filled region of grey level in [0.5, 1] whose bounding box (side between
    /// size/8 and 3·size/8, at least 3 pixels: 8..24 at size 64) lies inside the image; later shapes overwrite
    /// earlier ones in image and mask alike. A pixel belongs to a shape when its centre does: circle
    /// |p - c|² ≤ r², triangle by the signs of its three edge functions. Gaussian noise of standard deviation
    /// <paramref name="noise"/> is then added to every pixel (not clipped), so the mask, not a threshold, is the truth.
    /// </summary>
    /// <param name="n">Number of images (>= 1).</param>
    /// <param name="size">Image side in pixels (>= 16).</param>
    /// <param name="noise">Standard deviation of the pixel noise (>= 0; 0 = clean images).</param>
    /// <param name="seed">Seed of the shapes and the noise.</param>
    public static InMemoryDataset Generate(int n, int size = 64, double noise = 0.05, int? seed = null)
    {
        Check.Positive(n);
        Check.AtLeast(size, 16, "shapes need room to be told apart");
        Check.NonNegative(noise);
        var random = Generation.NewRandom(seed);
        var noiseRandom = new Random(random.Next()); // its own stream: the same seed gives the same shapes at any noise level
        var pixels = size * size;
        var images = new float[(long)n * pixels];
        var masks = new long[(long)n * pixels];
        for (var i = 0; i < n; i++)
        {
            var image = images.AsSpan(i * pixels, pixels);
            var mask = masks.AsSpan(i * pixels, pixels);
            var shapes = random.Next(1, 4);
            for (var s = 0; s < shapes; s++)
                Draw(image, mask, size, random);
            if (noise > 0)
            {
                foreach (ref var pixel in image)
                    pixel += (float)(noise * noiseRandom.NextNormal());
            }
        }
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        return new InMemoryDataset(tensor(images, [n, 1, size, size]), tensor(masks, [n, size, size]), "shapes", ClassNames);
    }

    /// <summary>Draws one random shape into the image and its class into the mask.</summary>
    static void Draw(Span<float> image, Span<long> mask, int size, Random random)
    {
        var smallest = Math.Max(3, size / 8);
        var largest = Math.Max(smallest, 3 * size / 8);
        var kind = random.Next(1, 4); // the class: 1 circle, 2 rectangle, 3 triangle
        var width = random.Next(smallest, largest + 1);
        var height = kind == 2 ? random.Next(smallest, largest + 1) : width;
        var left = random.Next(0, size - width + 1);
        var top = random.Next(0, size - height + 1);
        var grey = (float)(0.5 + 0.5 * random.NextDouble());

        // The shape in continuous coordinates inside its box [left, left+width] x [top, top+height].
        Func<double, double, bool> inside;
        switch (kind)
        {
            case 1:
                var (cx, cy, r) = (left + width / 2.0, top + height / 2.0, width / 2.0);
                inside = (x, y) => (x - cx) * (x - cx) + (y - cy) * (y - cy) <= r * r;
                break;
            case 2:
                inside = (_, _) => true;
                break;
            default:
                // Base along one horizontal side of the box, apex anywhere on the opposite side.
                var (baseY, apexY) = random.Next(2) == 0 ? (top + height, top) : (top, top + height);
                var apexX = left + width * random.NextDouble();
                inside = (x, y) => InTriangle(x, y, (left, baseY), (left + width, baseY), (apexX, apexY));
                break;
        }
        for (var y = top; y < top + height; y++)
        {
            for (var x = left; x < left + width; x++)
            {
                if (inside(x + 0.5, y + 0.5)) // the pixel's centre
                {
                    image[y * size + x] = grey;
                    mask[y * size + x] = kind;
                }
            }
        }
    }

    /// <summary>Whether p lies in triangle abc (edges included): the three edge functions do not disagree in sign.</summary>
    static bool InTriangle(double x, double y, (double X, double Y) a, (double X, double Y) b, (double X, double Y) c)
    {
        static double Edge((double X, double Y) from, (double X, double Y) to, double x, double y) =>
            (to.X - from.X) * (y - from.Y) - (to.Y - from.Y) * (x - from.X);
        var (e1, e2, e3) = (Edge(a, b, x, y), Edge(b, c, x, y), Edge(c, a, x, y));
        return !((e1 < 0 || e2 < 0 || e3 < 0) && (e1 > 0 || e2 > 0 || e3 > 0));
    }
}
