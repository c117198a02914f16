// Universal approximation: one hidden layer of sigmoids can fit any continuous function on a bounded
// interval, given enough units. 1-P-1 networks fit a 3-term Fourier square wave for P = 2, 5, 50, and the
// fit is drawn with the weighted hidden sigmoids it is the sum of. Then width against depth at about the
// same number of parameters: 1-128-1 against 1-32-8-1 on sin(x)·sin(4x).
using TorchBinding.Activations;
using TorchBinding.Data.Synthetic;
using TorchBinding.Plots.Charts;
using TorchSharp.Modules;

var run = ExperimentRun.Start(args, "universal_approximation", "1-P-1 sigmoid networks on a Fourier square wave; width vs depth on sin(x)·sin(4x)");
if (run is null)
    return;

// The lecture's settings; the fast mode trains for a fifth of the epochs.
var (waveEpochs, productEpochs) = run.Fast ? (200, 1000) : (1000, 5000);

Tensor SumOfSquares(Tensor output, Tensor target) => (output - target).square().sum();
Tensor MeanSquare(Tensor output, Tensor target) => (output - target).square().mean();

TrainingHistory Fit(Mlp model, InMemoryDataset data, Func<Tensor, Tensor, Tensor> loss, double lr, int epochs) =>
    new Trainer(model, (o, t) => loss(o, t), Optim.Adam(lr),
        new TrainerOptions { Epochs = epochs, BatchSize = data.Count, Shuffle = false, Progress = false }).Fit(data);

// 1. The square wave, fitted by P sigmoids.
using var wave = FunctionTargets.SquareWaveFourier(points: 50);
var x = wave.Inputs.to(run.Device);
var panels = new MultiPanelFigure(columns: 3) { Title = "1-P-1 sigmoid networks fitting a 3-term Fourier square wave", PanelWidth = 480, PanelHeight = 360 };
foreach (var p in new[] { 2, 5, 50 })
{
    var model = new Mlp(new MlpOptions { Sizes = [1, p, 1], Activation = Activation.Sigmoid }).to(run.Device);
    var history = Fit(model, wave, SumOfSquares, 0.1, waveEpochs);
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var linears = model.modules().OfType<Linear>().ToList();
    var hidden = sigmoid(x.matmul(linears[0].weight!.t()) + linears[0].bias!);      // [50, P]
    var contributions = (hidden * linears[1].weight!).t();                           // [P, 50]: v_j σ(w_j x + b_j)
    var output = model.call(x).flatten();
    panels.Add(new FunctionFitChart(wave.Inputs.flatten(), wave.Targets.flatten(), output.cpu(), contributions.cpu()) { XLabel = "x" },
        $"P = {p}: sum of squared errors {history.Last("train_loss"):F3}");
    run.Metric($"square_wave_sse_p{p}", history.Last("train_loss")!.Value);
    Console.WriteLine($"  1-{p}-1 on the square wave: sum of squared errors {history.Last("train_loss"):F4} after {waveEpochs} epochs");
}
panels.Save(run.PathFor("square_wave.png"));

// 2. Width against depth at about equal parameter counts.
using var product = FunctionTargets.SineProduct(points: 100);
var wide = new Mlp(new MlpOptions { Sizes = [1, 128, 1], Activation = Activation.Sigmoid }).to(run.Device);
var deep = new Mlp(new MlpOptions { Sizes = [1, 32, 8, 1], Activation = Activation.Sigmoid }).to(run.Device);
var fits = new LineChart { Title = "sin(x)·sin(4x)", XLabel = "x" }.Add("target", product.Inputs.flatten(), product.Targets.flatten(), width: 3);
var losses = new LineChart { Title = "Training loss (MSE)", XLabel = "epoch", LogY = true };
foreach (var (name, model) in new[] { ("1-128-1", wide), ("1-32-8-1", deep) })
{
    var history = Fit(model, product, MeanSquare, 1e-2, productEpochs);
    using (no_grad())
    using (NewDisposeScope())
        fits.Add($"{name} ({model.ParameterCount()} parameters)", product.Inputs.flatten(), model.call(product.Inputs.to(run.Device)).flatten().cpu(), dashed: true);
    losses.Add(name, history.Series("train_loss").ToArray());
    var key = name.Replace('-', '_');
    run.Metric($"sine_product_mse_{key}", history.Last("train_loss")!.Value);
    run.Metric($"parameters_{key}", model.ParameterCount());
    Console.WriteLine($"  {name} ({model.ParameterCount()} parameters) on sin(x)·sin(4x): MSE {history.Last("train_loss"):E3} after {productEpochs} epochs");
}
new MultiPanelFigure(columns: 2) { Title = "Width against depth at about equal parameter counts" }.Add(fits).Add(losses).Save(run.PathFor("width_vs_depth.png"));

run.Finish($"UniversalApproximation: square wave SSE {run.Metrics["square_wave_sse_p2"]:F3} / {run.Metrics["square_wave_sse_p5"]:F3} / {run.Metrics["square_wave_sse_p50"]:F3} for P = 2 / 5 / 50; " +
           $"MSE 1-128-1 {run.Metrics["sine_product_mse_1_128_1"]:E2}, 1-32-8-1 {run.Metrics["sine_product_mse_1_32_8_1"]:E2}");
