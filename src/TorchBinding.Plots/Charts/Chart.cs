using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>Where a chart's legend goes.</summary>
public enum LegendPosition
{
    /// <summary>The inside corner with the fewest data points.</summary>
    Auto,
    /// <summary>Inside, upper right.</summary>
    UpperRight,
    /// <summary>Inside, upper left.</summary>
    UpperLeft,
    /// <summary>Inside, lower right.</summary>
    LowerRight,
    /// <summary>Inside, lower left.</summary>
    LowerLeft,
    /// <summary>Outside the data area, on the right.</summary>
    Right,
    /// <summary>No legend.</summary>
    Hidden,
}

/// <summary>
/// A chart with axes, drawn by ScottPlot 5: title, axis labels, legend, optional axis limits. Each kind of
/// chart adds its data; the look (font, palette, grid) is shared by all.
/// </summary>
public abstract class Chart : Figure
{
    private protected Chart() { }

    /// <summary>The x axis title.</summary>
    public string? XLabel { get; set; }

    /// <summary>The y axis title.</summary>
    public string? YLabel { get; set; }

    /// <summary>Where the legend goes (default: the emptiest inside corner). Only named series appear in it.</summary>
    public LegendPosition Legend { get; set; } = LegendPosition.Auto;

    /// <summary>The lower x limit (null: fitted to the data).</summary>
    public double? XMin { get; set; }

    /// <summary>The upper x limit (null: fitted to the data).</summary>
    public double? XMax { get; set; }

    /// <summary>The lower y limit (null: fitted to the data).</summary>
    public double? YMin { get; set; }

    /// <summary>The upper y limit (null: fitted to the data).</summary>
    public double? YMax { get; set; }

    /// <summary>Whether to draw grid lines (default true).</summary>
    public bool Grid { get; set; } = true;

    private protected override (int Width, int Height) DefaultSize => (720, 450);

    /// <summary>Where the last render put the data area and which coordinates it spans (for tests and overlays).</summary>
    internal ChartFrame? LastFrame { get; private set; }

    /// <summary>Adds the chart's plottables to <paramref name="plot"/>; validation of the data happens here or earlier.</summary>
    private protected abstract void Build(Plot plot);

    /// <summary>Data points the automatic legend should avoid covering (a sample suffices).</summary>
    private protected virtual IEnumerable<(double X, double Y)> LegendAvoidPoints() => [];

    /// <summary>Where <see cref="LegendPosition.Auto"/> puts the legend; null: the emptiest inside corner.</summary>
    private protected virtual LegendPosition? AutoLegendPosition => null;

    /// <summary>Adjusts axes after the limits are known (e.g. log-scale ticks, category labels).</summary>
    private protected virtual void ConfigureAxes(Plot plot, AxisLimits limits) { }

    readonly List<IDisposable> _renderResources = [];

    /// <summary>Disposes <paramref name="resource"/> (e.g. a bitmap a plottable draws) once the render is done.</summary>
    private protected T DisposeAfterRender<T>(T resource) where T : IDisposable
    {
        _renderResources.Add(resource);
        return resource;
    }

    private protected override void Draw(SKCanvas canvas, SKRect area)
    {
        try
        {
            DrawPlot(canvas, area);
        }
        finally
        {
            foreach (var resource in _renderResources)
                resource.Dispose();
            _renderResources.Clear();
        }
    }

    void DrawPlot(SKCanvas canvas, SKRect area)
    {
        using var plot = new Plot();
        ApplyStyle(plot);
        Build(plot);
        plot.Axes.AutoScale();
        var fitted = plot.Axes.GetLimits();
        plot.Axes.SetLimits(XMin ?? fitted.Left, XMax ?? fitted.Right, YMin ?? fitted.Bottom, YMax ?? fitted.Top);
        var limits = plot.Axes.GetLimits();
        ConfigureAxes(plot, limits);
        PlaceLegend(plot, limits);
        plot.Render(canvas, new PixelRect(area.Left, area.Right, area.Bottom, area.Top));
        var data = plot.LastRender.DataRect;
        var shown = plot.Axes.GetLimits();
        LastFrame = new ChartFrame(new SKRect(data.Left, data.Top, data.Right, data.Bottom), shown.Left, shown.Right, shown.Bottom, shown.Top);
    }

