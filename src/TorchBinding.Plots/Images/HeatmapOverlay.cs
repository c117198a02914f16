using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Images;

/// <summary>
/// An image with a heatmap laid over it (Grad-CAM, saliency, occlusion maps). The heatmap may be coarser than
/// the image (a CNN's last feature map): it is stretched over the image with bilinear interpolation. By default
/// its opacity grows with its value, so cold regions leave the image visible.
/// </summary>
/// <example><code>
/// new HeatmapOverlay(image, gradCam) { Title = "Grad-CAM: 'tabby cat'" }.Save("gradcam.png");
/// </code></example>
public sealed class HeatmapOverlay : Figure
{
    readonly double[] _image;
    readonly long[] _imageShape;
    readonly double[,] _heat;

    /// <summary>An overlay of <paramref name="heat"/> [h, w] on <paramref name="image"/> [H, W] or [C, H, W].</summary>
    public HeatmapOverlay(Values image, Values heat)
    {
        _image = image.Data as double[] ?? image.Data.ToArray();
        _imageShape = image.Shape.ToArray();
        Raster.From(_image, _imageShape, nameof(image), null, null, Colormap.Grayscale); // checks the shape now
        _heat = heat.Matrix(nameof(heat));
    }

    /// <summary>The heatmap's colour map (default Inferno).</summary>
    public Colormap Colormap { get; set; } = Colormap.Inferno;

    /// <summary>The heatmap's largest opacity, 0 to 1 (default 0.75).</summary>
    public double Opacity { get; set; } = 0.75;

    /// <summary>Whether opacity grows with the heat value (default true); false: uniform opacity.</summary>
    public bool OpacityFollowsValue { get; set; } = true;

    /// <summary>The heat value at the colour map's low end (null: the smallest).</summary>
    public double? Min { get; set; }

    /// <summary>The heat value at the colour map's high end (null: the largest).</summary>
    public double? Max { get; set; }

    /// <summary>Whether to draw a colour bar (default true).</summary>
    public bool ShowColorBar { get; set; } = true;

    /// <summary>The colour bar's title.</summary>
    public string? ColorBarLabel { get; set; }

    (double Min, double Max) HeatRange()
    {
        var finite = _heat.Cast<double>().Where(double.IsFinite).ToArray();
        var lo = Min ?? (finite.Length > 0 ? finite.Min() : 0);
        var hi = Max ?? (finite.Length > 0 ? finite.Max() : 1);
        if ((Min is not null || Max is not null) && !(lo < hi))
            throw new ArgumentException($"The overlay's value range needs min < max; got min {lo} and max {hi}.");
        return hi > lo ? (lo, hi) : (lo - 0.5, lo + 0.5);
    }

    private protected override (int Width, int Height) DefaultSize
    {
        get
        {
            var (h, w) = (_imageShape[^2], _imageShape[^1]);
            var scale = Math.Max(1, Math.Floor(320.0 / Math.Max(h, w)));
            var (min, max) = HeatRange();
            var bar = ShowColorBar ? ColorBar.TotalWidth(min, max, ColorBarLabel) + 8 : 0;
            return ((int)Math.Ceiling(w * scale + 16 + bar), (int)(h * scale + 16 + TitleBand.HeightOf(Title)));
        }
    }

    private protected override void Draw(SKCanvas canvas, SKRect area)
    {
        if (!(Opacity is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(Opacity), Opacity, "The opacity must be between 0 and 1.");
        var (min, max) = HeatRange();
        var below = TitleBand.Draw(canvas, area, Title);
        var bar = ShowColorBar ? ColorBar.TotalWidth(min, max, ColorBarLabel) + 8 : 0;
        var baseImage = Raster.From(_image, _imageShape, "image", null, null, Colormap.Grayscale);
        var target = baseImage.FitInto(new SKRect(below.Left + 8, below.Top + 8, below.Right - 8 - bar, below.Bottom - 8));
        var (tw, th) = ((int)target.Width, (int)target.Height);
        var (hh, hw) = (_heat.GetLength(0), _heat.GetLength(1));
        var pixels = new SKColor[tw * th];
        for (var y = 0; y < th; y++)
            for (var x = 0; x < tw; x++)
            {
                var under = baseImage[Math.Min(baseImage.Width - 1, x * baseImage.Width / tw), Math.Min(baseImage.Height - 1, y * baseImage.Height / th)];
                // Bilinear sample of the heat at this pixel's centre, in heat-cell units.
                var v = Bilinear((x + 0.5) * hw / tw - 0.5, (y + 0.5) * hh / th - 0.5);
                var t = Math.Clamp((v - min) / (max - min), 0, 1);
                // The square root keeps middling values visible when opacity follows the value.
                var alpha = double.IsFinite(v) ? Opacity * (OpacityFollowsValue ? Math.Sqrt(t) : 1) : 0;
                var colour = Colormap.Map(t);
                byte Mix(byte a, byte b) => (byte)Math.Round(a * (1 - alpha) + b * alpha);
                pixels[y * tw + x] = new SKColor(Mix(under.Red, colour.Red), Mix(under.Green, colour.Green), Mix(under.Blue, colour.Blue));
            }
        Raster.FromPixels(tw, th, pixels).Draw(canvas, target);
        if (ShowColorBar)
            ColorBar.Draw(canvas, new SKRect(target.Right, target.Top, area.Right - 4, target.Bottom), Colormap, min, max, ColorBarLabel);
    }

    double Bilinear(double x, double y)
    {
        var (rows, columns) = (_heat.GetLength(0), _heat.GetLength(1));
        x = Math.Clamp(x, 0, columns - 1);
        y = Math.Clamp(y, 0, rows - 1);
        var (x0, y0) = ((int)Math.Floor(x), (int)Math.Floor(y));
        var (x1, y1) = (Math.Min(x0 + 1, columns - 1), Math.Min(y0 + 1, rows - 1));
        var (fx, fy) = (x - x0, y - y0);
        var top = _heat[y0, x0] * (1 - fx) + _heat[y0, x1] * fx;
        var bottom = _heat[y1, x0] * (1 - fx) + _heat[y1, x1] * fx;
        return top * (1 - fy) + bottom * fy;
    }
}
