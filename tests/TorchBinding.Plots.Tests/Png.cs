using SkiaSharp;

namespace TorchBinding.Plots.Tests;

/// <summary>Decodes PNGs with SkiaSharp directly and answers questions about their pixels.</summary>
static class Png
{
    /// <summary>Decodes PNG bytes; fails the test when they are not a PNG.</summary>
    public static SKBitmap Decode(byte[] png)
    {
        Assert.That(png.Take(8).ToArray(), Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
        var bitmap = SKBitmap.Decode(png);
        Assert.That(bitmap, Is.Not.Null, "the PNG decodes");
        return bitmap;
    }

    /// <summary>Decodes a PNG file.</summary>
    public static SKBitmap Load(string path) => Decode(File.ReadAllBytes(path));

    /// <summary>How many distinct colours the image has (a blank image has 1).</summary>
    public static int DistinctColours(SKBitmap bitmap) => bitmap.Pixels.Distinct().Count();

    /// <summary>The share of pixels that are not (near) white.</summary>
    public static double InkFraction(SKBitmap bitmap) =>
        bitmap.Pixels.Count(p => p.Red < 245 || p.Green < 245 || p.Blue < 245) / (double)bitmap.Pixels.Length;

    /// <summary>Decodes, checks the size and that the picture is not blank.</summary>
    public static SKBitmap AssertValid(byte[] png, int width, int height)
    {
        var bitmap = Decode(png);
        Assert.Multiple(() =>
        {
            Assert.That(bitmap.Width, Is.EqualTo(width), "width");
            Assert.That(bitmap.Height, Is.EqualTo(height), "height");
            Assert.That(DistinctColours(bitmap), Is.GreaterThan(8), "not blank: several colours");
            Assert.That(InkFraction(bitmap), Is.GreaterThan(0.005), "not blank: some ink");
        });
        return bitmap;
    }

    /// <summary>Euclidean distance of two colours in RGB.</summary>
    public static double Distance(SKColor a, SKColor b)
    {
        double dr = a.Red - b.Red, dg = a.Green - b.Green, db = a.Blue - b.Blue;
        return Math.Sqrt(dr * dr + dg * dg + db * db);
    }

    /// <summary>The number of pixels in a rectangle that differ between two images of one size.</summary>
    public static int ChangedPixels(SKBitmap a, SKBitmap b, SKRectI area)
    {
        var changed = 0;
        for (var y = area.Top; y < area.Bottom; y++)
            for (var x = area.Left; x < area.Right; x++)
                if (a.GetPixel(x, y) != b.GetPixel(x, y))
                    changed++;
        return changed;
    }
}