    void ApplyStyle(Plot plot)
    {
        plot.FigureBackground.Color = Color.FromSKColor(Theme.Background);
        plot.DataBackground.Color = Color.FromSKColor(Theme.Background);
        var ink = Color.FromSKColor(Theme.Ink);
        var muted = Color.FromSKColor(Theme.Muted);
        if (!string.IsNullOrEmpty(Title))
        {
            plot.Axes.Title.Label.Text = Title;
            plot.Axes.Title.Label.FontSize = Theme.TitleSize;
            plot.Axes.Title.Label.Bold = true;
            plot.Axes.Title.Label.ForeColor = ink;
        }
        foreach (var axis in plot.Axes.GetAxes())
        {
            axis.Label.FontSize = Theme.LabelSize;
            axis.Label.Bold = false;
            axis.Label.ForeColor = ink;
            axis.TickLabelStyle.FontSize = Theme.TickSize;
            axis.TickLabelStyle.ForeColor = ink;
            axis.MajorTickStyle.Color = muted;
            axis.MinorTickStyle.Color = muted;
            axis.FrameLineStyle.Color = Color.FromSKColor(new SKColor(0xAA, 0xAA, 0xAA));
        }
        plot.Axes.Bottom.Label.Text = XLabel ?? "";
        plot.Axes.Left.Label.Text = YLabel ?? "";
        plot.Grid.MajorLineColor = Color.FromSKColor(Theme.Grid);
        plot.Grid.MinorLineColor = Colors.Transparent;
        plot.Grid.IsVisible = Grid;
        plot.Axes.Margins(0.03, 0.06);
    }

    void PlaceLegend(Plot plot, AxisLimits limits)
    {
        var named = plot.GetPlottables().SelectMany(p => p.LegendItems).Count(i => !string.IsNullOrEmpty(i.LabelText));
        if (Legend == LegendPosition.Hidden || named == 0)
        {
            plot.HideLegend();
            return;
        }
        var legend = plot.Legend;
        legend.SetBestFontOnEachRender = false;
        legend.FontName = PlotFonts.Family;
        legend.FontSize = Theme.TickSize;
        legend.FontColor = Color.FromSKColor(Theme.Ink);
        legend.OutlineColor = Color.FromSKColor(new SKColor(0xCC, 0xCC, 0xCC));
        legend.BackgroundColor = Colors.White.WithAlpha(0.92);
        legend.ShadowColor = Colors.Transparent;
        var position = Legend == LegendPosition.Auto ? (named > 8 ? LegendPosition.Right : AutoLegendPosition ?? EmptiestCorner(limits)) : Legend;
        if (position == LegendPosition.Right)
        {
            plot.ShowLegend(Edge.Right);
            return;
        }
        plot.ShowLegend(position switch
        {
            LegendPosition.UpperLeft => Alignment.UpperLeft,
            LegendPosition.LowerRight => Alignment.LowerRight,
            LegendPosition.LowerLeft => Alignment.LowerLeft,
            _ => Alignment.UpperRight,
        });
    }

    LegendPosition EmptiestCorner(AxisLimits limits)
    {
        var (w, h) = (limits.Right - limits.Left, limits.Top - limits.Bottom);
        if (!(w > 0 && h > 0))
            return LegendPosition.UpperRight;
        // Count the points under each corner box (about the size a legend takes); first of equals wins.
        var corners = new (LegendPosition Position, double X0, double X1, double Y0, double Y1)[]
        {
            (LegendPosition.UpperRight, limits.Right - 0.4 * w, limits.Right, limits.Top - 0.35 * h, limits.Top),
            (LegendPosition.UpperLeft, limits.Left, limits.Left + 0.4 * w, limits.Top - 0.35 * h, limits.Top),
            (LegendPosition.LowerRight, limits.Right - 0.4 * w, limits.Right, limits.Bottom, limits.Bottom + 0.35 * h),
            (LegendPosition.LowerLeft, limits.Left, limits.Left + 0.4 * w, limits.Bottom, limits.Bottom + 0.35 * h),
        };
        var counts = new int[corners.Length];
        foreach (var (x, y) in LegendAvoidPoints())
            for (var c = 0; c < corners.Length; c++)
                if (x >= corners[c].X0 && x <= corners[c].X1 && y >= corners[c].Y0 && y <= corners[c].Y1)
                    counts[c]++;
        var best = 0;
        for (var c = 1; c < corners.Length; c++)
            if (counts[c] < counts[best])
                best = c;
        return corners[best].Position;
    }

    /// <summary>A ScottPlot colour from a Skia one.</summary>
    private protected static Color ToColor(SKColor colour) => Color.FromSKColor(colour);

    /// <summary>Points of a series thinned to at most <paramref name="max"/> for legend placement.</summary>
    private protected static IEnumerable<(double X, double Y)> Sample(IReadOnlyList<double> x, IReadOnlyList<double> y, int max = 400)
    {
        var step = Math.Max(1, x.Count / max);
        for (var i = 0; i < x.Count; i += step)
            if (double.IsFinite(x[i]) && double.IsFinite(y[i]))
                yield return (x[i], y[i]);
    }
}

/// <summary>The data area of a rendered chart in pixels and the coordinates it spans.</summary>
internal sealed record ChartFrame(SKRect DataRect, double XMin, double XMax, double YMin, double YMax)
{
    /// <summary>The pixel of data coordinates (x, y).</summary>
    public SKPoint ToPixel(double x, double y) => new(
        (float)(DataRect.Left + (x - XMin) / (XMax - XMin) * DataRect.Width),
        (float)(DataRect.Bottom - (y - YMin) / (YMax - YMin) * DataRect.Height));
}
