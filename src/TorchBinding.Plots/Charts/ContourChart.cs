using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// A function of two variables as filled contours (level sets and the bands between them), with paths drawn over
/// it: the optimisation lecture's picture of optimizers walking down a loss surface (Rosenbrock's valley, Beale's
/// plateau). Levels default to quantiles of the function over the box, so surfaces spanning many decades (as most
/// test functions do) still get lines everywhere; give <see cref="Levels"/> to choose them.
/// </summary>
/// <example><code>
/// new ContourChart((x, y) =&gt; Math.Pow(1 - x, 2) + 100 * Math.Pow(y - x * x, 2), (-2, 2), (-1, 3)) { Title = "Rosenbrock" }
///     .AddPath("adam", xs, ys).AddPoint("minimum", 1, 1).Save("rosenbrock.png");
/// </code></example>
public sealed class ContourChart : Chart
{
    readonly Func<double, double, double> _function;
    readonly (double Min, double Max) _x, _y;
    readonly List<(string? Name, double[] X, double[] Y, SKColor? Color)> _paths = [];
    readonly List<(string? Name, double X, double Y)> _points = [];
    Sampling? _grid;

    /// <summary>A contour chart of <paramref name="function"/> over the box <paramref name="x"/> × <paramref name="y"/>.</summary>
    /// <param name="function">f(x, y); non-finite values leave holes.</param>
    /// <param name="x">The x range shown.</param>
    /// <param name="y">The y range shown.</param>
    /// <exception cref="ArgumentException">A range is empty or not finite.</exception>
    public ContourChart(Func<double, double, double> function, (double Min, double Max) x, (double Min, double Max) y)
    {
        ArgumentNullException.ThrowIfNull(function);
        foreach (var (range, name) in new[] { (x, "x"), (y, "y") })
        {
            if (!double.IsFinite(range.Min) || !double.IsFinite(range.Max) || !(range.Max > range.Min))
                throw new ArgumentException($"ContourChart: the {name} range [{range.Min}, {range.Max}] must be finite with Max > Min.", name);
        }
        (_function, _x, _y) = (function, x, y);
        Legend = LegendPosition.Right;
    }

    /// <summary>Grid points per axis at which the function is evaluated (default 200).</summary>
    public int Resolution { get; set; } = 200;

    /// <summary>The values at which contour lines are drawn (null: <see cref="LevelCount"/> quantiles of the function over the box).</summary>
    public IReadOnlyList<double>? Levels { get; set; }

    /// <summary>How many levels to draw when <see cref="Levels"/> is null (default 14).</summary>
    public int LevelCount { get; set; } = 14;

    /// <summary>Whether to fill the bands between levels with colours, low values first (default true).</summary>
    public bool Shaded { get; set; } = true;

    /// <summary>The shading's colours, low values first (default Viridis, lightened).</summary>
    public Colormap Colormap { get; set; } = Colormap.Viridis;

    /// <summary>The levels actually drawn at the last render (for tests and captions).</summary>
    internal IReadOnlyList<double> DrawnLevels { get; private set; } = [];

    /// <summary>Adds a path (e.g. the iterates of an optimizer): a line from its first point, which gets a hollow
    /// marker, to its last, which gets a filled one. Points after the first non-finite one are dropped (a diverged run).</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="x">The x coordinates, shape [N].</param>
    /// <param name="y">The y coordinates, shape [N].</param>
    /// <param name="color">The colour (default: the path's palette colour).</param>
    public ContourChart AddPath(string? name, Values x, Values y, SKColor? color = null)
    {
        var (xs, ys) = (x.Vector(nameof(x)), y.Vector(nameof(y)));
        if (xs.Length != ys.Length)
            throw new ArgumentException($"Path '{name}' has {xs.Length} x values but {ys.Length} y values.", nameof(y));
        var finite = 0;
        while (finite < xs.Length && double.IsFinite(xs[finite]) && double.IsFinite(ys[finite]))
            finite++;
        if (finite == 0)
            throw new ArgumentException($"Path '{name}' has no finite first point.", nameof(x));
        _paths.Add((name, xs[..finite], ys[..finite], color));
        return this;
    }

