using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Plots.Charts;

/// <summary>How a decision boundary is drawn.</summary>
public enum BoundaryStyle
{
    /// <summary>Each class's region filled with a light tint of its colour, and the boundary as a line.</summary>
    RegionsAndContours,
    /// <summary>Only the filled regions.</summary>
    Regions,
    /// <summary>Only the boundary lines.</summary>
    Contours,
}

/// <summary>
/// A 2-D classifier's decision regions under the scatter of its data, coloured by class. The classifier is
/// evaluated on a grid over the data's range (plus a margin), in batches, without gradients, on the device of
/// the points tensor. It maps a batch [M, 2] to logits or probabilities [M, K] (class = argmax), or to scores
/// [M] / [M, 1] for two classes (class 1 where score &gt; <see cref="Threshold"/>).
/// </summary>
/// <example><code>
/// new DecisionBoundaryChart(x => model.call(x), points, labels) { Title = "MLP, 2 hidden layers" }.Save("boundary.png");
/// </code></example>
public sealed class DecisionBoundaryChart : Chart
{
    readonly Func<Tensor, Tensor> _classifier;
    readonly ClassPoints _points;
    readonly Device _device;
    readonly List<(string? Name, double[] X, double[] Y, SKColor Color, PointMarker Marker, float Size)> _overlays = [];
    Evaluation? _evaluation;

    /// <summary>A decision-boundary chart of <paramref name="classifier"/> over <paramref name="points"/>.</summary>
    /// <param name="classifier">Batch [M, 2] to [M, K] logits/probabilities, or [M] / [M, 1] scores.</param>
    /// <param name="points">The data, shape [N, 2] (a tensor's device is where the grid is evaluated).</param>
    /// <param name="labels">Class indices from 0, shape [N].</param>
    /// <param name="classNames">Legend names of the classes (default "class 0", ...).</param>
    public DecisionBoundaryChart(Func<Tensor, Tensor> classifier, Tensor points, Values labels, IReadOnlyList<string>? classNames = null)
        : this(classifier, (Values)points, labels, classNames, points?.device)
    {
    }

    /// <summary>A decision-boundary chart of <paramref name="classifier"/> over points given as numbers (grid evaluated on the CPU).</summary>
    /// <param name="classifier">Batch [M, 2] to [M, K] logits/probabilities, or [M] / [M, 1] scores.</param>
    /// <param name="points">The data, shape [N, 2].</param>
    /// <param name="labels">Class indices from 0, shape [N].</param>
    /// <param name="classNames">Legend names of the classes (default "class 0", ...).</param>
    public DecisionBoundaryChart(Func<Tensor, Tensor> classifier, Values points, Values labels, IReadOnlyList<string>? classNames = null)
        : this(classifier, points, labels, classNames, null)
    {
    }

    DecisionBoundaryChart(Func<Tensor, Tensor> classifier, Values points, Values labels, IReadOnlyList<string>? classNames, Device? device)
    {
        ArgumentNullException.ThrowIfNull(classifier);
        _classifier = classifier;
        _points = ClassPoints.Read(points, labels, classNames);
        TorchRuntime.EnsureInitialized();
        _device = device ?? CPU;
    }

    /// <summary>Grid points per axis (default 200: 40,000 evaluations).</summary>
    public int Resolution { get; set; } = 200;

    /// <summary>The margin around the data's range, as a fraction of that range (default 0.15).</summary>
    public double Margin { get; set; } = 0.15;

    /// <summary>Regions, boundary lines or both (default both).</summary>
    public BoundaryStyle Style { get; set; } = BoundaryStyle.RegionsAndContours;

    /// <summary>For score outputs ([M] or [M, 1]): the class-1 threshold. Null (default): 0.5 if every score lies in
    /// [0, 1] (probabilities), else 0 (logits).</summary>
    public double? Threshold { get; set; }

    /// <summary>The marker diameter in pixels.</summary>
    public float MarkerSize { get; set; } = 7;

    /// <summary>How much the region tint is lightened towards white (0: the full class colour, 1: white).</summary>
    public double RegionLightness { get; set; } = 0.7;

