// Batch normalisation on XOR. The course's notebook (xornet_batch_normalization): fc1 2→8, BN(8), ReLU, fc2 8→4,
// BN(4), ReLU, fc3 4→1 (a logit), BCE with logits, Adam 0.01, 1000 full-batch epochs in training mode. It reports
// the loss falling from 0.6571 (epoch 1) to 0.0027 (epoch 901) and eval-mode logits ≈ [−6.8, 4.8, 9.0, −6.8].
// What batch norm does: in training mode each neuron's pre-activations are standardised over the batch and then
// scaled and shifted by learned γ and β, so whatever the layer below does, every neuron's output has mean β and
// standard deviation γ over the batch (the histograms show it). In evaluation mode it uses running averages of the
// batch statistics instead (momentum 0.1), so a prediction no longer depends on the rest of the batch — and the two
// modes give different outputs: the averages lag behind the weights, and the running variance is the unbiased
// (n/(n−1)) estimate, which for XOR's batch of four is 4/3 of the variance training normalised by.
// For comparison the same network without batch norm, over several seeds.
using TorchBinding.Data.Synthetic;
using TorchBinding.Plots.Charts;
using TorchBinding.Runtime;
using TorchBinding.Statistics;

var run = ExperimentRun.Start(args, "batch_norm_xor", "batch norm on XOR: the course's network, what BN does to each neuron, train vs eval mode, and the same network without BN",
    new ExtraOption("epochs", "training epochs", "1000"),
    new ExtraOption("seeds", "seeds of the with/without comparison", "10", FastDefault: "3"));
if (run is null)
    return;
var epochs = run.Options.GetInt("epochs");
var seeds = run.Options.GetInt("seeds");
using var xor = LogicGates.Xor();

// Training mode on full batches of the four points, as the notebook trains.
TrainingHistory Train(XorBnNet model) =>
    new Trainer(model, (o, y) => nn.functional.binary_cross_entropy_with_logits(o, y), Optim.Adam(0.01),
        run.TrainerOptions with { Epochs = epochs, BatchSize = 4, Progress = false }).Fit(xor);

// 1. The course's network, seeded.
var model = new XorBnNet(batchNorm: true);
var history = Train(model);
var losses = history.StepLosses;
foreach (var e in new[] { 0, 100, 200, 300, 400, 500, 600, 700, 800, 900 }.Where(e => e < losses.Count))
    Console.WriteLine($"  epoch {e + 1,4}/{epochs}: loss {losses[e]:F4}");
run.Report("first_loss", losses[0], "loss at epoch 1 (course 0.6571)", "F4");
run.Report("final_loss", losses[^1], $"loss at epoch {epochs} (course 0.0027 at epoch 901)", "F4");

// 2. Train vs eval mode on the four points. A train-mode pass would update the running statistics: they are put back.
float[] Logits(bool training)
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var saved = model.BatchNorms.Select(bn => (bn, Mean: bn.running_mean!.clone(), Var: bn.running_var!.clone())).ToList();
    model.train(training);
    var logits = model.call(xor.Inputs).flatten().data<float>().ToArray();
    foreach (var (bn, mean, variance) in saved)
    {
        bn.running_mean!.copy_(mean);
        bn.running_var!.copy_(variance);
    }
    model.eval();
    return logits;
}
var trainLogits = Logits(training: true);
var evalLogits = Logits(training: false);
Console.WriteLine($"  logits in training mode (batch statistics): [{string.Join(", ", trainLogits.Select(v => v.ToString("F2")))}]");
Console.WriteLine($"  logits in eval mode (running statistics):   [{string.Join(", ", evalLogits.Select(v => v.ToString("F2")))}]  (course [−6.81, 4.76, 8.96, −6.79])");
for (var i = 0; i < 4; i++)
{
    run.Metric($"train_mode_logit_{i}", trainLogits[i]);
    run.Metric($"eval_mode_logit_{i}", evalLogits[i]);
}
var evalCorrect = Enumerable.Range(0, 4).Count(i => (evalLogits[i] > 0) == (i is 1 or 2));
run.Report("eval_accuracy", evalCorrect / 4.0, "eval-mode accuracy on the four points", "P0");
using (var evalLoss = nn.functional.binary_cross_entropy_with_logits(tensor(evalLogits, [4, 1]), xor.Targets))
    run.Report("eval_loss", evalLoss.item<float>(), "BCE of the eval-mode logits", "F4");
