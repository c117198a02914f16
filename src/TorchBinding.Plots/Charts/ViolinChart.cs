using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// Violins: each 1-D sample's density drawn mirrored around its own position on the x axis, with its
/// quartiles and median, so several distributions can be compared side by side (e.g. the steps of a
/// diffusion process). Tensors of any shape are flattened.
/// </summary>
/// <example><code>
/// var chart = new ViolinChart { Title = "Reverse process", YLabel = "x" };
/// foreach (var t in new[] { 1000, 500, 100, 0 }) chart.Add($"t={t}", samplesAt[t]);
/// chart.Save("violins.png");
/// </code></example>
public sealed class ViolinChart : Chart
{
    readonly List<(string Name, double[] Sorted)> _series = [];

    /// <summary>The kernel bandwidth (null: Silverman's rule, per violin).</summary>
    public double? Bandwidth { get; set; }

    /// <summary>The fill colour of all violins (null: the first palette colour).</summary>
    public SKColor? Color { get; set; }

    /// <summary>Whether to draw the interquartile box and the median (default true).</summary>
    public bool ShowQuartiles { get; set; } = true;

    /// <summary>Adds a violin at the next position.</summary>
    /// <param name="name">The label under the violin.</param>
    /// <param name="values">The sample (any shape; non-finite values are left out).</param>
    public ViolinChart Add(string name, Values values)
    {
        ArgumentNullException.ThrowIfNull(name);
        _series.Add((name, Density.SortedFinite(values.Flat(nameof(values)), name)));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        if (_series.Count == 0)
            throw new InvalidOperationException("The violin chart has no data; add a sample with Add(name, values).");
        if (Bandwidth is { } b && !(b > 0))
            throw new ArgumentOutOfRangeException(nameof(Bandwidth), b, "The bandwidth must be positive.");
        var colour = Color ?? Palette.OkabeIto[0];
        for (var s = 0; s < _series.Count; s++)
        {
            var sorted = _series[s].Sorted;
            var bandwidth = Bandwidth ?? Density.SilvermanBandwidth(sorted);
            var grid = Density.Linspace(sorted[0] - 2 * bandwidth, sorted[^1] + 2 * bandwidth, 200);
            var density = Density.Estimate(sorted, bandwidth, grid);
            var peak = density.Max();
            // Each violin is scaled to the same maximum half-width, so shapes compare, not sample sizes.
            var half = density.Select(d => peak > 0 ? 0.4 * d / peak : 0).ToArray();
            var outline = grid.Select((y, i) => new Coordinates(s + half[i], y))
                .Concat(grid.Select((y, i) => new Coordinates(s - half[i], y)).Reverse()).ToArray();
            var polygon = plot.Add.Polygon(outline);
            polygon.FillColor = ToColor(colour).WithAlpha(0.45);
            polygon.LineColor = ToColor(colour);
            polygon.LineWidth = 1.5f;
            if (ShowQuartiles)
            {
                var (q1, median, q3) = (Density.Quantile(sorted, 0.25), Density.Quantile(sorted, 0.5), Density.Quantile(sorted, 0.75));
                var box = plot.Add.Rectangle(s - 0.035, s + 0.035, q1, q3);
                box.FillColor = ToColor(Theme.Ink);
                box.LineWidth = 0;
                var dot = plot.Add.Markers(new[] { (double)s }, new[] { median }, MarkerShape.FilledCircle, 7, Colors.White);
                dot.MarkerLineColor = ToColor(Theme.Ink);
                dot.MarkerLineWidth = 1;
            }
        }
        plot.Axes.Margins(0.05, 0.05);
    }

    private protected override void ConfigureAxes(Plot plot, AxisLimits limits)
    {
        plot.Axes.SetLimitsX(XMin ?? -0.6, XMax ?? _series.Count - 0.4);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, _series.Count).Select(i => (double)i).ToArray(), _series.Select(s => s.Name).ToArray());
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Grid.XAxisStyle.IsVisible = false;
    }
}
