// Backprop: Fausett's backpropagation written out with plain tensor operations, checked against autograd.
// 1. XOR with one hidden layer of sigmoid units: the gradients of the hand-written algorithm equal
//    autograd's from the same weights, both networks train the same way, and the network solves XOR.
// 2. The lab exercise: how the learning rate and the hidden width change convergence.
using TorchBinding.Activations;
using TorchBinding.Data.Synthetic;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;
using TorchBinding.Teaching.Autograd;

var run = ExperimentRun.Start(args, "backprop", "Fausett's backpropagation vs autograd on XOR, and the learning-rate / width lab",
    new ExtraOption("hidden", "hidden sigmoid units for part 1", "4"),
    new ExtraOption("lr", "learning rate α for part 1", "1.0"),
    new ExtraOption("epochs", "full-batch epochs", "2000", FastDefault: "1000"));
if (run is null)
    return;

using var xor = LogicGates.Xor();                              // 0/1 inputs [4, 2] and targets [4, 1]
var x = xor.Inputs.to(float64);
var t = xor.Targets.to(float64);
var hidden = run.Options.GetInt("hidden");
var alpha = run.Options.GetDouble("lr");
var epochs = run.Options.GetInt("epochs");

// 1a. Same weights, two ways to the gradient of E = ½ Σ (t − y)².
using var net = new BackpropNetwork([2, hidden, 1], Activation.Sigmoid, seed: run.Seed);
var twin = net.ToSequential();
double gradientDifference;
using (NewDisposeScope())
{
    var byHand = net.ComputeGradients(x, t);
    (0.5 * (twin.call(x) - t).square().sum()).backward();
    var linears = twin.children().OfType<TorchSharp.Modules.Linear>().ToList();
    gradientDifference = Enumerable.Range(0, linears.Count).Max(l => Math.Max(
        (byHand.Weights[l] - linears[l].weight!.grad!.t()).abs().max().item<double>(),
        (byHand.Biases[l] - linears[l].bias!.grad!).abs().max().item<double>()));
}
Console.WriteLine($"  2-{hidden}-1 sigmoid network, seed {run.Seed}: largest difference between hand-written and autograd gradients {gradientDifference:E2}");

// 1b. Train both full-batch with the same α: the hand-written update Δw = −α ∂E/∂w and torch.optim.SGD.
var optimizer = Optim.Sgd(alpha).Build(twin);
var handErrors = new List<double>();
var autogradErrors = new List<double>();
for (var epoch = 0; epoch < epochs; epoch++)
{
    handErrors.Add(net.TrainStep(x, t, alpha));
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var error = 0.5 * (twin.call(x) - t).square().sum();
    error.backward();
    optimizer.step();
    autogradErrors.Add(error.item<double>());
}
double[] outputs;
double weightDifference;
using (NewDisposeScope())
{
    outputs = net.Predict(x).flatten().data<double>().ToArray();
    using var trained = net.ToSequential();
    weightDifference = trained.parameters().Zip(twin.parameters()).Max(p => (p.First - p.Second).abs().max().item<double>());
}
var targets = t.flatten().data<double>().ToArray();
var solved = outputs.Zip(targets).All(p => (p.First > 0.5) == (p.Second > 0.5));
Console.WriteLine($"  after {epochs} epochs (α = {alpha}): E = {handErrors[^1]:F5} by hand, {autogradErrors[^1]:F5} with autograd; largest weight difference {weightDifference:E2}");
for (var i = 0; i < 4; i++)
    Console.WriteLine($"    XOR({x[i, 0].item<double>()}, {x[i, 1].item<double>()}) = {targets[i]}: network {outputs[i]:F4}");
Console.WriteLine($"  XOR {(solved ? "solved" : "not solved")}: all four outputs on the correct side of 0.5: {solved}");

new LineChart { Title = "XOR: backpropagation by hand and with autograd", XLabel = "epoch", YLabel = "E = ½ Σ (t − y)²", LogY = true }
    .Add("by hand (Fausett)", handErrors).Add("autograd + SGD", autogradErrors, dashed: true).Save(run.PathFor("xor_loss.png"));