    /// <summary>Marks a point (e.g. the minimum) with a star.</summary>
    public ContourChart AddPoint(string? name, double x, double y)
    {
        _points.Add((name, x, y));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        var grid = Evaluate();
        var levels = ChooseLevels(grid);
        DrawnLevels = levels;
        if (Shaded)
        {
            var bitmap = DisposeAfterRender(Shading(grid, levels));
            var image = DisposeAfterRender(new ScottPlot.Image(bitmap));
            var (hx, hy) = ((_x.Max - _x.Min) / (Resolution - 1) / 2, (_y.Max - _y.Min) / (Resolution - 1) / 2);
            plot.Add.ImageRect(image, new CoordinateRect(_x.Min - hx, _x.Max + hx, _y.Min - hy, _y.Max + hy)).AntiAlias = true;
        }
        var lines = new List<(double, double, double, double)>();
        var shifted = new double[Resolution, Resolution];
        foreach (var level in levels)
        {
            for (var j = 0; j < Resolution; j++)
                for (var i = 0; i < Resolution; i++)
                    shifted[j, i] = grid.Values[j, i] - level;
            lines.AddRange(MarchingSquares.ZeroCrossings(shifted, grid.Xs, grid.Ys));
        }
        plot.Add.Plottable(new Segments(lines, Theme.Ink.WithAlpha(110), 0.9f));

        var colours = Palette.ForCount(Math.Max(1, _paths.Count));
        for (var p = 0; p < _paths.Count; p++)
        {
            var (name, x, y, colour) = _paths[p];
            var c = ToColor(colour ?? colours[p]);
            var line = plot.Add.ScatterLine(x, y, c);
            line.LineWidth = 2;
            line.MarkerSize = x.Length <= 60 ? 4 : 0;
            line.MarkerShape = x.Length <= 60 ? MarkerShape.FilledCircle : MarkerShape.None;
            if (!string.IsNullOrEmpty(name))
                line.LegendText = name;
            var start = plot.Add.Marker(x[0], y[0], MarkerShape.OpenCircle, 10, c);
            start.MarkerLineWidth = 2;
            plot.Add.Marker(x[^1], y[^1], MarkerShape.FilledCircle, 9, c);
        }
        foreach (var (name, x, y) in _points)
        {
            var star = plot.Add.Marker(x, y, MarkerShape.FilledDiamond, 13, ToColor(Theme.Ink));
            if (!string.IsNullOrEmpty(name))
                star.LegendText = name;
        }
        plot.Axes.Margins(0, 0);
    }

    private protected override void ConfigureAxes(Plot plot, AxisLimits limits) => plot.Axes.SetLimits(XMin ?? _x.Min, XMax ?? _x.Max, YMin ?? _y.Min, YMax ?? _y.Max);

    Sampling Evaluate()
    {
        if (_grid is not null && _grid.Resolution == Resolution)
            return _grid;
        if (Resolution is < 8 or > 2000)
            throw new ArgumentOutOfRangeException(nameof(Resolution), Resolution, "The grid resolution must be between 8 and 2000 points per axis.");
        var xs = Enumerable.Range(0, Resolution).Select(i => _x.Min + (_x.Max - _x.Min) * i / (Resolution - 1)).ToArray();
        var ys = Enumerable.Range(0, Resolution).Select(j => _y.Min + (_y.Max - _y.Min) * j / (Resolution - 1)).ToArray();
        var values = new double[Resolution, Resolution];
        for (var j = 0; j < Resolution; j++)
            for (var i = 0; i < Resolution; i++)
                values[j, i] = _function(xs[i], ys[j]);
        var finite = values.Cast<double>().Where(double.IsFinite).Order().ToArray();
        if (finite.Length == 0)
            throw new InvalidOperationException("ContourChart: the function has no finite value in the box.");
        _grid = new Sampling(Resolution, xs, ys, values, finite);
        return _grid;
    }

    IReadOnlyList<double> ChooseLevels(Sampling grid)
    {
        if (Levels is { } given)
        {
            if (given.Count == 0 || given.Any(l => !double.IsFinite(l)))
                throw new ArgumentException("ContourChart.Levels must hold at least one finite value.");
            return given;
        }
        if (LevelCount < 1)
            throw new ArgumentOutOfRangeException(nameof(LevelCount), LevelCount, "LevelCount must be positive.");
        // Quantiles of the values over the box, from the lowest few percent up: every band covers the same area.
        var sorted = grid.Sorted;
        return Enumerable.Range(1, LevelCount)
            .Select(k => sorted[(int)Math.Round((sorted.Length - 1) * Math.Pow(k / (LevelCount + 1.0), 1.6))])
            .Distinct().ToList();
    }

    /// <summary>Filled contours: each band between two levels gets one colour, low values first.</summary>
    SKBitmap Shading(Sampling grid, IReadOnlyList<double> levels)
    {
        var n = grid.Resolution;
        var bitmap = new SKBitmap(n, n, SKColorType.Rgba8888, SKAlphaType.Premul);
        var pixels = new SKColor[n * n];
        var sortedLevels = levels.Order().ToArray();
        var bands = Enumerable.Range(0, sortedLevels.Length + 1)
            .Select(b => Palette.Lighten(Colormap.Map(b / (double)Math.Max(1, sortedLevels.Length)), 0.55)).ToArray();
        for (var j = 0; j < n; j++)
            for (var i = 0; i < n; i++)
            {
                var v = grid.Values[j, i];
                pixels[(n - 1 - j) * n + i] = double.IsFinite(v) ? bands[LowerBound(sortedLevels, v)] : SKColors.White;
            }
        bitmap.Pixels = pixels;
        return bitmap;
    }

    static int LowerBound(double[] sorted, double v)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] < v)
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints() => _paths.SelectMany(p => Sample(p.X, p.Y));

    sealed record Sampling(int Resolution, double[] Xs, double[] Ys, double[,] Values, double[] Sorted);
}
