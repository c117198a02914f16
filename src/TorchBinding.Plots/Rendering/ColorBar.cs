using SkiaSharp;

namespace TorchBinding.Plots.Rendering;

/// <summary>A vertical colour bar: the colour map from max (top) to min (bottom), ticks and an optional label.</summary>
internal static class ColorBar
{
    public const float BarWidth = 16;
    const float Gap = 14;

    /// <summary>The width the bar, its tick labels and its label take.</summary>
    public static float TotalWidth(double min, double max, string? label) =>
        Gap + BarWidth + 6 + TickValues(min, max).Select(v => Text.Width(Ticks.Format(v), Theme.TickSize)).DefaultIfEmpty(0).Max() + (string.IsNullOrEmpty(label) ? 4 : 26);

    /// <summary>The tick values: round values inside the range, with both ends always labelled.</summary>
    public static double[] TickValues(double min, double max)
    {
        var nice = Ticks.Nice(min, max, 5);
        var tolerance = (max - min) * 0.08;
        var inner = nice.Where(v => v - min > tolerance && max - v > tolerance);
        return [min, .. inner, max];
    }

    /// <summary>Draws the bar at the left of <paramref name="area"/> (full height); returns the bar's own rectangle.</summary>
    public static SKRect Draw(SKCanvas canvas, SKRect area, Colormap colormap, double min, double max, string? label)
    {
        var bar = new SKRect(area.Left + Gap, area.Top, area.Left + Gap + BarWidth, area.Bottom);
        var rows = Math.Max(1, (int)Math.Round(bar.Height));
        using (var paint = new SKPaint { IsAntialias = false })
        {
            for (var r = 0; r < rows; r++)
            {
                paint.Color = colormap.Map(rows == 1 ? 1 : 1 - r / (double)(rows - 1));
                canvas.DrawRect(bar.Left, bar.Top + r, BarWidth, 1, paint);
            }
        }
        using (var frame = new SKPaint { Color = Theme.Muted, IsStroke = true, StrokeWidth = 1, IsAntialias = false })
            canvas.DrawRect(bar.Left - 0.5f, bar.Top - 0.5f, BarWidth + 1, bar.Height + 1, frame);
        using var tick = new SKPaint { Color = Theme.Muted, StrokeWidth = 1, IsAntialias = true };
        foreach (var v in TickValues(min, max))
        {
            var y = (float)(bar.Bottom - (v - min) / (max - min) * bar.Height);
            canvas.DrawLine(bar.Right, y, bar.Right + 4, y, tick);
            Text.Draw(canvas, Ticks.Format(v), bar.Right + 6, Math.Clamp(y, bar.Top + 6, bar.Bottom - 6), Theme.TickSize, Theme.Ink, HAlign.Left, VAlign.Middle);
        }
        if (!string.IsNullOrEmpty(label))
            Text.Draw(canvas, label, area.Right - 8, bar.MidY, Theme.LabelSize - 1, Theme.Ink, HAlign.Center, VAlign.Middle, rotationDegrees: -90);
        return bar;
    }
}
