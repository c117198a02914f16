using ScottPlot;
using SkiaSharp;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// A ScottPlot plottable drawing many line segments in data coordinates with one path (contours, error bars). With
/// <paramref name="fitLimits"/> the axes' automatic limits include the segments (error bars must not be cut off).
/// </summary>
internal sealed class Segments(IReadOnlyList<(double X1, double Y1, double X2, double Y2)> segments, SKColor colour, float width, bool fitLimits = false) : IPlottable
{
    public bool IsVisible { get; set; } = true;

    public IAxes Axes { get; set; } = new Axes();

    public IEnumerable<LegendItem> LegendItems => LegendItem.None;

    public AxisLimits GetAxisLimits() => !fitLimits || segments.Count == 0 ? AxisLimits.NoLimits : new AxisLimits(
        segments.Min(s => Math.Min(s.X1, s.X2)), segments.Max(s => Math.Max(s.X1, s.X2)),
        segments.Min(s => Math.Min(s.Y1, s.Y2)), segments.Max(s => Math.Max(s.Y1, s.Y2)));

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
