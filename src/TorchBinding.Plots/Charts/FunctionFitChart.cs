using ScottPlot;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Charts;

/// <summary>
/// A network's fit of a 1-D function (universal approximation): the target, the network's output, and
/// optionally each hidden unit's weighted contribution (whose sum, plus the output bias, is the output).
/// </summary>
/// <example><code>
/// // x [N], target [N], output [N], contributions [P, N] = w2[p] * relu(w1[p] * x + b1[p])
/// new FunctionFitChart(x, target, output, contributions) { Title = "8 ReLU units fit sin(x)" }.Save("fit.png");
/// </code></example>
public sealed class FunctionFitChart : Chart
{
    readonly double[] _x;
    readonly double[] _target;
    readonly double[] _output;
    readonly double[,]? _contributions;

    /// <summary>A fit of <paramref name="target"/> by <paramref name="output"/> over <paramref name="x"/>.</summary>
    /// <param name="x">The inputs, shape [N] (any order: points are sorted by x for drawing).</param>
    /// <param name="target">The function to fit, shape [N].</param>
    /// <param name="output">The network's output, shape [N].</param>
    /// <param name="contributions">The hidden units' weighted contributions, shape [P, N] (optional).</param>
    public FunctionFitChart(Values x, Values target, Values output, Values? contributions = null)
    {
        _x = x.Vector(nameof(x));
        _target = target.Vector(nameof(target));
        _output = output.Vector(nameof(output));
        if (_target.Length != _x.Length || _output.Length != _x.Length)
            throw new ArgumentException($"x, target and output must have the same length; got {_x.Length}, {_target.Length} and {_output.Length}.");
        if (contributions is { } c)
        {
            _contributions = c.Matrix(nameof(contributions));
            if (_contributions.GetLength(1) != _x.Length)
                throw new ArgumentException($"contributions must have shape [P, {_x.Length}] (one row per hidden unit); got [{_contributions.GetLength(0)}, {_contributions.GetLength(1)}].", nameof(contributions));
        }
        XLabel = "x";
        YLabel = "y";
    }

    /// <summary>The legend name of the target.</summary>
    public string TargetName { get; set; } = "target";

    /// <summary>The legend name of the network's output.</summary>
    public string OutputName { get; set; } = "network output";

    /// <summary>The legend name of the hidden-unit contributions (one entry for all).</summary>
    public string ContributionsName { get; set; } = "hidden-unit contributions";

    /// <summary>Whether to draw the contributions (default true when given).</summary>
    public bool ShowContributions { get; set; } = true;

    private protected override void Build(Plot plot)
    {
        var order = Enumerable.Range(0, _x.Length).OrderBy(i => _x[i]).ToArray();
        double[] Sorted(double[] v) => order.Select(i => v[i]).ToArray();
        var xs = Sorted(_x);
        if (ShowContributions && _contributions is { } c)
        {
            var units = c.GetLength(0);
            var colours = Palette.ForCount(Math.Min(units, 10));
            for (var p = 0; p < units; p++)
            {
                var row = order.Select(i => c[p, i]).ToArray();
                var line = plot.Add.ScatterLine(xs, row, ToColor(colours[p % colours.Count]).WithAlpha(0.55));
                line.LineWidth = 1.3f;
                line.MarkerSize = 0;
                if (p == 0)
                    line.LegendText = ContributionsName;
            }
        }
        var target = plot.Add.ScatterLine(xs, Sorted(_target), ToColor(Theme.Ink));
        target.LineWidth = 2.5f;
        target.LinePattern = LinePattern.Dashed;
        target.MarkerSize = 0;
        target.LegendText = TargetName;
        var output = plot.Add.ScatterLine(xs, Sorted(_output), ToColor(Palette.OkabeIto[1]));
        output.LineWidth = 3f;
        output.MarkerSize = 0;
        output.LegendText = OutputName;
    }

    private protected override IEnumerable<(double X, double Y)> LegendAvoidPoints()
    {
        var points = Sample(_x, _target).Concat(Sample(_x, _output));
        if (ShowContributions && _contributions is { } c)
            for (var p = 0; p < c.GetLength(0); p++)
                points = points.Concat(Sample(_x, Enumerable.Range(0, _x.Length).Select(i => c[p, i]).ToArray(), 50));
        return points;
    }
}
