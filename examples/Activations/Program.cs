// Activations: the lecture's table of activation functions, each drawn with its analytic derivative, and
// every derivative checked against autograd.
using TorchBinding.Activations;
using TorchBinding.Plots.Charts;

var run = ExperimentRun.Start(args, "activations", "the activation table: values and analytic derivatives, checked against autograd");
if (run is null)
    return;

using var x = linspace(-4, 4, 401, dtype: float64);
var figure = new MultiPanelFigure(columns: 4) { Title = "Activation functions a(x) and their derivatives a'(x)", PanelWidth = 380, PanelHeight = 270 };
var worst = 0.0;
Console.WriteLine($"  {"activation",-20} {"a(x)",-44} a'(x)");
foreach (var entry in ActivationTable.Entries)
{
    using var scope = NewDisposeScope();
    Tensor value, derivative, viaAutograd;
    if (entry.IsElementwise)
    {
        value = ActivationTable.Value(entry.Activation, x);
        derivative = ActivationTable.Derivative(entry.Activation, x);
        var input = x.detach().requires_grad_(true);
        using var module = ActivationModules.Create(entry.Activation).to(float64);
        viaAutograd = entry.Activation == Activation.BinaryStep
            ? zeros_like(x)                                   // no gradient passes a step: autograd has nothing to say
            : autograd.grad([module.call(input).sum()], [input])[0];
    }
    else
    {
        // Softmax is not elementwise: draw s₁ of the pair (x, 0) and ∂s₁/∂x₁ = s₁(1 − s₁), the Jacobian's corner.
        var pair = stack([x, zeros_like(x)], 1);
        value = ActivationTable.Value(entry.Activation, pair)[.., 0];
        derivative = ActivationTable.SoftmaxJacobian(pair)[.., 0, 0];
        var input = pair.detach().requires_grad_(true);
        viaAutograd = autograd.grad([softmax(input, 1)[.., 0].sum()], [input])[0][.., 0];
    }
    var difference = (derivative - viaAutograd).abs().max().item<double>();
    worst = Math.Max(worst, difference);
    Console.WriteLine($"  {entry.Name,-20} {entry.Formula,-44} {entry.DerivativeFormula}");
    var chart = new LineChart { XLabel = "x", YMin = -1.5, YMax = 4.2 }
        .Add("a(x)", x, value)
        .Add("a'(x)", x, derivative, dashed: true);
    figure.Add(chart, entry.Activation == Activation.Softmax ? "softmax s₁(x, 0)" : entry.Name);
}
figure.Save(run.PathFor("activations.png"));
run.Metric("activations", ActivationTable.Entries.Count);
run.Report("max_derivative_error", worst, "largest difference between analytic derivatives and autograd", "E2");
run.Finish($"Activations: {ActivationTable.Entries.Count} functions drawn; analytic derivatives agree with autograd to {worst:E1}");
