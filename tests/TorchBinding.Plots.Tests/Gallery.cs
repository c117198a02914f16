using TorchBinding.Plots.Charts;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Plots.Tests;

/// <summary>
/// One example of each kind of figure, as the README's gallery shows them. The gallery test renders them
/// all; with TORCHBINDING_WRITE_GALLERY=1 it also writes them to docs/gallery/.
/// </summary>
static class Gallery
{
    public static IReadOnlyList<(string Name, Func<Figure> Create)> All { get; } =
    [
        ("loss-curves", LossCurves),
        ("scatter-classes", ScatterClasses),
        ("decision-boundary", DecisionBoundary),
        ("function-fit", FunctionFit),
        ("histograms", Histograms),
        ("histogram-cumulative", CumulativeHistograms),
        ("bars", Bars),
        ("densities", Densities),
        ("violins", Violins),
    ];

    static Figure LossCurves()
    {
        var epochs = 30;
        var train = Enumerable.Range(1, epochs).Select(e => 2.3 * Math.Exp(-e / 6.0) + 0.05 + 0.01 * Math.Sin(e)).ToArray();
        var val = Enumerable.Range(1, epochs).Select(e => 2.3 * Math.Exp(-e / 7.0) + 0.12 + 0.004 * e + 0.015 * Math.Cos(e)).ToArray();
        return new LineChart { Title = "Training an MLP on the digits", XLabel = "epoch", YLabel = "cross-entropy loss", LogY = true }
            .Add("train", train)
            .Add("validation", val);
    }

    /// <summary>Two interleaved half-moons with noise, deterministic.</summary>
    public static (double[,] Points, int[] Labels) Moons(int n = 200, int seed = 1)
    {
        var random = new Random(seed);
        var points = new double[n, 2];
        var labels = new int[n];
        for (var i = 0; i < n; i++)
        {
            var k = i % 2;
            var t = Math.PI * random.NextDouble();
            (points[i, 0], points[i, 1]) = k == 0 ? (Math.Cos(t), Math.Sin(t)) : (1 - Math.Cos(t), 0.5 - Math.Sin(t));
            points[i, 0] += 0.12 * Gaussian(random);
            points[i, 1] += 0.12 * Gaussian(random);
            labels[i] = k;
        }
        return (points, labels);
    }

    /// <summary>Three interleaved spiral arms, deterministic.</summary>
    public static (float[] Points, long[] Labels) Spiral(int perClass = 100, int seed = 2)
    {
        var random = new Random(seed);
        var points = new float[3 * perClass * 2];
        var labels = new long[3 * perClass];
        for (var k = 0; k < 3; k++)
            for (var i = 0; i < perClass; i++)
            {
                var r = (double)i / perClass;
                var t = k * 2 * Math.PI / 3 + 4 * r + 0.2 * Gaussian(random);
                var index = k * perClass + i;
                points[2 * index] = (float)(r * Math.Cos(t));
                points[2 * index + 1] = (float)(r * Math.Sin(t));
                labels[index] = k;
            }
        return (points, labels);
    }

    public static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    static Figure ScatterClasses()
    {
        var (points, labels) = Moons();
        return new ScatterChart { Title = "Two moons", XLabel = "x₁", YLabel = "x₂", EqualAxes = true }
            .AddClasses(points, labels, ["upper moon", "lower moon"]);
    }

    static Figure DecisionBoundary()
    {
        var (data, target) = Spiral();
        torch.manual_seed(0);
        var x = tensor(data, [target.Length, 2]);
        var y = tensor(target);
        var model = nn.Sequential(nn.Linear(2, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 3));
        var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        for (var step = 0; step < 600; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        model.eval();
        return new DecisionBoundaryChart(input => model.call(input), x, y, ["arm A", "arm B", "arm C"])
        {
            Title = "MLP 2-64-64-3 on three spirals",
            XLabel = "x₁",
            YLabel = "x₂",
            Width = 560,
            Height = 500,
        };
    }

    static Figure FunctionFit()
    {
        // The constructive proof: a sum of ReLU hinges interpolates sin(x) at 9 knots.
        var knots = Enumerable.Range(0, 9).Select(i => -Math.PI + i * 2 * Math.PI / 8).ToArray();
        var slopes = Enumerable.Range(0, 8).Select(i => (Math.Sin(knots[i + 1]) - Math.Sin(knots[i])) / (knots[i + 1] - knots[i])).ToArray();
        var weights = slopes.Select((s, i) => i == 0 ? s : s - slopes[i - 1]).ToArray();
        var x = Enumerable.Range(0, 300).Select(i => -Math.PI + i * 2 * Math.PI / 299).ToArray();
        var contributions = new double[8, x.Length];
        for (var p = 0; p < 8; p++)
            for (var i = 0; i < x.Length; i++)
                contributions[p, i] = weights[p] * Math.Max(0, x[i] - knots[p]);
        var output = x.Select((_, i) => Math.Sin(knots[0]) + Enumerable.Range(0, 8).Sum(p => contributions[p, i])).ToArray();
        var target = x.Select(Math.Sin).ToArray();
        return new FunctionFitChart(x, target, output, contributions) { Title = "8 ReLU units approximate sin(x)" };
    }

    static double[] Normal(int n, double mean, double sd, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => mean + sd * Gaussian(random)).ToArray();
    }

    static double[] Mixture(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (random.NextDouble() < 0.5 ? -2 : 2) + 0.6 * Gaussian(random)).ToArray();
    }

    static Figure Histograms() =>
        new HistogramChart { Title = "Real data vs GAN samples", XLabel = "x", Bins = 40, Scale = HistogramScale.Density }
            .Add("real", Mixture(5000, 3))
            .Add("generated", Normal(5000, 0.1, 2.1, 4));

    static Figure CumulativeHistograms() =>
        new HistogramChart { Title = "Cumulative distribution", XLabel = "x", Bins = 80, Cumulative = true }
            .Add("real", Mixture(5000, 3))
            .Add("generated", Normal(5000, 0.1, 2.1, 4));

    static Figure Bars() =>
        new BarChart(["MLP", "CNN", "ResNet-18", "ViT-tiny"]) { Title = "Test accuracy by model", YLabel = "accuracy", YMax = 1.08 }
            .Add("MNIST", [0.981, 0.992, 0.995, 0.989])
            .Add("Fashion-MNIST", [0.884, 0.921, 0.938, 0.912]);

    static Figure Densities()
    {
        var chart = new DensityChart { Title = "Forward diffusion of a two-mode distribution", XLabel = "x" };
        var x0 = Mixture(4000, 5);
        var random = new Random(6);
        foreach (var alphaBar in new[] { 1.0, 0.6, 0.2, 0.0 })
        {
            var xt = x0.Select(v => Math.Sqrt(alphaBar) * v + Math.Sqrt(1 - alphaBar) * Gaussian(random)).ToArray();
            chart.Add($"ᾱ = {alphaBar:0.0}", xt);
        }
        return chart;
    }

    static Figure Violins()
    {
        var chart = new ViolinChart { Title = "Reverse process: noise to data", YLabel = "x" };
        var x0 = Mixture(3000, 7);
        var random = new Random(8);
        foreach (var (t, alphaBar) in new[] { (1000, 0.0), (750, 0.1), (500, 0.35), (250, 0.7), (0, 1.0) })
            chart.Add($"t = {t}", x0.Select(v => Math.Sqrt(alphaBar) * v + Math.Sqrt(1 - alphaBar) * Gaussian(random)).ToArray());
        return chart;
    }
}
