using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// Points in the plane, in groups: by class (<see cref="AddClasses"/>, coloured from the shared palette,
/// so the colours match a <see cref="DecisionBoundaryChart"/> of the same classes) or one named group at a time.
/// </summary>
/// <example><code>
/// new ScatterChart { Title = "Two moons" }.AddClasses(points, labels, ["upper", "lower"]).Save("moons.png");
/// </code></example>
public sealed class ScatterChart : Chart
{
    readonly List<Group> _groups = [];
    readonly List<Arrows> _arrows = [];

    /// <summary>The marker diameter in pixels.</summary>
    public float MarkerSize { get; set; } = 7;

    /// <summary>Whether one unit has the same length on both axes.</summary>
    public bool EqualAxes { get; set; }

    /// <summary>Adds one group of points.</summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="x">The x coordinates, shape [N].</param>
    /// <param name="y">The y coordinates, shape [N].</param>
    /// <param name="color">The colour (default: the group's palette colour).</param>
    /// <param name="marker">The markers' shape (default: filled circles).</param>
    /// <param name="size">The markers' size in pixels (default: <see cref="MarkerSize"/>).</param>
    public ScatterChart AddPoints(string? name, Values x, Values y, SKColor? color = null, PointMarker marker = PointMarker.Circle, float? size = null)
    {
        var (xs, ys) = ClassPoints.Pair(name, x, y);
        _groups.Add(new Group(name, xs, ys, color, marker, size));
        return this;
    }

    /// <summary>Adds points [N, 2] coloured by their class labels [N] (one group per class, in class order).</summary>
    /// <param name="points">The points, shape [N, 2].</param>
    /// <param name="labels">Class indices from 0, shape [N].</param>
    /// <param name="classNames">Legend names of the classes (default: "class 0", "class 1", ...).</param>
    public ScatterChart AddClasses(Values points, Values labels, IReadOnlyList<string>? classNames = null)
    {
        var classes = ClassPoints.Read(points, labels, classNames);
        for (var k = 0; k < classes.ClassCount; k++)
        {
            var (x, y) = classes.Of(k);
            _groups.Add(new Group(classes.Names[k], x, y, classes.Colours[k], PointMarker.Circle, null));
        }
        return this;
    }

    /// <summary>
    /// Adds an arrow from each point of <paramref name="from"/> to the point of <paramref name="to"/> with the same index,
    /// e.g. from each input to where a network maps it. Arrows are drawn under the points.
    /// </summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="from">The arrows' tails, shape [N, 2].</param>
    /// <param name="to">The arrows' heads, shape [N, 2].</param>
    /// <param name="color">The colour (default: grey ink).</param>
    public ScatterChart AddArrows(string? name, Values from, Values to, SKColor? color = null)
    {
        var (a, b) = (from.Matrix(nameof(from)), to.Matrix(nameof(to)));
        if (a.GetLength(1) != 2 || b.GetLength(1) != 2)
            throw new ArgumentException($"Arrow tails and heads must have shape [N, 2]; got [{a.GetLength(0)}, {a.GetLength(1)}] and [{b.GetLength(0)}, {b.GetLength(1)}].", a.GetLength(1) != 2 ? nameof(from) : nameof(to));
        if (a.GetLength(0) != b.GetLength(0))
            throw new ArgumentException($"There are {a.GetLength(0)} arrow tails but {b.GetLength(0)} heads.", nameof(to));
        _arrows.Add(new Arrows(name, a, b, color));
        return this;
    }

