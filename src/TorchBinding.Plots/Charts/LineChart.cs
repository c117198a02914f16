using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// Lines of one or more series: loss curves, learning-rate schedules, train vs validation. Series without
/// x values are drawn at 1, 2, 3, ... (epochs). With <see cref="LogY"/> the y axis is logarithmic.
/// </summary>
/// <example><code>
/// new LineChart { Title = "Loss", XLabel = "epoch", YLabel = "cross-entropy", LogY = true }
///     .Add("train", trainLoss)
///     .Add("validation", valLoss)
///     .Save("runs/mlp/loss.png");
/// </code></example>
public sealed class LineChart : Chart
{
    readonly List<Series> _series = [];

    /// <summary>Whether the y axis is logarithmic (non-positive values are then left out).</summary>
    public bool LogY { get; set; }

    /// <summary>Whether points get markers; null (default): only for series of at most 40 points.</summary>
    public bool? ShowMarkers { get; set; }

    /// <summary>Whether one unit has the same length on both axes (paths in the plane, circles that look round).</summary>
    public bool EqualAxes { get; set; }

    /// <summary>The number of series added.</summary>
    public int SeriesCount => _series.Count;

    /// <summary>Adds a series drawn at x = 1, 2, ..., N (epochs).</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="y">The values, shape [N]; NaN marks a missing value.</param>
    /// <param name="color">The colour (default: the series' palette colour).</param>
    /// <param name="dashed">Whether the line is dashed.</param>
    /// <param name="width">The line width in pixels.</param>
    /// <param name="markers">Whether this series' points get markers (null: as <see cref="ShowMarkers"/> says).</param>
    public LineChart Add(string? name, Values y, SKColor? color = null, bool dashed = false, float width = 2f, bool? markers = null)
    {
        var ys = y.Vector(nameof(y));
        return AddSeries(name, Enumerable.Range(1, ys.Length).Select(i => (double)i).ToArray(), ys, color, dashed, width, markers);
    }

    /// <summary>Adds a series of (x, y) points, drawn in the given order.</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="x">The x values, shape [N].</param>
    /// <param name="y">The y values, shape [N]; NaN marks a missing value.</param>
    /// <param name="color">The colour (default: the series' palette colour).</param>
    /// <param name="dashed">Whether the line is dashed.</param>
    /// <param name="width">The line width in pixels.</param>
    /// <param name="markers">Whether this series' points get markers (null: as <see cref="ShowMarkers"/> says).</param>
    public LineChart Add(string? name, Values x, Values y, SKColor? color = null, bool dashed = false, float width = 2f, bool? markers = null) =>
        AddSeries(name, x.Vector(nameof(x)), y.Vector(nameof(y)), color, dashed, width, markers);

    LineChart AddSeries(string? name, double[] x, double[] y, SKColor? color, bool dashed, float width, bool? markers = null)
    {
        if (x.Length != y.Length)
            throw new ArgumentException($"Series '{name ?? $"series {_series.Count + 1}"}' has {x.Length} x values but {y.Length} y values.", nameof(y));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        _series.Add(new Series(name, x, y, color, dashed, width, markers));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        if (_series.Count == 0)
            throw new InvalidOperationException("The line chart has no series; add one with Add(name, values).");
        var colours = Palette.ForCount(_series.Count);
        for (var s = 0; s < _series.Count; s++)
        {
            var series = _series[s];
            var (x, y) = Points(series);
            var line = plot.Add.ScatterLine(x, y, ToColor(series.Color ?? colours[s]));
            line.LineWidth = series.Width;
            line.LinePattern = series.Dashed ? LinePattern.Dashed : LinePattern.Solid;
            var markers = series.Markers ?? ShowMarkers ?? series.Y.Length <= 40;
            line.MarkerSize = markers ? 5 + series.Width : 0;
            line.MarkerShape = markers ? MarkerShape.FilledCircle : MarkerShape.None;
            if (!string.IsNullOrEmpty(series.Name))
                line.LegendText = series.Name;
        }
        if (EqualAxes)
            plot.Axes.SquareUnits();
    }

    (double[] X, double[] Y) Points(Series series)
    {
        var x = new List<double>(series.X.Length);
        var y = new List<double>(series.Y.Length);
        for (var i = 0; i < series.X.Length; i++)
        {
            var (xi, yi) = (series.X[i], series.Y[i]);
            if (!double.IsFinite(xi) || !double.IsFinite(yi) || (LogY && yi <= 0))
                continue;
            x.Add(xi);
            y.Add(LogY ? Math.Log10(yi) : yi);
        }
        if (x.Count == 0)
            throw new ArgumentException(LogY
                ? $"Series '{series.Name}' has no positive finite value to draw on a logarithmic axis."
                : $"Series '{series.Name}' has no finite value.");
        return (x.ToArray(), y.ToArray());
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints() =>
        _series.SelectMany(s => Sample(s.X, LogY ? s.Y.Select(v => v > 0 ? Math.Log10(v) : double.NaN).ToArray() : s.Y));

    private protected override void ConfigureAxes(Plot plot, AxisLimits limits)
    {
        if (!LogY)
            return;
        var (major, minor) = Ticks.Log(limits.Bottom, limits.Top);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var v in major)
            ticks.AddMajor(Math.Log10(v), Ticks.Format(v));
        foreach (var v in minor)
            ticks.AddMinor(Math.Log10(v));
        plot.Axes.Left.TickGenerator = ticks;
    }

    sealed record Series(string? Name, double[] X, double[] Y, SKColor? Color, bool Dashed, float Width, bool? Markers);
}