    /// <summary>
    /// Adds points drawn over the regions and the data, e.g. the centroids or codebook vectors whose nearest-point
    /// cells the regions are. They do not change the plotted range.
    /// </summary>
    /// <param name="name">The legend entry (null: none).</param>
    /// <param name="x">The x coordinates, shape [M].</param>
    /// <param name="y">The y coordinates, shape [M].</param>
    /// <param name="color">The colour (default: the ink colour).</param>
    /// <param name="marker">The markers' shape (default: crosses).</param>
    /// <param name="size">The markers' size in pixels.</param>
    public DecisionBoundaryChart AddPoints(string? name, Values x, Values y, SKColor? color = null, PointMarker marker = PointMarker.Cross, float size = 14)
    {
        var (xs, ys) = ClassPoints.Pair(name, x, y);
        _overlays.Add((name, xs, ys, color ?? Theme.Ink, marker, size));
        return this;
    }

    /// <summary>The class the classifier gives at grid point nearest to (x, y) (for tests).</summary>
    internal int ClassAt(double x, double y)
    {
        var e = Evaluate();
        var i = Nearest(e.Xs, x);
        var j = Nearest(e.Ys, y);
        return e.Classes[j, i];
    }

    private protected override void Build(Plot plot)
    {
        var e = Evaluate();
        if (Style != BoundaryStyle.Contours)
        {
            var bitmap = DisposeAfterRender(RegionBitmap(e));
            var image = DisposeAfterRender(new ScottPlot.Image(bitmap));
            var (hx, hy) = ((e.Xs[^1] - e.Xs[0]) / (e.Xs.Length - 1) / 2, (e.Ys[^1] - e.Ys[0]) / (e.Ys.Length - 1) / 2);
            var rect = plot.Add.ImageRect(image, new CoordinateRect(e.Xs[0] - hx, e.Xs[^1] + hx, e.Ys[0] - hy, e.Ys[^1] + hy));
            rect.AntiAlias = true;
        }
        if (Style != BoundaryStyle.Regions)
        {
            var segments = e.Fields.SelectMany(f => MarchingSquares.ZeroCrossings(f, e.Xs, e.Ys)).ToList();
            plot.Add.Plottable(new Segments(segments, Theme.Ink.WithAlpha(200), 1.6f));
        }
        for (var k = 0; k < _points.ClassCount; k++)
        {
            var (x, y) = _points.Of(k);
            if (x.Length > 0)
                ClassPoints.AddMarkers(plot, _points.Names[k], x, y, _points.Colours[k], MarkerSize);
        }
        foreach (var (name, x, y, color, marker, size) in _overlays)
            ClassPoints.AddMarkers(plot, name, x, y, color, size, marker);
        plot.Axes.Margins(0, 0);
        plot.Axes.SetLimits(e.Xs[0], e.Xs[^1], e.Ys[0], e.Ys[^1]);
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints() => Sample(_points.X, _points.Y);

    SKBitmap RegionBitmap(Evaluation e)
    {
        var (nx, ny) = (e.Xs.Length, e.Ys.Length);
        var tints = _points.Colours.Select(c => Palette.Lighten(c, RegionLightness)).ToArray();
        var bitmap = new SKBitmap(nx, ny, SKColorType.Rgba8888, SKAlphaType.Premul);
        var pixels = new SKColor[nx * ny];
        for (var j = 0; j < ny; j++)
            for (var i = 0; i < nx; i++)
            {
                var k = e.Classes[j, i];
                pixels[(ny - 1 - j) * nx + i] = k < tints.Length ? tints[k] : SKColors.LightGray; // row 0 is the top (largest y)
            }
        bitmap.Pixels = pixels;
        return bitmap;
    }

    Evaluation Evaluate()
    {
        var key = (Resolution, Margin, Threshold);
        if (_evaluation is not null && _evaluation.Key == key)
            return _evaluation;
        if (Resolution is < 8 or > 2000)
            throw new ArgumentOutOfRangeException(nameof(Resolution), Resolution, "The grid resolution must be between 8 and 2000 points per axis.");
        if (!(Margin >= 0))
            throw new ArgumentOutOfRangeException(nameof(Margin), Margin, "The margin must be a fraction >= 0.");
        var xs = Axis(_points.X, Margin, Resolution);
        var ys = Axis(_points.Y, Margin, Resolution);
        var outputs = Classify(xs, ys, out var columns);
        _evaluation = Decide(key, xs, ys, outputs, columns);
        return _evaluation;
    }

    static double[] Axis(double[] values, double margin, int n)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        if (finite.Length == 0)
            throw new ArgumentException("The points have no finite coordinates.");
        var (lo, hi) = (finite.Min(), finite.Max());
        var pad = hi > lo ? (hi - lo) * margin : 1;
        (lo, hi) = (lo - pad, hi + pad);
        return Enumerable.Range(0, n).Select(i => lo + (hi - lo) * i / (n - 1)).ToArray();
    }