using (var labels = xor.Targets.flatten().to(int64))
{
    new DecisionBoundaryChart(p => twin.call(p.to(float64)).to(float32), xor.Inputs, labels, ["0", "1"])
    { Title = $"XOR learned by a 2-{hidden}-1 sigmoid network", Threshold = 0.5, Margin = 0.4 }.Save(run.PathFor("xor_boundary.png"));
}

// 2. The lab exercise: epochs until XOR is solved, over learning rates × hidden widths × seeds.
double[] rates = [0.1, 0.5, 1, 2, 5];
int[] widths = [2, 3, 4, 8];
var seeds = run.Fast ? 2 : 5;
var labEpochs = run.Fast ? 600 : 3000;
var solvedFraction = new double[widths.Length, rates.Length];
var medianEpochs = new double[widths.Length, rates.Length];
var curves = new LineChart { Title = $"Width 4, seed {run.Seed}: learning rate", XLabel = "epoch", YLabel = "E", LogY = true };
var widthCurves = new LineChart { Title = $"α = 1, seed {run.Seed}: hidden width", XLabel = "epoch", YLabel = "E", LogY = true };
for (var wi = 0; wi < widths.Length; wi++)
{
    for (var ri = 0; ri < rates.Length; ri++)
    {
        var solveEpochs = new List<int>();
        for (var s = 0; s < seeds; s++)
        {
            using var lab = new BackpropNetwork([2, widths[wi], 1], Activation.Sigmoid, seed: run.Seed + s);
            var errors = new List<double>();
            int? solvedAt = null;
            for (var epoch = 1; epoch <= labEpochs; epoch++)
            {
                errors.Add(lab.TrainStep(x, t, rates[ri]));
                if (solvedAt is null && epoch % 10 == 0)
                {
                    using var prediction = lab.Predict(x);
                    using var right = prediction.gt(0.5).eq(t.gt(0.5));
                    if (right.all().item<bool>())
                        solvedAt = epoch;
                }
            }
            if (solvedAt is { } at)
                solveEpochs.Add(at);
            if (s == 0 && widths[wi] == 4)
                curves.Add($"α = {rates[ri]}", errors);
            if (s == 0 && rates[ri] == 1)
                widthCurves.Add($"{widths[wi]} hidden", errors);
        }
        solvedFraction[wi, ri] = solveEpochs.Count / (double)seeds;
        medianEpochs[wi, ri] = solveEpochs.Count == 0 ? double.NaN : solveEpochs.Order().ElementAt(solveEpochs.Count / 2);
        Console.WriteLine($"    width {widths[wi]}, α = {rates[ri],-3}: solved {solveEpochs.Count}/{seeds}, median epochs {(solveEpochs.Count == 0 ? "-" : medianEpochs[wi, ri].ToString())}");
    }
}
var rateNames = rates.Select(r => $"α = {r}").ToArray();
var widthNames = widths.Select(w => $"{w} hidden").ToArray();
new MultiPanelFigure(columns: 2) { Title = $"XOR lab: {seeds} seeds, {labEpochs} full-batch epochs" }
    .Add(new Heatmap(solvedFraction) { ColumnLabels = rateNames, RowLabels = widthNames, ShowValues = true, ValueFormat = "0.##", ColorBarLabel = "fraction solved" }.WithRange(0, 1), "fraction of seeds that solved XOR")
    .Add(new Heatmap(medianEpochs) { ColumnLabels = rateNames, RowLabels = widthNames, ShowValues = true, ValueFormat = "0", ColorBarLabel = "epochs" }, "median epochs to solve (blank: none)")
    .Add(curves, "learning rate")
    .Add(widthCurves, "hidden width")
    .Save(run.PathFor("lab.png"));

run.Metric("max_gradient_difference", gradientDifference);
run.Metric("max_weight_difference_after_training", weightDifference);
run.Metric("final_error", handErrors[^1]);
run.Metric("xor_solved", solved ? 1 : 0);
run.Metric("lab_solved_fraction", solvedFraction.Cast<double>().Average());
run.Finish($"Backprop: hand-written and autograd gradients differ by {gradientDifference:E1}; XOR {(solved ? "solved" : "NOT solved")} (E = {handErrors[^1]:F4}); lab solved {solvedFraction.Cast<double>().Average():P0} of its runs");
