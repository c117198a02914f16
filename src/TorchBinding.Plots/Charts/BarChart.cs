using System.Globalization;
using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// Bars over named categories (per-class accuracy, parameter counts, a probability vector); several series
/// are grouped side by side. A series may carry an interval per bar (a confidence interval, a min–max range),
/// drawn as an error bar.
/// </summary>
/// <example><code>
/// new BarChart(["cat", "dog", "bird"]) { Title = "Per-class accuracy" }.Add("test", [0.91, 0.87, 0.78]).Save("acc.png");
/// </code></example>
public sealed class BarChart : Chart
{
    readonly string[] _categories;
    readonly List<(string? Name, double[] Values, SKColor? Color, (double[] Low, double[] High)? Intervals)> _series = [];

    /// <summary>A bar chart over <paramref name="categories"/>, in order.</summary>
    public BarChart(IReadOnlyList<string> categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        if (categories.Count == 0)
            throw new ArgumentException("A bar chart needs at least one category.", nameof(categories));
        _categories = categories.ToArray();
    }

    /// <summary>Whether each bar shows its value (default true while there are at most 16 bars and no error bars).</summary>
    public bool? ShowValues { get; set; }

    /// <summary>The .NET format of value labels (default "0.###").</summary>
    public string ValueFormat { get; set; } = "0.###";

    /// <summary>Adds a series: one value per category.</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="values">One value per category, shape [categories].</param>
    /// <param name="color">The colour (default: the series' palette colour).</param>
    public BarChart Add(string? name, Values values, SKColor? color = null)
    {
        var v = values.Vector(nameof(values));
        if (v.Length != _categories.Length)
            throw new ArgumentException($"There are {_categories.Length} categories but series '{name}' has {v.Length} values.", nameof(values));
        _series.Add((name, v, color, null));
        return this;
    }

    /// <summary>Adds a series with an interval around each value, drawn as an error bar from low to high.</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="values">One value per category, shape [categories].</param>
    /// <param name="low">The lower end of each interval (≤ the value).</param>
    /// <param name="high">The upper end of each interval (≥ the value).</param>
    /// <param name="color">The colour (default: the series' palette colour).</param>
    /// <exception cref="ArgumentException">A length differs from the categories', or an interval does not contain its value.</exception>
    public BarChart Add(string? name, Values values, Values low, Values high, SKColor? color = null)
    {
        var v = values.Vector(nameof(values));
        var (lo, hi) = (low.Vector(nameof(low)), high.Vector(nameof(high)));
        if (v.Length != _categories.Length || lo.Length != _categories.Length || hi.Length != _categories.Length)
            throw new ArgumentException($"There are {_categories.Length} categories but series '{name}' has {v.Length} values, {lo.Length} lower and {hi.Length} upper ends.", nameof(values));
        for (var i = 0; i < v.Length; i++)
        {
            if (!(lo[i] <= v[i] && v[i] <= hi[i]))
                throw new ArgumentException($"Series '{name}', category '{_categories[i]}': the interval [{lo[i]}, {hi[i]}] does not contain the value {v[i]}.", nameof(low));
        }
        _series.Add((name, v, color, (lo, hi)));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        if (_series.Count == 0)
            throw new InvalidOperationException("The bar chart has no data; add a series with Add(name, values).");
        var colours = Palette.ForCount(_series.Count);
        var groupWidth = 0.8;
        var barWidth = groupWidth / _series.Count;
        var showValues = ShowValues ?? (_categories.Length * _series.Count <= 16 && _series.All(s => s.Intervals is null));
        for (var s = 0; s < _series.Count; s++)
        {
            var (name, values, colour, intervals) = _series[s];
            var fill = ToColor(colour ?? colours[s]);
            var bars = plot.Add.Bars(values.Select((v, i) => new Bar
            {
                Position = i - groupWidth / 2 + barWidth * (s + 0.5),
                Value = double.IsFinite(v) ? v : 0,
                Size = barWidth * 0.92,
                FillColor = fill,
                LineWidth = 0,
                Label = showValues && double.IsFinite(v) ? v.ToString(ValueFormat, CultureInfo.InvariantCulture) : "",
            }).ToArray());
            bars.ValueLabelStyle.FontSize = Theme.SmallSize;
            bars.ValueLabelStyle.ForeColor = ToColor(Theme.Ink);
            bars.ValueLabelStyle.FontName = PlotFonts.Family;
            if (!string.IsNullOrEmpty(name))
                bars.LegendText = name;
            if (intervals is var (low, high))
            {
                // A vertical line from low to high with caps a third of the bar wide.
                var whiskers = new List<(double, double, double, double)>();
                var cap = barWidth * 0.3 / 2;
                for (var i = 0; i < values.Length; i++)
                {
                    var x = i - groupWidth / 2 + barWidth * (s + 0.5);
                    whiskers.Add((x, low[i], x, high[i]));
                    whiskers.Add((x - cap, low[i], x + cap, low[i]));
                    whiskers.Add((x - cap, high[i], x + cap, high[i]));
                }
                plot.Add.Plottable(new Segments(whiskers, Theme.Ink, 1.5f, fitLimits: true));
            }
        }
        var all = _series.SelectMany(s => s.Intervals is var (lo, hi) ? s.Values.Concat(lo).Concat(hi) : s.Values).Where(double.IsFinite).ToArray();
        plot.Axes.Margins(0.02, 0.02, all.Length > 0 && all.Min() >= 0 ? 0 : 0.1, 0.12);
    }

    private protected override void ConfigureAxes(Plot plot, AxisLimits limits)
    {
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, _categories.Length).Select(i => (double)i).ToArray(), _categories);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Grid.XAxisStyle.IsVisible = false;
        // Rotate category names that would collide.
        var available = (Width - 120.0) / _categories.Length;
        if (_categories.Any(c => Text.Width(c, Theme.TickSize) > available - 6))
        {
            plot.Axes.Bottom.TickLabelStyle.Rotation = -35;
            plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleRight;
        }
    }

    // Bars fill every corner, so the legend goes beside them.
    private protected override LegendPosition? AutoLegendPosition => LegendPosition.Right;
}