    private protected override void Build(Plot plot)
    {
        if (_groups.Count == 0)
            throw new InvalidOperationException("The scatter chart has no points; add some with AddPoints or AddClasses.");
        foreach (var group in _arrows)
        {
            var colour = Color.FromSKColor(group.Color ?? Theme.Ink.WithAlpha(150));
            for (var i = 0; i < group.From.GetLength(0); i++)
            {
                var arrow = plot.Add.Arrow(new Coordinates(group.From[i, 0], group.From[i, 1]), new Coordinates(group.To[i, 0], group.To[i, 1]));
                arrow.ArrowLineColor = colour;
                arrow.ArrowFillColor = colour;
                arrow.ArrowLineWidth = 0;
                arrow.ArrowWidth = 2;
                arrow.ArrowheadWidth = 10;
                arrow.ArrowheadLength = 12;
                if (i == 0 && !string.IsNullOrEmpty(group.Name))
                    arrow.LegendText = group.Name;
            }
        }
        var colours = Palette.ForCount(_groups.Count);
        for (var g = 0; g < _groups.Count; g++)
            ClassPoints.AddMarkers(plot, _groups[g].Name, _groups[g].X, _groups[g].Y, _groups[g].Color ?? colours[g], _groups[g].Size ?? MarkerSize, _groups[g].Marker);
        if (EqualAxes)
            plot.Axes.SquareUnits();
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints() => _groups.SelectMany(g => Sample(g.X, g.Y));

    sealed record Group(string? Name, double[] X, double[] Y, SKColor? Color, PointMarker Marker, float? Size);

    sealed record Arrows(string? Name, double[,] From, double[,] To, SKColor? Color);
}

/// <summary>Points [N, 2] with class labels [N], checked and split by class.</summary>
internal sealed class ClassPoints
{
    ClassPoints(double[] x, double[] y, int[] labels, IReadOnlyList<string> names)
    {
        X = x;
        Y = y;
        Labels = labels;
        Names = names;
        Colours = Palette.ForCount(names.Count);
    }

    public double[] X { get; }
    public double[] Y { get; }
    public int[] Labels { get; }
    public IReadOnlyList<string> Names { get; }
    public IReadOnlyList<SKColor> Colours { get; }
    public int ClassCount => Names.Count;

    public static ClassPoints Read(Values points, Values labels, IReadOnlyList<string>? classNames)
    {
        var p = points.Matrix(nameof(points));
        if (p.GetLength(1) != 2)
            throw new ArgumentException($"points must have shape [N, 2]; got [{p.GetLength(0)}, {p.GetLength(1)}].", nameof(points));
        var l = labels.Labels(nameof(labels));
        if (l.Length != p.GetLength(0))
            throw new ArgumentException($"There are {p.GetLength(0)} points but {l.Length} labels.", nameof(labels));
        var count = Math.Max(l.Max() + 1, classNames?.Count ?? 0);
        if (classNames is not null && classNames.Count < count)
            throw new ArgumentException($"{classNames.Count} class names were given, but the labels go up to {count - 1}.", nameof(classNames));
        var names = classNames ?? Enumerable.Range(0, count).Select(k => $"class {k}").ToList();
        var n = l.Length;
        var (x, y) = (new double[n], new double[n]);
        for (var i = 0; i < n; i++)
            (x[i], y[i]) = (p[i, 0], p[i, 1]);
        return new ClassPoints(x, y, l, names);
    }

    public (double[] X, double[] Y) Of(int k)
    {
        var index = Enumerable.Range(0, Labels.Length).Where(i => Labels[i] == k).ToArray();
        return (index.Select(i => X[i]).ToArray(), index.Select(i => Y[i]).ToArray());
    }

    /// <summary>x and y coordinates of one group, checked to pair up.</summary>
    public static (double[] X, double[] Y) Pair(string? name, Values x, Values y)
    {
        var (xs, ys) = (x.Vector(nameof(x)), y.Vector(nameof(y)));
        if (xs.Length != ys.Length)
            throw new ArgumentException($"Group '{name}' has {xs.Length} x values but {ys.Length} y values.", nameof(y));
        return (xs, ys);
    }

    /// <summary>
    /// Filled shapes with a thin white rim, so they stand out on coloured regions and on each other; crosses as
    /// bold lines in the colour.
    /// </summary>
    public static void AddMarkers(Plot plot, string? name, double[] x, double[] y, SKColor colour, float size, PointMarker marker = PointMarker.Circle)
    {
        var shape = marker switch
        {
            PointMarker.Cross => MarkerShape.Eks,
            PointMarker.Square => MarkerShape.FilledSquare,
            PointMarker.Triangle => MarkerShape.FilledTriangleUp,
            PointMarker.Diamond => MarkerShape.FilledDiamond,
            _ => MarkerShape.FilledCircle,
        };
        var markers = plot.Add.Markers(x, y, shape, size, Color.FromSKColor(colour));
        if (marker == PointMarker.Cross)
        {
            markers.MarkerLineColor = Color.FromSKColor(colour);
            markers.MarkerLineWidth = Math.Max(2f, size / 6);
        }
        else
        {
            markers.MarkerLineColor = Colors.White;
            markers.MarkerLineWidth = 0.8f;
        }
        if (!string.IsNullOrEmpty(name))
            markers.LegendText = name;
    }
}
