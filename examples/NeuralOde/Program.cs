// Neural ODEs (Chen et al. 2018): instead of a stack of residual layers, a network f(y) is the right-hand side
// of dy/dt = f(y), and the prediction is an ODE solver's output. The course tutorial ("A free fall dive into
// neural ODEs") learns two physical systems from their trajectories: free fall (ẋ = v, v̇ = −9.8) and a damped
// pendulum (ẋ = v, v̇ = −200 sin x − 3v), both from [x, v] = [0.1, 0] over t ∈ [0, 2] at 500 points. f is
// 2→50 tanh→2 with N(0, 0.1) weights and zero biases; Adam 1e-2, 1000 iterations, each on 20 random windows of
// 10 time points, L1 loss; dopri5 with torchdiffeq's tolerances (rtol 1e-7, atol 1e-9) and gradients by the
// adjoint method. The tutorial saves no loss numbers, only its figures: trajectories, phase portrait and the
// learned vector field. Here the adjoint gradients are also checked against backpropagation through the solver.
using TorchBinding.Activations;
using TorchBinding.Models.Ode;
using TorchBinding.Plots.Charts;

var run = ExperimentRun.Start(args, "neural_ode", "neural ODEs learn free fall and a damped pendulum from trajectories",
    new ExtraOption("iterations", "training iterations per system", "1000", FastDefault: "300"),
    new ExtraOption("gradients", "how gradients are computed in training: adjoint or backprop", "adjoint"));
if (run is null)
    return;

const int dataSize = 500, batchTime = 10, batchSize = 20, testFrequency = 20;
var iterations = run.Options.GetInt("iterations");
var useAdjoint = run.Options.GetString("gradients") switch
{
    "adjoint" => true,
    "backprop" => false,
    var other => throw new ArgumentException($"--gradients must be adjoint or backprop, got '{other}'."),
};
var times = Enumerable.Range(0, dataSize).Select(i => 2.0 * i / (dataSize - 1)).ToArray();
var batchTimes = times[..batchTime];
var solver = new OdeOptions();                       // dopri5, rtol 1e-7, atol 1e-9: torchdiffeq's defaults
var random = new Random(run.Seed);

// States are [batch, 2] = [x, v] rows, in float64 so that the tight tolerances mean what they say.
static Tensor Column(Tensor y, int index) => y.narrow(-1, index, 1);
var systems = new[]
{
    new PhysicalSystem("Free fall", "free_fall", (t, y) => cat([Column(y, 1), full_like(Column(y, 1), -9.8)], -1)),
    new PhysicalSystem("Damped pendulum", "pendulum", (t, y) => cat([Column(y, 1), Column(y, 0).sin().mul(-200).sub(Column(y, 1).mul(3))], -1)),
};
using var y0 = tensor(new[] { 0.1, 0.0 }, [1, 2], dtype: float64);

Mlp NewNetwork()
{
    var net = new Mlp(new MlpOptions { Sizes = [2, 50, 2], Activation = Activation.Tanh });
    WeightInitialization.Apply(net, WeightInit.Normal, std: 0.1);   // biases become 0
    return net.to(float64);
}

OdeSolution Predict(Mlp net, Tensor start, double[] at, bool adjoint) => adjoint
    ? OdeSolver.SolveAdjoint((t, y) => net.call(y), start, at, net.parameters(), solver)
    : OdeSolver.Solve((t, y) => net.call(y), start, at, solver);