    /// <summary>Runs the classifier on the grid (x fastest), in batches; returns the outputs row-major [M, columns].</summary>
    double[] Classify(double[] xs, double[] ys, out int columns)
    {
        var (nx, ny) = (xs.Length, ys.Length);
        var total = nx * ny;
        var grid = new float[total * 2];
        for (var j = 0; j < ny; j++)
            for (var i = 0; i < nx; i++)
            {
                grid[2 * (j * nx + i)] = (float)xs[i];
                grid[2 * (j * nx + i) + 1] = (float)ys[j];
            }
        const int batch = 16384;
        var result = new List<double>();
        columns = -1;
        using var noGrad = no_grad();
        for (var start = 0; start < total; start += batch)
        {
            var count = Math.Min(batch, total - start);
            using var scope = NewDisposeScope();
            var input = tensor(grid.AsSpan(2 * start, 2 * count).ToArray(), [count, 2]).to(_device);
            var output = _classifier(input) ?? throw new InvalidOperationException("The classifier returned null.");
            var shape = output.shape;
            var c = shape switch
            {
                [var m] when m == count => 1,
                [var m, var k] when m == count && k >= 1 => (int)k,
                _ => throw new ArgumentException($"The classifier returned shape {Shapes.Format(output)} for a batch of shape [{count}, 2]; expected [{count}], [{count}, 1] or [{count}, K] with K >= 2."),
            };
            if (columns != -1 && c != columns)
                throw new ArgumentException($"The classifier returned {c} columns for one batch and {columns} for another.");
            columns = c;
            result.AddRange(output.detach().to(ScalarType.Float64).cpu().contiguous().data<double>().ToArray());
        }
        return result.ToArray();
    }

    Evaluation Decide((int, double, double?) key, double[] xs, double[] ys, double[] outputs, int columns)
    {
        var (nx, ny) = (xs.Length, ys.Length);
        var classes = new int[ny, nx];
        var fields = new List<double[,]>();
        if (columns == 1)
        {
            // Two classes from a score; the boundary is where score = threshold.
            var finite = outputs.Where(double.IsFinite).ToArray();
            var threshold = Threshold ?? (finite.Length > 0 && finite.All(v => v is >= 0 and <= 1) ? 0.5 : 0);
            var field = new double[ny, nx];
            for (var j = 0; j < ny; j++)
                for (var i = 0; i < nx; i++)
                {
                    var v = outputs[j * nx + i] - threshold;
                    field[j, i] = v;
                    classes[j, i] = v > 0 ? 1 : 0;
                }
            fields.Add(field);
        }
        else
        {
            // K classes: class k's margin over the best other class is positive exactly inside its region.
            var margins = Enumerable.Range(0, columns).Select(_ => new double[ny, nx]).ToArray();
            for (var j = 0; j < ny; j++)
                for (var i = 0; i < nx; i++)
                {
                    var row = (j * nx + i) * columns;
                    int best = 0, second = -1;
                    for (var k = 1; k < columns; k++)
                    {
                        if (outputs[row + k] > outputs[row + best]) { second = best; best = k; }
                        else if (second < 0 || outputs[row + k] > outputs[row + second]) second = k;
                    }
                    classes[j, i] = best;
                    for (var k = 0; k < columns; k++)
                        margins[k][j, i] = outputs[row + k] - outputs[row + (k == best ? second : best)];
                }
            fields.AddRange(margins);
        }
        return new Evaluation(key, xs, ys, classes, fields);
    }

    static int Nearest(double[] axis, double v)
    {
        var step = (axis[^1] - axis[0]) / (axis.Length - 1);
        return Math.Clamp((int)Math.Round((v - axis[0]) / step), 0, axis.Length - 1);
    }

    sealed record Evaluation((int, double, double?) Key, double[] Xs, double[] Ys, int[,] Classes, List<double[,]> Fields);
}