// The variance factor alone: with the running statistics equal to the last batch's, eval mode would divide by √(4/3·σ²).
var bn1 = model.BatchNorms[0];
using (var noGrad = no_grad())
using (var pre = model.Fc1.call(xor.Inputs))
{
    var batchVariance = pre.var(0, unbiased: false);
    var ratio = (bn1.running_var! / batchVariance).mean().item<float>();
    run.Report("bn1_running_to_batch_variance", ratio, "layer 1: running variance / batch variance (biased), mean over neurons (4/3 = 1.33 expected)", "F3");
}

new BarChart(["(0,0) → 0", "(0,1) → 1", "(1,0) → 1", "(1,1) → 0"]) { Title = "Logits of the BN network: training mode vs eval mode", YLabel = "logit", ValueFormat = "0.0", ShowValues = true }
    .Add("training mode (batch statistics)", trainLogits).Add("eval mode (running statistics)", evalLogits)
    .Save(run.PathFor("train_vs_eval.png"));

// 3. Per-neuron histograms of BN's input and output, in training mode, over a batch of 400 jittered XOR points
// (σ = 0.15 around the corners): whatever the input distribution, each output has mean β and std γ over the batch.
var jitter = Jittered(400);
var recorded = model.Record(jitter);
var layerPanels = new List<MultiPanelFigure>();
for (var layer = 0; layer < 2; layer++)
{
    var (input, output) = recorded[layer];
    var neurons = (int)input.shape[1];
    var bn = model.BatchNorms[layer];
    var panels = new MultiPanelFigure(columns: 4) { Title = $"BN layer {layer + 1}: each neuron's input (pre-activation) and output over a training batch", PanelWidth = 330, PanelHeight = 240 };
    double maxMeanError = 0, maxStdError = 0;
    for (var j = 0; j < neurons; j++)
    {
        var x = input[.., j].data<float>().ToArray();
        var y = output[.., j].data<float>().ToArray();
        var (gamma, beta) = (bn.weight![j].item<float>(), bn.bias![j].item<float>());
        var summary = Descriptive.Summarize(y.Select(v => (double)v).ToList());
        maxMeanError = Math.Max(maxMeanError, Math.Abs(summary.Mean - beta));
        maxStdError = Math.Max(maxStdError, Math.Abs(summary.StandardDeviation * Math.Sqrt((y.Length - 1.0) / y.Length) - Math.Abs(gamma)));
        panels.Add(new HistogramChart { Bins = 24, Legend = j == 0 ? LegendPosition.UpperRight : LegendPosition.Hidden }
            .Add("BN input", x).Add("BN output", y), $"neuron {j + 1}: γ = {gamma:F2}, β = {beta:F2}");
    }
    layerPanels.Add(panels);
    panels.Save(run.PathFor($"bn{layer + 1}_histograms.png"));
    run.Metric($"bn{layer + 1}_output_mean_minus_beta", maxMeanError);
    run.Metric($"bn{layer + 1}_output_std_minus_gamma", maxStdError);
    Console.WriteLine($"  BN layer {layer + 1}: over the batch every output has mean β (largest error {maxMeanError:E1}) and std |γ| (largest error {maxStdError:E1})");
}
recorded.ForEach(r => { r.Input.Dispose(); r.Output.Dispose(); });
jitter.Dispose();

