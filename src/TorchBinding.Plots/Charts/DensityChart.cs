using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// Smooth density curves (Gaussian kernel density estimates) of one or more 1-D samples, overlaid: e.g.
/// the data distribution at several steps of a diffusion process. Tensors of any shape are flattened.
/// </summary>
/// <example><code>
/// var chart = new DensityChart { Title = "Forward diffusion", XLabel = "x" };
/// foreach (var t in new[] { 0, 100, 300, 1000 }) chart.Add($"t = {t}", samplesAt[t]);
/// chart.Save("forward.png");
/// </code></example>
public sealed class DensityChart : Chart
{
    readonly List<(string? Name, double[] Sorted, SKColor? Color)> _series = [];

    /// <summary>The kernel bandwidth (null: Silverman's rule, per series).</summary>
    public double? Bandwidth { get; set; }

    /// <summary>Whether the area under each curve is tinted (default true).</summary>
    public bool Fill { get; set; } = true;

    /// <summary>Adds a sample.</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="values">The sample (any shape; non-finite values are left out).</param>
    /// <param name="color">The colour (default: the series' palette colour).</param>
    public DensityChart Add(string? name, Values values, SKColor? color = null)
    {
        _series.Add((name, Density.SortedFinite(values.Flat(nameof(values)), name ?? $"series {_series.Count + 1}"), color));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        if (_series.Count == 0)
            throw new InvalidOperationException("The density chart has no data; add a sample with Add(name, values).");
        if (Bandwidth is { } b && !(b > 0))
            throw new ArgumentOutOfRangeException(nameof(Bandwidth), b, "The bandwidth must be positive.");
        var bandwidths = _series.Select(s => Bandwidth ?? Density.SilvermanBandwidth(s.Sorted)).ToArray();
        var lo = _series.Select((s, i) => s.Sorted[0] - 3 * bandwidths[i]).Min();
        var hi = _series.Select((s, i) => s.Sorted[^1] + 3 * bandwidths[i]).Max();
        var grid = Density.Linspace(lo, hi, 400);
        var colours = Palette.ForCount(_series.Count);
        for (var s = 0; s < _series.Count; s++)
        {
            var density = Density.Estimate(_series[s].Sorted, bandwidths[s], grid);
            var colour = ToColor(_series[s].Color ?? colours[s]);
            if (Fill)
            {
                var fill = plot.Add.FillY(grid, density, new double[grid.Length]);
                fill.FillColor = colour.WithAlpha(0.18);
                fill.LineWidth = 0;
            }
            var line = plot.Add.ScatterLine(grid, density, colour);
            line.LineWidth = 2.2f;
            line.MarkerSize = 0;
            if (_series[s].Name is { Length: > 0 } name)
                line.LegendText = name;
        }
        plot.Axes.Margins(0, 0, 0, 0.08);
        plot.Axes.Left.Label.Text = YLabel ?? "density";
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints()
    {
        // Approximate each curve by its histogram, enough to find an empty corner.
        foreach (var (_, sorted, _) in _series)
        {
            var (lo, hi) = (sorted[0], sorted[^1]);
            var width = hi > lo ? (hi - lo) / 20 : 1;
            var counts = new int[20];
            foreach (var v in sorted)
                counts[Math.Clamp((int)((v - lo) / width), 0, 19)]++;
            for (var i = 0; i < 20; i++)
                for (var f = 0; f <= 4; f++)
                    yield return (lo + (i + 0.5) * width, counts[i] / (sorted.Length * width) * f / 4);
        }
    }
}