var lossCurves = new LineChart { Title = "Full-trajectory L1 loss during training", XLabel = "iteration", YLabel = "mean |prediction − truth|", LogY = true };
var worstGradientDifference = 0.0;
foreach (var system in systems)
{
    Console.WriteLine($"  {system.Name}: training {iterations} iterations ({(useAdjoint ? "adjoint" : "backpropagation through the solver")})");
    using var truth = OdeSolver.Solve(system.Dynamics, y0, times, solver).Trajectory.reshape(dataSize, 2);   // [500, 2]
    manual_seed(run.Seed);
    var net = NewNetwork();
    var optimizer = Optim.Adam(1e-2).Build(net);
    var checkpoints = new List<double>();
    var losses = new List<double>();
    var clock = Stopwatch.StartNew();
    var evaluations = 0;
    for (var iteration = 1; iteration <= iterations; iteration++)
    {
        using var scope = NewDisposeScope();
        // 20 windows of 10 consecutive points, starting anywhere but the last 10 points (as the tutorial).
        var starts = Enumerable.Range(0, dataSize - batchTime).OrderBy(_ => random.Next()).Take(batchSize).ToArray();
        var index = tensor(starts.SelectMany(s => Enumerable.Range(0, batchTime).Select(i => (long)(s + i))).ToArray(), [batchSize, batchTime]);
        var windows = truth.index_select(0, index.flatten()).reshape(batchSize, batchTime, 2).transpose(0, 1);   // [10, 20, 2]
        var prediction = Predict(net, windows[0], batchTimes, useAdjoint);
        var loss = prediction.Trajectory.sub(windows).abs().mean();
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        evaluations += prediction.FunctionEvaluations + prediction.BackwardFunctionEvaluations;
        if (iteration % testFrequency == 0 || iteration == iterations)
        {
            using var noGrad = no_grad();
            var full = Predict(net, y0, times, adjoint: false).Trajectory.reshape(dataSize, 2);
            var total = full.sub(truth).abs().mean().item<double>();
            checkpoints.Add(iteration);
            losses.Add(total);
            if (iteration % (10 * testFrequency) == 0 || iteration == iterations)
                Console.WriteLine($"    iteration {iteration:D4} | total loss {total:F6} | {clock.Elapsed.TotalSeconds:F0} s");
        }
    }
    run.Metric($"{system.Key}_training_function_evaluations_per_iteration", Math.Round(evaluations / (double)iterations, 1));
    lossCurves.Add(system.Name, checkpoints.ToArray(), losses.ToArray());

    // The learned system from [0.1, 0] over the whole interval, against the truth.
    double[] learnedX, learnedV, trueX, trueV;
    using (var scope = NewDisposeScope())
    using (no_grad())
    {
        var solution = Predict(net, y0, times, adjoint: false);
        var learned = solution.Trajectory.reshape(dataSize, 2);
        run.Report($"{system.Key}_trajectory_mse", learned.sub(truth).square().mean().item<double>(), $"{system.Name}: full-trajectory MSE", "E3");
        run.Report($"{system.Key}_trajectory_l1", learned.sub(truth).abs().mean().item<double>(), $"{system.Name}: full-trajectory mean |error| (the tutorial's total loss)", "F5");
        run.Report($"{system.Key}_function_evaluations", solution.FunctionEvaluations, $"{system.Name}: dopri5 evaluations of f for the 500-point trajectory", "N0");
        (learnedX, learnedV) = (learned.select(1, 0).data<double>().ToArray(), learned.select(1, 1).data<double>().ToArray());
        (trueX, trueV) = (truth.select(1, 0).data<double>().ToArray(), truth.select(1, 1).data<double>().ToArray());
    }

    // Adjoint against backpropagation: the gradient of the full-trajectory L1 loss both ways, at the trained weights.
    var difference = GradientDifference(net, truth);
    worstGradientDifference = Math.Max(worstGradientDifference, difference.MaxDifference);
    Console.WriteLine($"  {system.Name}: adjoint vs backpropagation gradients: max |difference| {difference.MaxDifference:E2} (largest gradient {difference.Largest:E2}); " +
                      $"evaluations of f: forward {difference.ForwardEvaluations}, adjoint backward {difference.BackwardEvaluations}");

    // Figures: trajectories, phase portrait, and the true and learned vector fields over the trajectory's box.
    var fields = FieldGrid(trueX, trueV);
    var (trueField, learnedField) = (Field(system.Dynamics, fields), Field((t, y) => net.call(y), fields));
    new MultiPanelFigure(columns: 2) { Title = $"{system.Name}: true (solid) and learned (dashed)", PanelWidth = 560, PanelHeight = 400 }
        .Add(new LineChart { XLabel = "t", YLabel = "state" }
            .Add("x (true)", times, trueX, Palette.Get(0, 2)).Add("x (learned)", times, learnedX, Palette.Get(0, 2), dashed: true)
            .Add("v (true)", times, trueV, Palette.Get(1, 2)).Add("v (learned)", times, learnedV, Palette.Get(1, 2), dashed: true), "Trajectories")
        .Add(new LineChart { XLabel = "x", YLabel = "v" }.Add("true", trueX, trueV).Add("learned", learnedX, learnedV, dashed: true), "Phase portrait")
        .Add(new VectorFieldChart(fields, trueField) { XLabel = "x", YLabel = "v" }.AddLine("true trajectory", trueX, trueV), "True vector field f(x, v)")
        .Add(new VectorFieldChart(fields, learnedField) { XLabel = "x", YLabel = "v" }.AddLine("learned trajectory", learnedX, learnedV, Palette.Get(1, 2)), "Learned vector field")
        .Save(run.PathFor($"{system.Key}.png"));
}
lossCurves.Save(run.PathFor("training_loss.png"));
run.Report("adjoint_gradient_max_difference", worstGradientDifference, "adjoint vs backpropagation: largest gradient difference (both systems)", "E2");