// 4. With and without batch norm over several seeds: the final loss and whether the four points are classified.
var comparison = new LineChart { Title = $"Training loss with and without batch norm ({seeds} seeds; seed {run.Seed} bold)", XLabel = "epoch", YLabel = "BCE", LogY = true, ShowMarkers = false };
var finals = new Dictionary<bool, List<double>> { [true] = [], [false] = [] };
foreach (var withBn in new[] { true, false })
{
    for (var s = 0; s < seeds; s++)
    {
        Seeding.SeedEverything(run.Seed + s);
        using var net = new XorBnNet(withBn);
        var curve = Train(net).StepLosses;
        finals[withBn].Add(curve[^1]);
        comparison.Add(s == 0 ? (withBn ? "with BN" : "without BN") : null, curve.ToArray(), withBn ? Palette.OkabeIto[1] : Palette.OkabeIto[2], dashed: !withBn, width: s == 0 ? 2.5f : 0.8f);
    }
    var tag = withBn ? "with_bn" : "without_bn";
    run.Metric($"{tag}_median_final_loss", Descriptive.Median(finals[withBn]));
    run.Metric($"{tag}_solved_fraction", finals[withBn].Count(l => l < 0.1) / (double)seeds);
    Console.WriteLine($"  {(withBn ? "with BN" : "without BN"),-11}: final loss median {Descriptive.Median(finals[withBn]):G3}, range [{finals[withBn].Min():G3}, {finals[withBn].Max():G3}]; solved (loss < 0.1) {finals[withBn].Count(l => l < 0.1)}/{seeds}");
}
comparison.Save(run.PathFor("with_vs_without_bn.png"));
run.Finish($"BatchNormXor: final loss {losses[^1]:F4} (course 0.0027), eval-mode logits [{string.Join(", ", evalLogits.Select(v => v.ToString("F1")))}]; without BN median final loss {Descriptive.Median(finals[false]):G3} over {seeds} seeds");

// The four XOR corners, each repeated with Gaussian jitter, as one batch [n, 2].
Tensor Jittered(int n)
{
    using var scope = NewDisposeScope();
    var corners = xor.Inputs.repeat(n / 4, 1);
    return (corners + 0.15 * randn_like(corners)).MoveToOuterDisposeScope();
}

/// <summary>The course's network: fc1 2→8, BN(8), ReLU, fc2 8→4, BN(4), ReLU, fc3 4→1 (logit); without batch norm when asked.</summary>
sealed class XorBnNet : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Linear fc1, fc2, fc3;
    readonly TorchSharp.Modules.BatchNorm1d? bn1, bn2;

    public XorBnNet(bool batchNorm) : base(batchNorm ? "XorBnNet" : "XorNet")
    {
        fc1 = nn.Linear(2, 8);
        fc2 = nn.Linear(8, 4);
        fc3 = nn.Linear(4, 1);
        if (batchNorm)
            (bn1, bn2) = (nn.BatchNorm1d(8), nn.BatchNorm1d(4));
        RegisterComponents();
    }

    /// <summary>The first layer (for its pre-activations).</summary>
    public TorchSharp.Modules.Linear Fc1 => fc1;

    /// <summary>The two batch norms, first layer first (empty without batch norm).</summary>
    public IReadOnlyList<TorchSharp.Modules.BatchNorm1d> BatchNorms => bn1 is null ? [] : [bn1, bn2!];

    public override Tensor forward(Tensor x)
    {
        if (x.dim() != 2 || x.shape[1] != 2)
            throw new ArgumentException($"{GetName()} expects points [N, 2], got [{string.Join(", ", x.shape)}].", nameof(x));
        var h = nn.functional.relu(Norm(bn1, fc1.call(x)));
        h = nn.functional.relu(Norm(bn2, fc2.call(h)));
        return fc3.call(h);
    }

    static Tensor Norm(TorchSharp.Modules.BatchNorm1d? bn, Tensor x) => bn is null ? x : bn.call(x);

    /// <summary>
    /// Each batch norm's input and output for one training-mode pass of <paramref name="x"/> (no gradients; the running
    /// statistics are put back afterwards).
    /// </summary>
    public List<(Tensor Input, Tensor Output)> Record(Tensor x)
    {
        using var noGrad = no_grad();
        var saved = BatchNorms.Select(bn => (Mean: bn.running_mean!.clone(), Var: bn.running_var!.clone())).ToList();
        var wasTraining = training;
        train();
        var records = new List<(Tensor, Tensor)>();
        var h = fc1.call(x);
        var o = bn1!.call(h);
        records.Add((h.clone(), o.clone()));
        h = fc2.call(nn.functional.relu(o));
        o = bn2!.call(h);
        records.Add((h.clone(), o.clone()));
        for (var i = 0; i < saved.Count; i++)
        {
            BatchNorms[i].running_mean!.copy_(saved[i].Mean);
            BatchNorms[i].running_var!.copy_(saved[i].Var);
            saved[i].Mean.Dispose();
            saved[i].Var.Dispose();
        }
        train(wasTraining);
        return records;
    }
}
