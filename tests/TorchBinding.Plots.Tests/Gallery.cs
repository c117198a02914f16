using TorchBinding.Data;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Diagrams;
using TorchBinding.Plots.Images;
using TorchBinding.Training;
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
        ("vector-field", VectorField),
        ("histograms", Histograms),
        ("histogram-cumulative", CumulativeHistograms),
        ("bars", Bars),
        ("bars-with-intervals", BarsWithIntervals),
        ("contours-with-paths", ContoursWithPaths),
        ("densities", Densities),
        ("violins", Violins),
        ("image-rgb", RgbImage),
        ("image-grid-predictions", PredictionGrid),
        ("filters", Filters),
        ("confusion-matrix", Confusion),
        ("attention-heatmap", Attention),
        ("saliency-overlay", Saliency),
        ("computation-graph", ComputationGraph),
        ("markov-chain", MarkovChain),
        ("multi-panel", MultiPanel),
        ("training-history", History),
    ];

    /// <summary>The lecture's e = (a + b)(b + 1) at a = 2, b = 1, with each edge's local derivative.</summary>
    public static GraphDiagram ComputationGraph() =>
        new GraphDiagram { Title = "e = (a + b)·(b + 1) at a = 2, b = 1" }
            .AddNode("a", "a = 2").AddNode("b", "b = 1")
            .AddNode("c", "c = a + b", NodeShape.Box).AddNode("d", "d = b + 1", NodeShape.Box).AddNode("e", "e = c·d", NodeShape.Box)
            .AddEdge("a", "c", "∂c/∂a = 1").AddEdge("b", "c", "∂c/∂b = 1").AddEdge("b", "d", "∂d/∂b = 1")
            .AddEdge("c", "e", "∂e/∂c = d = 2").AddEdge("d", "e", "∂e/∂d = c = 3");

    /// <summary>A three-state weather Markov chain with its transition probabilities.</summary>
    public static GraphDiagram MarkovChain() =>
        new GraphDiagram { Title = "A Markov chain of the weather" }
            .AddEdge("sunny", "sunny", "0.7").AddEdge("sunny", "cloudy", "0.2").AddEdge("sunny", "rainy", "0.1")
            .AddEdge("cloudy", "sunny", "0.3").AddEdge("cloudy", "cloudy", "0.4").AddEdge("cloudy", "rainy", "0.3")
            .AddEdge("rainy", "sunny", "0.2").AddEdge("rainy", "cloudy", "0.4").AddEdge("rainy", "rainy", "0.4");

    static Figure MultiPanel() =>
        new MultiPanelFigure(columns: 2) { Title = "Spirals: data and the learned classifier", PanelHeight = 380 }
            .Add(new ScatterChart { XLabel = "x₁", YLabel = "x₂" }.AddClasses(tensor(Spiral().Points, [300, 2]), Spiral().Labels, ["arm A", "arm B", "arm C"]), "data")
            .Add(DecisionBoundary(), "MLP decision regions");

    /// <summary>A plausible 20-epoch history with a step-decayed learning rate and an accuracy metric.</summary>
    public static TrainingHistory SampleHistory(int epochs = 20, int stepsPerEpoch = 12)
    {
        var history = new TrainingHistory();
        var random = new Random(10);
        for (var e = 1; e <= epochs; e++)
        {
            var lr = e <= 10 ? 1e-3 : 1e-4;
            var train = 2.2 * Math.Exp(-e / 4.0) + 0.08;
            for (var s = 0; s < stepsPerEpoch; s++)
                history.AddStep(train * (1 + 0.25 * Gaussian(random) / Math.Sqrt(e)) + 0.1 * (stepsPerEpoch - s) / stepsPerEpoch * Math.Exp(-e / 4.0), lr);
            var val = 2.2 * Math.Exp(-e / 4.5) + 0.14 + 0.002 * e;
            history.AddEpoch(new EpochRecord(e, new Dictionary<string, double>
            {
                ["train_loss"] = train, ["val_loss"] = val, ["lr"] = lr, ["seconds"] = 1.5,
                ["train_accuracy"] = 1 - 0.9 * Math.Exp(-e / 3.0) - 0.01, ["val_accuracy"] = 1 - 0.9 * Math.Exp(-e / 3.3) - 0.04,
            }));
        }
        return history;
    }

    static Figure History() => HistoryPlot.Create(SampleHistory(), new HistoryPlotOptions { Title = "HistoryPlot.Save(history, path)", Columns = 3 });

    /// <summary>A softmax regression on the digits (a few hundred full-batch steps): its predictions, weights and confusion matrix.</summary>
    sealed record DigitsModel(float[] Images, long[] Labels, long[] Predicted, float[] Weights, long[,] Confusion);

    static readonly Lazy<DigitsModel> Model = new(() =>
    {
        using var digits = Digits.Load();
        var (train, test) = DatasetSplits.TrainTest(digits, testFraction: 0.2, seed: 42);
        torch.manual_seed(0);
        var linear = nn.Linear(64, 10);
        var optimizer = optim.Adam(linear.parameters(), lr: 0.05);
        for (var step = 0; step < 150; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(linear.call(train.Inputs), train.Targets).backward();
            optimizer.step();
        }
        using var noGrad = no_grad();
        var predicted = linear.call(test.Inputs).argmax(1).data<long>().ToArray();
        var labels = test.Targets.data<long>().ToArray();
        var confusion = new long[10, 10];
        for (var i = 0; i < labels.Length; i++)
            confusion[labels[i], predicted[i]]++;
        return new DigitsModel(test.Inputs.data<float>().ToArray(), labels, predicted, linear.weight!.detach().data<float>().ToArray(), confusion);
    });

    static Figure RgbImage()
    {
        // A smooth synthetic RGB picture [3, 96, 128]: a colour wheel on a gradient.
        const int h = 96, w = 128;
        var rgb = new float[3 * h * w];
        for (var y = 0; y < h; y++)
            for (var x = 0; x < w; x++)
            {
                var (dx, dy) = ((x - 64) / 40.0, (y - 48) / 40.0);
                var inside = dx * dx + dy * dy < 1;
                var hue = Math.Atan2(dy, dx);
                rgb[y * w + x] = (float)(inside ? 0.5 + 0.5 * Math.Cos(hue) : x / (double)w);
                rgb[h * w + y * w + x] = (float)(inside ? 0.5 + 0.5 * Math.Cos(hue - 2.094) : 0.2);
                rgb[2 * h * w + y * w + x] = (float)(inside ? 0.5 + 0.5 * Math.Cos(hue + 2.094) : y / (double)h);
            }
        return new ImageFigure(tensor(rgb, [3, h, w])) { Title = "A [3, 96, 128] tensor" };
    }

    static Figure PredictionGrid()
    {
        var m = Model.Value;
        // The first 24 test digits, with any misclassified ones brought to the front so the colours show.
        var order = Enumerable.Range(0, m.Labels.Length).OrderBy(i => m.Predicted[i] == m.Labels[i] ? 1 : 0).ThenBy(i => i).Take(24).OrderBy(i => i).ToArray();
        var images = tensor(order.SelectMany(i => m.Images.AsSpan(i * 64, 64).ToArray()).ToArray(), [order.Length, 1, 8, 8]);
        var grid = ImageGrid.Predictions(images, order.Select(i => m.Predicted[i]).ToArray(), order.Select(i => m.Labels[i]).ToArray());
        grid.Title = "Softmax regression on test digits";
        grid.Columns = 8;
        return grid;
    }

    static Figure Filters()
    {
        var m = Model.Value;
        var limit = m.Weights.Max(Math.Abs);
        var grid = new ImageGrid { Title = "Learned weights per class", Columns = 5, Colormap = Colormap.Balance, Min = -limit, Max = limit };
        for (var k = 0; k < 10; k++)
            grid.Add(tensor(m.Weights.AsSpan(k * 64, 64).ToArray(), [8, 8]), $"class {k}");
        return grid;
    }

    static Figure Confusion()
    {
        var heatmap = Heatmap.ConfusionMatrix(Model.Value.Confusion, Enumerable.Range(0, 10).Select(k => k.ToString()).ToList());
        heatmap.Title = "Confusion matrix, 360 test digits";
        return heatmap;
    }

    static Figure Attention()
    {
        string[] tokens = ["the", "cat", "sat", "on", "the", "mat", "."];
        var n = tokens.Length;
        var random = new Random(9);
        var weights = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            // Causal softmax attention over earlier tokens, with a preference for the previous one.
            var scores = Enumerable.Range(0, i + 1).Select(j => j == i - 1 ? 2.0 : random.NextDouble()).ToArray();
            var total = scores.Sum(Math.Exp);
            for (var j = 0; j <= i; j++)
                weights[i, j] = Math.Exp(scores[j]) / total;
        }
        return new Heatmap(weights)
        {
            Title = "Attention weights, layer 1 head 2",
            Colormap = Colormap.Magma,
            Min = 0,
            Max = 1,
            ColumnLabels = tokens,
            RowLabels = tokens,
            XLabel = "key",
            YLabel = "query",
            ColorBarLabel = "weight",
        };
    }

    static Figure Saliency()
    {
        var m = Model.Value;
        var index = Array.FindIndex(m.Labels, l => l == 3);
        var image = m.Images.AsSpan(index * 64, 64).ToArray();
        // For a linear model, input x weight of the predicted class is the exact attribution (gradient x input).
        var k = (int)m.Predicted[index];
        var attribution = new double[8, 8];
        for (var p = 0; p < 64; p++)
            attribution[p / 8, p % 8] = Math.Max(0, image[p] * m.Weights[k * 64 + p]);
        return new HeatmapOverlay(tensor(image, [8, 8]), attribution) { Title = $"Evidence for '{k}'", ColorBarLabel = "input × weight" };
    }

    /// <summary>The damped pendulum's direction field, x' = v, v' = −4 sin x − 0.5 v, with one trajectory spiralling in.</summary>
    static Figure VectorField()
    {
        var points = new List<double>();
        var vectors = new List<double>();
        for (var i = 0; i < 21; i++)
            for (var j = 0; j < 21; j++)
            {
                var (x, v) = (-3 + 6.0 * j / 20, -4 + 8.0 * i / 20);
                points.AddRange([x, v]);
                vectors.AddRange([v, -4 * Math.Sin(x) - 0.5 * v]);
            }
        var (xs, vs) = (new List<double> { 2.5 }, new List<double> { 0.0 });
        for (var step = 0; step < 3000; step++)
        {
            var (x, v) = (xs[^1], vs[^1]);
            xs.Add(x + 0.005 * v);
            vs.Add(v + 0.005 * (-4 * Math.Sin(x) - 0.5 * v));
        }
        return new VectorFieldChart(Values.From(ToMatrix(points)), Values.From(ToMatrix(vectors))) { Title = "Damped pendulum: direction field and a trajectory", XLabel = "angle x", YLabel = "velocity v" }
            .AddLine("from (2.5, 0)", xs, vs, width: 2.5f);

        static double[,] ToMatrix(List<double> pairs)
        {
            var m = new double[pairs.Count / 2, 2];
            for (var r = 0; r < m.GetLength(0); r++)
                (m[r, 0], m[r, 1]) = (pairs[2 * r], pairs[2 * r + 1]);
            return m;
        }
    }

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

    /// <summary>An MLP trained once on the spirals (full batch, Adam), shared by the figures that show it.</summary>
    static readonly Lazy<(nn.Module<Tensor, Tensor> Model, Tensor X, Tensor Y)> SpiralModel = new(() =>
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
        return (model, x, y);
    });

    static Figure DecisionBoundary()
    {
        var (model, x, y) = SpiralModel.Value;
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
        new HistogramChart { Title = "Cumulative distribution", XLabel = "x", Bins = 80, Cumulative = true, Scale = HistogramScale.Fraction }
            .Add("real", Mixture(5000, 3))
            .Add("generated", Normal(5000, 0.1, 2.1, 4));

    static Figure Bars() =>
        new BarChart(["MLP", "CNN", "ResNet-18", "ViT-tiny"]) { Title = "Test accuracy by model", YLabel = "accuracy", YMax = 1.08 }
            .Add("MNIST", [0.981, 0.992, 0.995, 0.989])
            .Add("Fashion-MNIST", [0.884, 0.921, 0.938, 0.912]);

    static Figure BarsWithIntervals() =>
        new BarChart(["SGD", "Adam", "+ clipping", "+ OneCycle"]) { Title = "Epochs to converge: mean and 95 % bootstrap interval", YLabel = "epochs" }
            .Add("30 runs", [500.0, 120.4, 61.2, 14.8], [500.0, 96.1, 45.0, 12.9], [500.0, 148.3, 80.6, 16.9]);

    /// <summary>Rosenbrock's valley with a made-up path that walks into it and along it to the minimum.</summary>
    static Figure ContoursWithPaths()
    {
        var t = Enumerable.Range(0, 40).Select(i => i / 39.0).ToArray();
        var x = t.Select(v => -1.5 + 2.5 * v).ToArray();
        var y = x.Select((v, i) => v * v + 1.5 * Math.Pow(1 - t[i], 3)).ToArray();
        return new ContourChart((a, b) => Math.Pow(1 - a, 2) + 100 * Math.Pow(b - a * a, 2), (-2, 2), (-1, 3)) { Title = "Rosenbrock's function" }
            .AddPath("a descent", x, y).AddPoint("minimum (1, 1)", 1, 1);
    }

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