run.Finish($"NeuralOde: full-trajectory MSE free fall {run.Metrics["free_fall_trajectory_mse"]:E2}, pendulum {run.Metrics["pendulum_trajectory_mse"]:E2}; " +
           $"adjoint = backpropagation to {worstGradientDifference:E1}");

// A 21 x 21 grid over the trajectory's bounds ± 0.1 (as the tutorial's streamplot), as points [441, 2].
static double[,] FieldGrid(double[] x, double[] v)
{
    var (x0, x1, v0, v1) = (x.Min() - 0.1, x.Max() + 0.1, v.Min() - 0.1, v.Max() + 0.1);
    var grid = new double[21 * 21, 2];
    for (var i = 0; i < 21; i++)
        for (var j = 0; j < 21; j++)
            (grid[i * 21 + j, 0], grid[i * 21 + j, 1]) = (x0 + (x1 - x0) * j / 20, v0 + (v1 - v0) * i / 20);
    return grid;
}

static double[,] Field(OdeFunction f, double[,] points)
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var values = f(0, tensor(points, dtype: float64));
    var flat = values.data<double>().ToArray();
    var result = new double[points.GetLength(0), 2];
    Buffer.BlockCopy(flat, 0, result, 0, flat.Length * sizeof(double));
    return result;
}

GradientCheck GradientDifference(Mlp net, Tensor truth)
{
    double[][] Gradients(bool adjoint, out OdeSolution solution)
    {
        using var scope = NewDisposeScope();
        net.zero_grad();
        solution = Predict(net, y0, times, adjoint);
        solution.Trajectory.reshape(dataSize, 2).sub(truth).abs().mean().backward();
        return net.parameters().Select(p => p.grad!.data<double>().ToArray()).ToArray();
    }
    var direct = Gradients(adjoint: false, out _);
    var viaAdjoint = Gradients(adjoint: true, out var adjointSolution);
    net.zero_grad();
    var max = direct.Zip(viaAdjoint, (a, b) => a.Zip(b, (p, q) => Math.Abs(p - q)).Max()).Max();
    var largest = direct.Max(g => g.Max(Math.Abs));
    return new GradientCheck(max, largest, adjointSolution.FunctionEvaluations, adjointSolution.BackwardFunctionEvaluations);
}

/// <summary>A physical system: its name, the metric prefix, and its true dynamics.</summary>
record PhysicalSystem(string Name, string Key, OdeFunction Dynamics);

/// <summary>Adjoint against backpropagation: the largest gradient difference, the largest gradient, and the adjoint solve's costs.</summary>
record GradientCheck(double MaxDifference, double Largest, int ForwardEvaluations, int BackwardEvaluations);
