using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// Lines of one or more series: loss curves, learning-rate schedules, train vs validation. Series without
/// x values are drawn at 1, 2, 3, ... (epochs). With <see cref="LogY"/> (<see cref="LogX"/>) the y (x) axis is
/// logarithmic. <see cref="AddBand"/> shades a range under the lines (the spread over seeds, min to max).
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
    readonly List<Band> _bands = [];

    /// <summary>Whether the y axis is logarithmic (non-positive values are then left out).</summary>
    public bool LogY { get; set; }

    /// <summary>Whether the x axis is logarithmic (points with a non-positive x are then left out).</summary>
    public bool LogX { get; set; }

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

    /// <summary>
    /// Adds a shaded band between <paramref name="lower"/> and <paramref name="upper"/> (e.g. the smallest and largest
    /// value over seeds around a mean line), drawn under the lines in a translucent <paramref name="color"/>.
    /// </summary>
    /// <param name="name">The legend entry (null: none, as when the band belongs to a line of the same colour).</param>
    /// <param name="x">The x values, shape [N].</param>
    /// <param name="lower">The band's lower edge, shape [N].</param>
    /// <param name="upper">The band's upper edge, shape [N].</param>
    /// <param name="color">The colour (default: the palette colour of the series added before it, or the first).</param>
    /// <exception cref="ArgumentException">The three have different lengths, or a lower value exceeds its upper value.</exception>
    public LineChart AddBand(string? name, Values x, Values lower, Values upper, SKColor? color = null)
    {
        var (xs, lo, hi) = (x.Vector(nameof(x)), lower.Vector(nameof(lower)), upper.Vector(nameof(upper)));
        if (xs.Length != lo.Length || xs.Length != hi.Length)
            throw new ArgumentException($"Band '{name}' has {xs.Length} x values, {lo.Length} lower and {hi.Length} upper values; they must match.", nameof(upper));
        for (var i = 0; i < xs.Length; i++)
        {
            if (lo[i] > hi[i])
                throw new ArgumentException($"Band '{name}': at x = {xs[i]} the lower edge {lo[i]} is above the upper edge {hi[i]}.", nameof(lower));
        }
        _bands.Add(new Band(name, xs, lo, hi, color, Math.Max(0, _series.Count - 1)));
        return this;
    }

    /// <summary>The number of bands added.</summary>
    public int BandCount => _bands.Count;

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
        var colours = Palette.ForCount(Math.Max(1, _series.Count));
        foreach (var band in _bands)
        {
            var keep = Enumerable.Range(0, band.X.Length).Where(i => double.IsFinite(band.X[i]) && double.IsFinite(band.Lower[i]) && double.IsFinite(band.Upper[i])
                && (!LogX || band.X[i] > 0) && (!LogY || band.Lower[i] > 0)).ToArray();
            if (keep.Length == 0)
                throw new ArgumentException($"Band '{band.Name}' has no finite point to draw{(LogX || LogY ? " on a logarithmic axis" : "")}.");
            var fill = plot.Add.FillY(keep.Select(i => AxisX(band.X[i])).ToArray(), keep.Select(i => AxisY(band.Lower[i])).ToArray(), keep.Select(i => AxisY(band.Upper[i])).ToArray());
            var colour = band.Color ?? (_series.Count > 0 ? _series[Math.Min(band.SeriesIndex, _series.Count - 1)].Color ?? colours[Math.Min(band.SeriesIndex, colours.Count - 1)] : colours[0]);
            fill.FillColor = ToColor(colour.WithAlpha(60));
            fill.LineWidth = 0;
            if (!string.IsNullOrEmpty(band.Name))
                fill.LegendText = band.Name;
        }
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
            if (!double.IsFinite(xi) || !double.IsFinite(yi) || (LogY && yi <= 0) || (LogX && xi <= 0))
                continue;
            x.Add(AxisX(xi));
            y.Add(AxisY(yi));
        }
        if (x.Count == 0)
            throw new ArgumentException(LogY || LogX
                ? $"Series '{series.Name}' has no positive finite value to draw on a logarithmic axis."
                : $"Series '{series.Name}' has no finite value.");
        return (x.ToArray(), y.ToArray());
    }

    /// <summary>Where x lands on the plot's axis: log10 of it on a logarithmic axis.</summary>
    double AxisX(double x) => LogX ? (x > 0 ? Math.Log10(x) : double.NaN) : x;

    /// <summary>Where y lands on the plot's axis: log10 of it on a logarithmic axis.</summary>
    double AxisY(double y) => LogY ? (y > 0 ? Math.Log10(y) : double.NaN) : y;

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints() =>
        _series.SelectMany(s => Sample(s.X.Select(AxisX).ToArray(), s.Y.Select(AxisY).ToArray()))
            .Concat(_bands.SelectMany(b => Sample(b.X.Select(AxisX).ToArray(), b.Upper.Select(AxisY).ToArray())))
            .Concat(_bands.SelectMany(b => Sample(b.X.Select(AxisX).ToArray(), b.Lower.Select(AxisY).ToArray())));

    private protected override void ConfigureAxes(Plot plot, AxisLimits limits)
    {
        if (LogY)
            plot.Axes.Left.TickGenerator = LogTicks(limits.Bottom, limits.Top);
        if (LogX)
            plot.Axes.Bottom.TickGenerator = LogTicks(limits.Left, limits.Right);
    }

    static ScottPlot.TickGenerators.NumericManual LogTicks(double low, double high)
    {
        var (major, minor) = Ticks.Log(low, high);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var v in major)
            ticks.AddMajor(Math.Log10(v), Ticks.Format(v));
        foreach (var v in minor)
            ticks.AddMinor(Math.Log10(v));
        return ticks;
    }

    sealed record Series(string? Name, double[] X, double[] Y, SKColor? Color, bool Dashed, float Width, bool? Markers);

    sealed record Band(string? Name, double[] X, double[] Lower, double[] Upper, SKColor? Color, int SeriesIndex);
}
