using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// A vector field in the plane as arrows at given points (a direction field, e.g. dy/dt = f(y) of a 2-D ODE),
/// with optional lines over it (trajectories). By default every arrow has the same length on screen and shows only
/// the direction, coloured by the vector's magnitude, so that slow and fast regions are both readable; arrows are
/// drawn in screen space, so they point the right way whatever the two axes' scales.
/// </summary>
/// <example><code>
/// // points [M, 2] on a grid, vectors [M, 2] = f(points)
/// new VectorFieldChart(points, vectors) { Title = "Learned f", XLabel = "x", YLabel = "v" }
///     .AddLine("trajectory", xs, vs)
///     .Save("field.png");
/// </code></example>
public sealed class VectorFieldChart : Chart
{
    readonly double[,] _points;
    readonly double[,] _vectors;
    readonly List<Line> _lines = [];

    /// <summary>A field of <paramref name="vectors"/> [M, 2] at <paramref name="points"/> [M, 2].</summary>
    /// <param name="points">Where the arrows start, shape [M, 2].</param>
    /// <param name="vectors">The vectors (u, v) at those points, shape [M, 2].</param>
    public VectorFieldChart(Values points, Values vectors)
    {
        _points = points.Matrix(nameof(points));
        _vectors = vectors.Matrix(nameof(vectors));
        if (_points.GetLength(1) != 2)
            throw new ArgumentException($"points must have shape [M, 2]; got [{_points.GetLength(0)}, {_points.GetLength(1)}].", nameof(points));
        if (_vectors.GetLength(0) != _points.GetLength(0) || _vectors.GetLength(1) != 2)
            throw new ArgumentException($"vectors must have shape [{_points.GetLength(0)}, 2] like points; got [{_vectors.GetLength(0)}, {_vectors.GetLength(1)}].", nameof(vectors));
        if (_points.GetLength(0) == 0)
            throw new ArgumentException("The vector field has no points.", nameof(points));
    }

    /// <summary>
    /// The arrows' length in pixels; with <see cref="Normalize"/> off, the length of the largest vector's arrow
    /// (default 14).
    /// </summary>
    public float ArrowLength { get; set; } = 14;

    /// <summary>Whether every arrow has the same length (direction only, default) or a length proportional to its magnitude.</summary>
    public bool Normalize { get; set; } = true;

    /// <summary>The colours of the arrows by magnitude (default grey, light: slow, dark: fast); null: all in <see cref="ArrowColor"/>.</summary>
    public Colormap? Colormap { get; set; } = Colormap.Grayscale.Reversed();

    /// <summary>The arrows' colour when <see cref="Colormap"/> is null.</summary>
    public SKColor ArrowColor { get; set; } = Theme.Muted;

    /// <summary>Whether one unit has the same length on both axes.</summary>
    public bool EqualAxes { get; set; }

