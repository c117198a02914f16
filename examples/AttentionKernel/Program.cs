// Attention on two tokens: XOR, which no single linear layer can compute, becomes easy once each bit is a token
// that looks at the other. (a) The course's XOR transformer (xor_transformer.ipynb): each bit a token, bias-free
// Linear(1→2) for Q, K and V, scores / √2, softmax, the attended values flattened, tanh, Linear(4→2), Linear(2→1),
// MSE to ±1 targets, Adam 0.1, 2000 full-batch epochs. The course gets ≈ [−1, 1, 1, −1], with uniform attention
// (0.5 everywhere) for [0,0] and [1,1]: a zero token has a zero query and key, and equal tokens score equally.
// (b) Attention as a learned kernel (Attention_Kernels.ipynb): the 2x2 "kernel" between the tokens is a learned
// function of the input, K = Linear(2→4) as 2x2, A = softmax(K) row-wise, V = Linear(2→8) as 2x4, Z = AV
// flattened, sigmoid(Linear(8→1)), BCE, Adam 0.01, 100 epochs (course: loss 0.7256 → 0.0791 at epoch 90). A
// frozen random Linear(8→2) shows Z in the plane: how the network moves the four inputs apart.
// The XOR recipe is run from several initialisations (see (a) below for why and what a seed scan found).
using TorchBinding.Data.Synthetic;
using TorchBinding.Models.Transformers;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Diagrams;
using TorchBinding.Plots.Images;
using TorchSharp.Modules;

var run = ExperimentRun.Start(args, "attention_kernel", "self-attention solves XOR; attention as a learned kernel",
    new ExtraOption("xor-epochs", "epochs of the XOR transformer (Adam 0.1)", "2000"),
    new ExtraOption("xor-restarts", "initialisations of the XOR transformer; the lowest final loss is kept", "8"),
    new ExtraOption("kernel-epochs", "epochs of the attention-kernel model (Adam 0.01)", "100"));
if (run is null)
    return;
// Both recipes take a few seconds in full: the fast mode runs them unchanged.

using var xor = LogicGates.Xor();                                   // (0,0), (0,1), (1,0), (1,1) → 0, 1, 1, 0
var inputs = xor.Inputs.to(run.Device);                             // [4, 2]
string[] names = ["[0,0]", "[0,1]", "[1,0]", "[1,1]"];

