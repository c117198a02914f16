using SkiaSharp;

namespace TorchBinding.Plots.Rendering;

/// <summary>An RGB picture decoded from numbers: a [H, W] or [C, H, W] image (C = 1, 3 or 4).</summary>
internal sealed class Raster
{
    Raster(int width, int height, SKColor[] pixels)
    {
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major, opaque.</summary>
    public SKColor[] Pixels { get; }

    public SKColor this[int x, int y] => Pixels[y * Width + x];

    /// <summary>
    /// Decodes an image. Value range: [<paramref name="min"/>, <paramref name="max"/>] when given; else [0, 1] if every
    /// value lies there, [0, 255] if every value is a whole number there, else the image's own min to max.
    /// Single-channel images go through <paramref name="colormap"/>; RGBA is composited over white.
    /// </summary>
    public static Raster From(double[] data, IReadOnlyList<long> shape, string name, double? min, double? max, Colormap colormap)
    {
        var (channels, height, width) = shape.Count switch
        {
            2 => (1, (int)shape[0], (int)shape[1]),
            3 when shape[0] is 1 or 3 or 4 => ((int)shape[0], (int)shape[1], (int)shape[2]),
            3 => throw new ArgumentException($"{name}: a [C, H, W] image needs C = 1, 3 or 4 channels; got shape {Shapes.Format(shape.ToArray())}. Show feature maps as a grid of [1, H, W] images (ImageGrid) instead.", name),
            _ => throw new ArgumentException($"{name} must be an image [H, W] or [C, H, W]; got shape {Shapes.Format(shape.ToArray())}.", name),
        };
        if (width == 0 || height == 0)
            throw new ArgumentException($"{name} is empty (shape {Shapes.Format(shape.ToArray())}).", name);
        var (lo, hi) = Range(data, min, max, name);
        var plane = width * height;
        var pixels = new SKColor[plane];
        byte Byte(double v) => (byte)Math.Round(255 * Math.Clamp((v - lo) / (hi - lo), 0, 1));
        for (var i = 0; i < plane; i++)
        {
            if (channels == 1)
            {
                var v = data[i];
                pixels[i] = double.IsFinite(v) ? colormap.Map((v - lo) / (hi - lo)) : SKColors.Magenta;
                continue;
            }
            var (r, g, b) = (Byte(data[i]), Byte(data[plane + i]), Byte(data[2 * plane + i]));
            if (channels == 4)
            {
                var a = Math.Clamp((data[3 * plane + i] - lo) / (hi - lo), 0, 1);
                byte Over(byte c) => (byte)Math.Round(c * a + 255 * (1 - a));
                (r, g, b) = (Over(r), Over(g), Over(b));
            }
            pixels[i] = new SKColor(r, g, b);
        }
        return new Raster(width, height, pixels);
    }

    /// <summary>The value range an image is shown with (see <see cref="From"/>).</summary>
    public static (double Min, double Max) Range(double[] data, double? min, double? max, string name)
    {
        if (min is { } a && max is { } b)
        {
            if (!(a < b))
                throw new ArgumentException($"{name}: the value range needs min < max; got min {a} and max {b}.", name);
            return (a, b);
        }
        var finite = data.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
            return (min ?? 0, max ?? 1);
        var (lo, hi) = (finite.Min(), finite.Max());
        (double, double) auto = lo >= 0 && hi <= 1 ? (0, 1)
            : lo >= 0 && hi <= 255 && finite.All(v => v == Math.Floor(v)) ? (0, 255)
            : (lo, hi);
        var result = (min ?? auto.Item1, max ?? auto.Item2);
        if (!(result.Item1 < result.Item2))
            result = (result.Item1 - 0.5, result.Item1 + 0.5); // a constant image shows as mid-grey
        return result;
    }

    public SKBitmap ToBitmap()
    {
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        bitmap.Pixels = Pixels;
        return bitmap;
    }

    public static Raster FromPixels(int width, int height, SKColor[] pixels) => new(width, height, pixels);

    /// <summary>Draws the raster into <paramref name="target"/>, scaled with crisp (nearest-neighbour) pixels.</summary>
    public void Draw(SKCanvas canvas, SKRect target)
    {
        using var bitmap = ToBitmap();
        using var image = SKImage.FromBitmap(bitmap);
        using var paint = new SKPaint();
        canvas.DrawImage(image, new SKRect(0, 0, Width, Height), target, new SKSamplingOptions(SKFilterMode.Nearest), paint);
    }

    /// <summary>The largest rectangle of this raster's aspect ratio centred in <paramref name="area"/>.</summary>
    public SKRect FitInto(SKRect area) => Fit(Width, Height, area);

    /// <summary>The largest rectangle of aspect <paramref name="width"/>:<paramref name="height"/> centred in <paramref name="area"/>,
    /// snapped to whole pixels (and to whole multiples of the source size when enlarging), so pixels stay square and crisp.</summary>
    public static SKRect Fit(int width, int height, SKRect area)
    {
        var scale = Math.Min(area.Width / width, area.Height / height);
        if (scale >= 1)
            scale = MathF.Floor(scale);
        var (w, h) = (MathF.Max(1, MathF.Round(width * scale)), MathF.Max(1, MathF.Round(height * scale)));
        var left = MathF.Round(area.Left + (area.Width - w) / 2);
        var top = MathF.Round(area.Top + (area.Height - h) / 2);
        return new SKRect(left, top, left + w, top + h);
    }
}