    /// <summary>Adds a line over the field (e.g. a trajectory), drawn in the given order.</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="x">The x values, shape [N].</param>
    /// <param name="y">The y values, shape [N].</param>
    /// <param name="color">The colour (default: the line's palette colour).</param>
    /// <param name="dashed">Whether the line is dashed.</param>
    /// <param name="width">The line width in pixels.</param>
    public VectorFieldChart AddLine(string? name, Values x, Values y, SKColor? color = null, bool dashed = false, float width = 2.5f)
    {
        var (xs, ys) = (x.Vector(nameof(x)), y.Vector(nameof(y)));
        if (xs.Length != ys.Length)
            throw new ArgumentException($"Line '{name}' has {xs.Length} x values but {ys.Length} y values.", nameof(y));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        _lines.Add(new Line(name, xs, ys, color, dashed, width));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        if (!(ArrowLength > 0))
            throw new ArgumentOutOfRangeException(nameof(ArrowLength), ArrowLength, "The arrow length must be positive.");
        var count = _points.GetLength(0);
        var magnitudes = new double[count];
        for (var i = 0; i < count; i++)
            magnitudes[i] = Math.Sqrt(_vectors[i, 0] * _vectors[i, 0] + _vectors[i, 1] * _vectors[i, 1]);
        var finite = magnitudes.Where(double.IsFinite).ToArray();
        var (low, high) = finite.Length > 0 ? (finite.Min(), finite.Max()) : (0, 0);
        var arrows = new List<Arrow>(count);
        for (var i = 0; i < count; i++)
        {
            if (!double.IsFinite(magnitudes[i]) || !double.IsFinite(_points[i, 0]) || !double.IsFinite(_points[i, 1]))
                continue;
            // Lighter arrows are hard to see on white: use the upper 70 % of the colour map.
            var colour = Colormap is { } map ? map.Map(0.3 + 0.7 * (high > low ? (magnitudes[i] - low) / (high - low) : 1)) : ArrowColor;
            var scale = Normalize ? 1 : (high > 0 ? magnitudes[i] / high : 0);
            arrows.Add(new Arrow(_points[i, 0], _points[i, 1], _vectors[i, 0], _vectors[i, 1], (float)scale, colour));
        }
        plot.Add.Plottable(new ArrowSet(arrows, ArrowLength));
        var colours = Palette.ForCount(Math.Max(1, _lines.Count));
        for (var l = 0; l < _lines.Count; l++)
        {
            var line = _lines[l];
            var scatter = plot.Add.ScatterLine(line.X, line.Y, ToColor(line.Color ?? colours[l]));
            scatter.LineWidth = line.Width;
            scatter.LinePattern = line.Dashed ? LinePattern.Dashed : LinePattern.Solid;
            scatter.MarkerSize = 0;
            if (!string.IsNullOrEmpty(line.Name))
                scatter.LegendText = line.Name;
        }
        if (EqualAxes)
            plot.Axes.SquareUnits();
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints() =>
        _lines.SelectMany(l => Sample(l.X, l.Y));

    sealed record Line(string? Name, double[] X, double[] Y, SKColor? Color, bool Dashed, float Width);

    internal sealed record Arrow(double X, double Y, double U, double V, float Scale, SKColor Colour);

    /// <summary>Arrows drawn in pixel space: each data vector's screen direction, <c>length·scale</c> pixels long, centred on its point.</summary>
    sealed class ArrowSet(IReadOnlyList<Arrow> arrows, float length) : IPlottable
    {
        public bool IsVisible { get; set; } = true;

        public IAxes Axes { get; set; } = new Axes();

        public IEnumerable<LegendItem> LegendItems => LegendItem.None;

        public AxisLimits GetAxisLimits() => arrows.Count == 0
            ? AxisLimits.NoLimits
            : new AxisLimits(arrows.Min(a => a.X), arrows.Max(a => a.X), arrows.Min(a => a.Y), arrows.Max(a => a.Y));

        public void Render(RenderPack rp)
        {
            using var paint = new SKPaint { StrokeWidth = 1.4f, IsStroke = true, IsAntialias = true, StrokeCap = SKStrokeCap.Round };
            foreach (var group in arrows.GroupBy(a => a.Colour))
            {
                using var path = new SKPath();
                foreach (var a in group)
                {
                    var (px, py) = (Axes.GetPixelX(a.X), Axes.GetPixelY(a.Y));
                    // The screen direction of (u, v): pixels per unit may differ between the axes, and y grows downwards.
                    var dx = Axes.GetPixelX(a.X + a.U) - px;
                    var dy = Axes.GetPixelY(a.Y + a.V) - py;
                    var norm = MathF.Sqrt(dx * dx + dy * dy);
                    if (!(norm > 0) || !float.IsFinite(norm) || a.Scale <= 0)
                        continue;
                    var (ux, uy) = (dx / norm, dy / norm);
                    var half = length * a.Scale / 2;
                    var (x0, y0, x1, y1) = (px - ux * half, py - uy * half, px + ux * half, py + uy * half);
                    path.MoveTo(x0, y0);
                    path.LineTo(x1, y1);
                    var head = Math.Min(5f, 2 * half * 0.45f);
                    // Two barbs at ±25° from the reversed direction.
                    const float cos = 0.906f, sin = 0.423f;
                    path.MoveTo(x1, y1);
                    path.LineTo(x1 - head * (ux * cos - uy * sin), y1 - head * (uy * cos + ux * sin));
                    path.MoveTo(x1, y1);
                    path.LineTo(x1 - head * (ux * cos + uy * sin), y1 - head * (uy * cos - ux * sin));
                }
                paint.Color = group.Key;
                rp.Canvas.DrawPath(path, paint);
            }
        }
    }
}