// (a) The XOR transformer. From one initialisation, Adam at 0.1 solves XOR only some of the time: in a scan of
// seeds 0-39 here, 16 runs ended with max error < 0.01, 7 between 0.01 and 0.1 (inside one of the loss spikes a
// step this large makes; the course's log has them too) and 17 stuck at the plateau with outputs near 0 (max
// error 1.33), attention saturated on the wrong token. So the recipe is run from several initialisations, drawn
// one after another from the seeded generator, and the one with the lowest final training loss is kept (a
// restart, chosen on the training loss; XOR has no other data). Every restart's result is printed.
var tokens = inputs.unsqueeze(-1);                                  // [4, 2 tokens, 1 feature]
var bipolar = xor.Targets.to(run.Device) * 2 - 1;                   // [4, 1] in {−1, +1}
var xorEpochs = run.Options.GetInt("xor-epochs");
var restarts = run.Options.GetInt("xor-restarts");
(XorTransformer Model, List<double> Losses, double MaxError) TrainXor()
{
    var model = new XorTransformer().to(run.Device);
    var optimizer = Optim.Adam(0.1).Build(model);
    var losses = new List<double>();
    for (var epoch = 1; epoch <= xorEpochs; epoch++)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        var loss = nn.functional.mse_loss(model.call(tokens), bipolar);
        loss.backward();
        optimizer.step();
        losses.Add(loss.item<float>());
    }
    using var noGrad = no_grad();
    using var evaluation = NewDisposeScope();
    return (model, losses, (model.call(tokens) - bipolar).abs().max().item<float>());
}
var trained = new List<(XorTransformer Model, List<double> Losses, double MaxError)>();
for (var restart = 1; restart <= restarts; restart++)
{
    trained.Add(TrainXor());
    Console.WriteLine($"  XOR transformer, initialisation {restart}: MSE after {xorEpochs} epochs {trained[^1].Losses[^1]:G4}, max |error| {trained[^1].MaxError:G3}");
}
var best = trained.MinBy(t => t.Losses[^1]);
var (xorModel, xorLosses) = (best.Model, best.Losses);
run.Metric("xor_restarts", restarts);
var solved = run.Report("xor_solved_restarts", trained.Count(t => t.MaxError < 0.01), $"initialisations that solved XOR (max |error| < 0.01), of {restarts}", "0");
run.Report("xor_solved_fraction", solved / restarts, "fraction of initialisations that solved XOR (the best one is kept below)", "P0");
float[] xorOutputs, xorAttention, xorHidden;
using (no_grad())
{
    var (output, attention, hidden) = xorModel.Run(tokens);
    (xorOutputs, xorAttention, xorHidden) = (output.cpu().data<float>().ToArray(), attention.cpu().data<float>().ToArray(), hidden.cpu().data<float>().ToArray());
}
var xorMaxError = xorOutputs.Select((o, i) => Math.Abs(o - (i is 1 or 2 ? 1 : -1))).Max();
Console.WriteLine($"  outputs {string.Join(", ", xorOutputs.Select(o => o.ToString("F4")))} (targets −1, 1, 1, −1; the course: −1.0002, 1.0033, 1.0033, −0.9973)");
for (var i = 0; i < 4; i++)
    Console.WriteLine($"  {names[i]}: attention [[{xorAttention[4 * i]:F4}, {xorAttention[4 * i + 1]:F4}], [{xorAttention[4 * i + 2]:F4}, {xorAttention[4 * i + 3]:F4}]], fc1 output ({xorHidden[2 * i]:F4}, {xorHidden[2 * i + 1]:F4})");
run.Report("xor_max_error", xorMaxError, "XOR transformer (lowest-loss initialisation) max |output − target|", "G3");
run.Metric("xor_final_loss", xorLosses[^1]);
// [0,0] and [1,1] attend uniformly whatever the weights: the largest deviation from 0.5 is rounding.
run.Metric("xor_uniform_attention_deviation", new[] { 0, 3 }.SelectMany(i => xorAttention.Skip(4 * i).Take(4)).Max(a => Math.Abs(a - 0.5)));

var lossChart = new LineChart { Title = "XOR transformer: training loss of each initialisation (Adam 0.1)", XLabel = "epoch", YLabel = "MSE", LogY = true };
var others = trained.Where(t => !ReferenceEquals(t.Model, xorModel)).ToList();
for (var i = 0; i < others.Count; i++)
    lossChart.Add(i == 0 ? "the other initialisations" : null, others[i].Losses.ToArray(), new SkiaSharp.SKColor(170, 170, 170), width: 1f);
lossChart.Add("kept (lowest final loss)", xorLosses.ToArray(), width: 2f);
lossChart.Save(run.PathFor("xor_loss.png"));
var attentionPanels = new MultiPanelFigure(columns: 4) { Title = "XOR transformer: attention of each input (row: query token, column: key token)", PanelWidth = 300, PanelHeight = 290 };
for (var i = 0; i < 4; i++)
{
    var bits = names[i][1..^1].Split(',');
    attentionPanels.Add(new Heatmap(new double[,] { { xorAttention[4 * i], xorAttention[4 * i + 1] }, { xorAttention[4 * i + 2], xorAttention[4 * i + 3] } })
    {
        Min = 0, Max = 1, ShowValues = true, ValueFormat = "0.000", ShowColorBar = false,
        RowLabels = [$"x₁={bits[0]}", $"x₂={bits[1]}"], ColumnLabels = [$"x₁={bits[0]}", $"x₂={bits[1]}"],
    }, $"input {names[i]} → {xorOutputs[i]:F3}");
}
attentionPanels.Save(run.PathFor("xor_attention.png"));

