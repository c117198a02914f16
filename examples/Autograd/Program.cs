// Autograd: "if you can define a loss and a regulariser, the rest can be automated".
// 1. The lecture's e = (a + b)(b + 1) at a = 2, b = 1, differentiated three ways: the scalar reverse-mode
//    autograd (Value), forward mode with dual numbers, and TorchSharp; its expression graph as PNG and DOT.
// 2. The REO recipe on the 4-point set (-1,0), (0,1), (4,4), (2,3) with labels -1, -1, +1, +1: a linear
//    model f(x) = wᵀx + b (representation), the hinge loss max(0, 1 − y f(x)) plus (λ/2)wᵀw (evaluation),
//    gradient descent with autograd (optimisation).
using TorchBinding.Data.Synthetic;
using TorchBinding.Losses;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Diagrams;
using TorchBinding.Teaching.Autograd;

var run = ExperimentRun.Start(args, "autograd", "the lecture's e = (a+b)(b+1) three ways, and a hinge-loss linear classifier trained by gradient descent",
    new ExtraOption("lambda", "weight penalty λ in (λ/2)wᵀw", "0.1"),
    new ExtraOption("lr", "gradient-descent step size", "0.05"),
    new ExtraOption("steps", "gradient-descent steps (full batch)", "500", FastDefault: "200"));
if (run is null)
    return;

// 1. e = (a + b)(b + 1)
var a = new Value(2, "a");
var b = new Value(1, "b");
var c = (a + b).Named("c");
var d = (b + 1).Named("d");
var e = (c * d).Named("e");
e.Backward();
var forward = ForwardMode.Gradient(x => (x[0] + x[1]) * (x[1] + 1), 2, 1);
double torchA, torchB;
using (NewDisposeScope())
{
    var ta = tensor(2.0, requires_grad: true);
    var tb = tensor(1.0, requires_grad: true);
    ((ta + tb) * (tb + 1)).backward();
    (torchA, torchB) = (ta.grad!.item<double>(), tb.grad!.item<double>());
}
Console.WriteLine($"  e = (a + b)(b + 1) at a = 2, b = 1: e = {e.Data}");
Console.WriteLine($"  reverse mode (Value):      de/da = {a.Grad}, de/db = {b.Grad}");
Console.WriteLine($"  forward mode (dual):       de/da = {forward[0]}, de/db = {forward[1]}");
Console.WriteLine($"  TorchSharp autograd:       de/da = {torchA}, de/db = {torchB}");
GraphDiagram.From(e.ToGraph(), "e = (a + b)(b + 1) at a = 2, b = 1").Save(run.PathFor("graph.png"));
File.WriteAllText(run.PathFor("graph.dot"), e.ToDot());

// 2. REO on the 4-point set
using var points = ToyClassification.HingeLossToy();         // inputs [4, 2], labels ±1 as [4, 1]
var lambda = run.Options.GetDouble("lambda");
var model = nn.Linear(2, 1).to(run.Device);
using (no_grad())
{
    model.weight!.zero_();                                    // start from w = 0, b = 0: the run is the same every time
    model.bias!.zero_();
}
LossFunction loss = (output, y) => LectureLosses.SvmHinge(output, y) + lambda * WeightPenalty.L2([model.weight!]);
var steps = run.Options.GetInt("steps");
var history = new Trainer(model, loss, Optim.Sgd(run.Options.GetDouble("lr")),
    new TrainerOptions { Epochs = steps, BatchSize = 4, Shuffle = false, Progress = false }).Fit(points);

double[] w, margins;
double bias;
using (no_grad())
using (NewDisposeScope())
{
    w = model.weight!.cpu().to(float64).data<double>().ToArray();
    bias = model.bias!.cpu().to(float64).item<double>();
    var f = model.call(points.Inputs.to(run.Device)).cpu().to(float64);
    margins = (f * points.Targets.to(float64)).flatten().data<double>().ToArray();
}
Console.WriteLine($"  hinge + (λ/2)wᵀw, λ = {lambda}, {steps} gradient-descent steps: loss {history.Last("train_loss"):F4}");
Console.WriteLine($"  w = ({w[0]:F4}, {w[1]:F4}), b = {bias:F4}; margins y·f(x) = {string.Join(", ", margins.Select(m => m.ToString("F3")))}");

new LineChart { Title = "Hinge loss + (λ/2)wᵀw", XLabel = "gradient-descent step", YLabel = "loss" }
    .Add("training loss", history.Series("train_loss").ToArray()).Save(run.PathFor("loss.png"));
using (var labels = points.Targets.flatten().gt(0).to(int64))
{
    new DecisionBoundaryChart(x => model.call(x.to(run.Device)).cpu(), points.Inputs, labels, ["y = −1", "y = +1"])
    {
        Title = $"f(x) = {w[0]:F2}·x₁ {(w[1] < 0 ? "−" : "+")} {Math.Abs(w[1]):F2}·x₂ {(bias < 0 ? "−" : "+")} {Math.Abs(bias):F2}",
    }.Save(run.PathFor("boundary.png"));
}

var correct = margins.Count(m => m > 0);
run.Metric("e", e.Data);
run.Metric("de_da", a.Grad);
run.Metric("de_db", b.Grad);
run.Metric("forward_de_da", forward[0]);
run.Metric("forward_de_db", forward[1]);
run.Metric("torch_de_da", torchA);
run.Metric("torch_de_db", torchB);
run.Metric("final_loss", history.Last("train_loss")!.Value);
run.Metric("w1", w[0]);
run.Metric("w2", w[1]);
run.Metric("bias", bias);
run.Metric("min_margin", margins.Min());
run.Metric("train_accuracy", correct / (double)margins.Length);
run.Finish($"Autograd: e = {e.Data}, de/da = {a.Grad}, de/db = {b.Grad}; hinge classifier w = ({w[0]:F3}, {w[1]:F3}), b = {bias:F3}, {correct} of 4 points on the right side");
