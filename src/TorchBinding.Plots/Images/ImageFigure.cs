using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Images;

/// <summary>
/// One image from numbers: a tensor [H, W] or [C, H, W] (C = 1, 3 or 4; CHW as torch stores images), shown
/// with crisp enlarged pixels. Value range: <see cref="Min"/>/<see cref="Max"/> when set; else [0, 1] if all values
/// lie there, [0, 255] for whole numbers there, else the image's own range. <see cref="FromTensor"/> also takes a
/// batch [N, C, H, W] and returns a grid.
/// </summary>
/// <example><code>
/// ImageFigure.FromTensor(batch.Inputs.reshape(-1, 1, 8, 8)[..16]).Save("samples.png");
/// new ImageFigure(image) { Title = "camera" }.Save("camera.png");
/// </code></example>
public sealed class ImageFigure : Figure
{
    readonly double[] _data;
    readonly long[] _shape;

    /// <summary>An image of shape [H, W] or [C, H, W].</summary>
    public ImageFigure(Values image)
    {
        _data = image.Data as double[] ?? image.Data.ToArray();
        _shape = image.Shape.ToArray();
        Raster.From(_data, _shape, nameof(image), null, null, Plots.Colormap.Grayscale); // checks the shape now
    }

    /// <summary>The value shown as black / the colour map's low end (null: automatic; symmetric about 0 for signed single-channel data).</summary>
    public double? Min { get; set; }

    /// <summary>The value shown as white / the colour map's high end (null: automatic, see <see cref="Min"/>).</summary>
    public double? Max { get; set; }

    /// <summary>The colour map of single-channel images (null: grayscale, or the diverging <see cref="Colormap.Balance"/> for signed data).</summary>
    public Colormap? Colormap { get; set; }

    /// <summary>
    /// A figure of <paramref name="images"/>: [H, W] or [C, H, W] gives an <see cref="ImageFigure"/>, a batch
    /// [N, C, H, W] (or [N, H, W] with N not 1, 3 or 4) an <see cref="ImageGrid"/>.
    /// </summary>
    public static Figure FromTensor(Values images)
    {
        var shape = images.Shape;
        return shape.Count == 4 || (shape.Count == 3 && shape[0] is not (1 or 3 or 4))
            ? ImageGrid.FromBatch(images)
            : new ImageFigure(images);
    }

    Raster Decode()
    {
        if (_shape.Length == 3 && _shape[0] > 1)
            return Raster.From(_data, _shape, "image", Min, Max, Plots.Colormap.Grayscale); // colour: no colour map
        var (min, max, colormap) = ValueScale.Resolve(_data, Min, Max, Colormap, Plots.Colormap.Grayscale);
        return Raster.From(_data, _shape, "image", min, max, colormap);
    }

    private protected override (int Width, int Height) DefaultSize
    {
        get
        {
            var (h, w) = (_shape[^2], _shape[^1]);
            // Enlarge small images by a whole factor to about 256 pixels; never shrink.
            var scale = Math.Max(1, (int)Math.Floor(256.0 / Math.Max(h, w)));
            return ((int)Math.Max(64, w * scale + 16), (int)(h * scale + 16 + TitleBand.HeightOf(Title)));
        }
    }

    private protected override void Draw(SKCanvas canvas, SKRect area)
    {
        var below = TitleBand.Draw(canvas, area, Title);
        var raster = Decode();
        var inner = new SKRect(below.Left + 8, below.Top + 8, below.Right - 8, below.Bottom - 8);
        raster.Draw(canvas, raster.FitInto(inner));
    }
}