// (b) Attention as a learned kernel.
var kernelModel = new AttentionKernelModel().to(run.Device);
var labels = xor.Targets.to(run.Device);                            // [4, 1] in {0, 1}
var kernelOptimizer = Optim.Adam(0.01).Build(kernelModel);   // the frozen projection is not trained
var kernelEpochs = run.Options.GetInt("kernel-epochs");
var kernelLosses = new List<double>();
var snapshots = new List<(int Epoch, double[,] Projected)>();
var snapshotEpochs = new[] { 0, kernelEpochs / 4, kernelEpochs / 2, kernelEpochs };
double[,] Projected()
{
    using var noGrad = no_grad();
    var (_, _, z) = kernelModel.Run(inputs);
    return ToMatrix(kernelModel.Project(z));
}
for (var epoch = 0; epoch < kernelEpochs; epoch++)
{
    if (snapshotEpochs.Contains(epoch))
        snapshots.Add((epoch, Projected()));
    using var scope = NewDisposeScope();
    kernelOptimizer.zero_grad();
    var loss = nn.functional.binary_cross_entropy(kernelModel.call(inputs), labels);
    loss.backward();
    kernelOptimizer.step();
    kernelLosses.Add(loss.item<float>());
    if (epoch % 10 == 0)
        Console.WriteLine($"  attention kernel, epoch {epoch,3}: BCE {kernelLosses[^1]:F4}");
}
snapshots.Add((kernelEpochs, Projected()));
double kernelLoss, kernelAccuracy;
float[] kernelAttention;
using (no_grad())
using (NewDisposeScope())
{
    var (p, a, _) = kernelModel.Run(inputs);
    kernelLoss = nn.functional.binary_cross_entropy(p, labels).item<float>();
    kernelAccuracy = p.gt(0.5).to(float32).eq(labels).to(float32).mean().item<float>();
    kernelAttention = a.cpu().data<float>().ToArray();
}
run.Metric("kernel_first_loss", kernelLosses[0]);
if (kernelEpochs > 90)
    run.Metric("kernel_loss_epoch_90", kernelLosses[90]);
run.Report("kernel_final_loss", kernelLoss, $"attention kernel BCE after {kernelEpochs} epochs (the course: 0.7256 at epoch 0, 0.0791 at epoch 90)", "F4");
run.Report("kernel_accuracy", kernelAccuracy, "attention kernel accuracy on the four points", "P0");

var transformation = new MultiPanelFigure(columns: snapshots.Count) { Title = "Attention as a learned kernel: each input (grey) and where the network puts it (Z = AV, seen through a frozen random projection)", PanelWidth = 330, PanelHeight = 330 };
using (var classes = xor.Targets.flatten().to(int64))
{
    var original = ToMatrix(xor.Inputs);
    foreach (var (epoch, projected) in snapshots)
    {
        transformation.Add(new ScatterChart { XLabel = "dimension 1", YLabel = "dimension 2", MarkerSize = 10 }
            .AddArrows(null, original, projected)
            .AddPoints("input", xor.Inputs[.., 0], xor.Inputs[.., 1], new SkiaSharp.SKColor(150, 150, 150))
            .AddClasses(projected, classes, ["y = 0", "y = 1"]), epoch == 0 ? "epoch 0 (untrained)" : $"after epoch {epoch}");
    }
}
transformation.Save(run.PathFor("kernel_transformation.png"));

var graphs = new MultiPanelFigure(columns: 2) { Title = "The learned attention as graphs (edge i → j: how much token i attends to token j)", PanelWidth = 440, PanelHeight = 420 };
for (var i = 0; i < 4; i++)
{
    var bits = names[i][1..^1].Split(',');
    var (t0, t1) = ($"x₁={bits[0]}", $"x₂={bits[1]}");
    string Weight(int row, int column) => kernelAttention[4 * i + 2 * row + column].ToString("F2");
    graphs.Add(new GraphDiagram { Layout = GraphLayout.Circular }
        .AddEdge(t0, t0, Weight(0, 0)).AddEdge(t0, t1, Weight(0, 1)).AddEdge(t1, t0, Weight(1, 0)).AddEdge(t1, t1, Weight(1, 1)), $"input {names[i]}");
}
graphs.Save(run.PathFor("kernel_attention_graphs.png"));
new LineChart { Title = "Attention kernel: training loss (Adam 0.01)", XLabel = "epoch", YLabel = "BCE" }
    .Add("BCE", kernelLosses.ToArray()).Save(run.PathFor("kernel_loss.png"));

