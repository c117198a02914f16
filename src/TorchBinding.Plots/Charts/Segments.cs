using ScottPlot;
using SkiaSharp;

namespace TorchBinding.Plots.Charts;

/// <summary>A ScottPlot plottable drawing many line segments in data coordinates with one path (contours).</summary>
internal sealed class Segments(IReadOnlyList<(double X1, double Y1, double X2, double Y2)> segments, SKColor colour, float width) : IPlottable
{
    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new Axes();

    public IEnumerable<LegendItem> LegendItems => LegendItem.None;

    public AxisLimits GetAxisLimits() => AxisLimits.NoLimits;

    public void Render(RenderPack rp)
    {
        using var path = new SKPath();
        foreach (var (x1, y1, x2, y2) in segments)
        {
            path.MoveTo(Axes.GetPixelX(x1), Axes.GetPixelY(y1));
            path.LineTo(Axes.GetPixelX(x2), Axes.GetPixelY(y2));
        }
        using var paint = new SKPaint { Color = colour, StrokeWidth = width, IsStroke = true, IsAntialias = true, StrokeCap = SKStrokeCap.Round };
        rp.Canvas.DrawPath(path, paint);
    }
}
