using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>What the height of a histogram bin shows.</summary>
public enum HistogramScale
{
    /// <summary>The number of samples in the bin.</summary>
    Count,
    /// <summary>The fraction of the series' samples in the bin (heights sum to 1).</summary>
    Fraction,
    /// <summary>A probability density (areas sum to 1), comparable with a density curve.</summary>
    Density,
}

/// <summary>
/// Histograms of one or more samples over shared bins, overlaid with translucent fills (e.g. real vs
/// generated data), or as cumulative step curves. Tensors of any shape are flattened.
/// </summary>
/// <example><code>
/// new HistogramChart { Title = "Generated vs real", Scale = HistogramScale.Density }
///     .Add("real", realSamples).Add("generated", generated).Save("hist.png");
/// </code></example>
public sealed class HistogramChart : Chart
{
    readonly List<(string? Name, double[] Values, SKColor? Color)> _series = [];
    readonly List<(double X, double Y)> _drawn = [];

    /// <summary>The number of bins (default 30).</summary>
    public int Bins { get; set; } = 30;

    /// <summary>Whether to draw cumulative step curves instead of bars.</summary>
    public bool Cumulative { get; set; }

    /// <summary>What a bin's height shows (default counts). Cumulative curves show counts for <see cref="HistogramScale.Count"/>,
    /// else fractions (rising to 1).</summary>
    public HistogramScale Scale { get; set; } = HistogramScale.Count;

    /// <summary>The lower edge of the first bin (null: the smallest value).</summary>
    public double? RangeMin { get; set; }

    /// <summary>The upper edge of the last bin (null: the largest value).</summary>
    public double? RangeMax { get; set; }

    /// <summary>Adds a sample (any shape; non-finite values are left out).</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="values">The sample.</param>
    /// <param name="color">The colour (default: the series' palette colour).</param>
    public HistogramChart Add(string? name, Values values, SKColor? color = null)
    {
        var flat = values.Flat(nameof(values));
        _series.Add((name, Density.SortedFinite(flat, name ?? $"series {_series.Count + 1}"), color));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        if (_series.Count == 0)
            throw new InvalidOperationException("The histogram has no data; add a sample with Add(name, values).");
        if (Bins is < 1 or > 10000)
            throw new ArgumentOutOfRangeException(nameof(Bins), Bins, "The number of bins must be between 1 and 10000.");
        var lo = RangeMin ?? _series.Min(s => s.Values[0]);
        var hi = RangeMax ?? _series.Max(s => s.Values[^1]);
        if (!(hi > lo))
            (lo, hi) = (lo - 0.5, hi + 0.5);
        var width = (hi - lo) / Bins;
        var edges = Enumerable.Range(0, Bins + 1).Select(i => lo + i * width).ToArray();
        var colours = Palette.ForCount(_series.Count);
        var alpha = _series.Count == 1 ? 0.75 : 0.45;
        _drawn.Clear();
        foreach (var (series, s) in _series.Select((v, i) => (v, i)))
        {
            var heights = Heights(series.Values, lo, width);
            // The legend avoids the bars and the area under them.
            for (var i = 0; i < heights.Length; i++)
                for (var f = 0; f <= 4; f++)
                    _drawn.Add((lo + (i + 0.5) * width, heights[i] * f / 4));
            var colour = ToColor(series.Color ?? colours[s]);
            if (Cumulative)
            {
                // Steps from the first edge: value i holds over bin i.
                var step = plot.Add.ScatterLine(edges, heights.Append(heights[^1]).ToArray(), colour);
                step.ConnectStyle = ConnectStyle.StepHorizontal;
                step.LineWidth = 2.2f;
                step.MarkerSize = 0;
                if (!string.IsNullOrEmpty(series.Name))
                    step.LegendText = series.Name;
                continue;
            }
            var bars = plot.Add.Bars(heights.Select((h, i) => new Bar
            {
                Position = lo + (i + 0.5) * width,
                Value = h,
                Size = width,
                FillColor = colour.WithAlpha(alpha),
                LineWidth = 0,
            }).ToArray());
            if (!string.IsNullOrEmpty(series.Name))
                bars.LegendText = series.Name;
            var outline = plot.Add.ScatterLine(edges, heights.Append(heights[^1]).ToArray(), colour);
            outline.ConnectStyle = ConnectStyle.StepHorizontal;
            outline.LineWidth = 1.4f;
            outline.MarkerSize = 0;
        }
        plot.Axes.Margins(0.02, 0.02, 0, 0.08);
        plot.Axes.Left.Label.Text = YLabel ?? (Cumulative, Scale) switch
        {
            (true, HistogramScale.Count) => "cumulative count",
            (true, _) => "cumulative fraction",
            (_, HistogramScale.Count) => "count",
            (_, HistogramScale.Fraction) => "fraction",
            _ => "density",
        };
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints() => _drawn;

    double[] Heights(double[] values, double lo, double width)
    {
        var counts = new double[Bins];
        foreach (var v in values)
        {
            var b = (int)Math.Floor((v - lo) / width);
            if (b == Bins && v <= lo + Bins * width * (1 + 1e-12))
                b = Bins - 1; // the last bin includes its upper edge
            if (b >= 0 && b < Bins)
                counts[b]++;
        }
        var n = values.Length;
        if (Cumulative)
        {
            for (var i = 1; i < Bins; i++)
                counts[i] += counts[i - 1];
            return Scale == HistogramScale.Count ? counts : counts.Select(c => c / n).ToArray();
        }
        return Scale switch
        {
            HistogramScale.Fraction => counts.Select(c => c / n).ToArray(),
            HistogramScale.Density => counts.Select(c => c / (n * width)).ToArray(),
            _ => counts,
        };
    }
}