run.Finish($"AttentionKernel: XOR transformer max error {xorMaxError:G3} after {xorEpochs} epochs, the lowest-loss of {restarts} initialisations ({solved:F0} of {restarts} solved it: {solved / restarts:P0}); attention kernel BCE {kernelLoss:F4} after {kernelEpochs} epochs, {kernelAccuracy:P0} right");

static double[,] ToMatrix(Tensor points)
{
    var values = points.detach().cpu().to(float64).data<double>().ToArray();
    var matrix = new double[points.shape[0], 2];
    for (var i = 0; i < values.Length / 2; i++)
        (matrix[i, 0], matrix[i, 1]) = (values[2 * i], values[2 * i + 1]);
    return matrix;
}

/// <summary>The course's XOR transformer: two one-number tokens, one attention layer of width 2, tanh, fc1 (4→2), fc2 (2→1).</summary>
sealed class XorTransformer : nn.Module<Tensor, Tensor>
{
    readonly Linear w_q = nn.Linear(1, 2, hasBias: false);
    readonly Linear w_k = nn.Linear(1, 2, hasBias: false);
    readonly Linear w_v = nn.Linear(1, 2, hasBias: false);
    readonly Linear fc1 = nn.Linear(4, 2);
    readonly Linear fc2 = nn.Linear(2, 1);

    public XorTransformer() : base("xor_transformer") => RegisterComponents();

    /// <summary>The output [B, 1], the attention [B, 2, 2] and fc1's output [B, 2] of tokens [B, 2, 1].</summary>
    public (Tensor Output, Tensor Attention, Tensor Hidden) Run(Tensor tokens)
    {
        // Scores / √2: the standard scale for queries of 2 features (the notebook divides by √d_model = √2).
        var (attended, weights) = ScaledDotProductAttention.ComputeWithWeights(w_q.call(tokens), w_k.call(tokens), w_v.call(tokens));
        var hidden = fc1.call(tanh(attended.flatten(1)));
        return (fc2.call(hidden), weights, hidden);
    }

    public override Tensor forward(Tensor tokens) => Run(tokens).Output;
}

/// <summary>The course's attention-kernel model: a learned 2x2 kernel between the two tokens, softmax, values, a sigmoid readout.</summary>
sealed class AttentionKernelModel : nn.Module<Tensor, Tensor>
{
    readonly Linear kernel_layer = nn.Linear(2, 4);
    readonly Linear value_layer = nn.Linear(2, 8);
    readonly Linear projection_layer = nn.Linear(8, 2);
    readonly Linear output_layer = nn.Linear(8, 1);

    public AttentionKernelModel() : base("attention_kernel")
    {
        RegisterComponents();
        // A fixed random view of the 8-dimensional Z for the pictures, never trained.
        projection_layer.weight!.requires_grad = false;
        projection_layer.bias!.requires_grad = false;
    }

    /// <summary>P(y = 1) [B, 1], the attention [B, 2, 2] and Z = AV flattened [B, 8] of inputs [B, 2].</summary>
    public (Tensor Probability, Tensor Attention, Tensor Z) Run(Tensor x)
    {
        var batch = x.shape[0];
        var attention = kernel_layer.call(x).view(batch, 2, 2).softmax(-1);     // row i: how token i weighs tokens 0 and 1
        var values = value_layer.call(x).view(batch, 2, 4);
        var z = bmm(attention, values).view(batch, 8);
        return (sigmoid(output_layer.call(z)), attention, z);
    }

    /// <summary>Z seen in the plane through the frozen random projection.</summary>
    public Tensor Project(Tensor z) => projection_layer.call(z);

    public override Tensor forward(Tensor x) => Run(x).Probability;
}
