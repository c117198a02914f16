// Learning filters. 1. A fixed Laplacian kernel on the lecture's 512x512 camera image: without padding the
// output shrinks to 510x510, and what a CNN layer computes is a correlation (the kernel is not flipped):
// shown with an asymmetric Sobel kernel, where correlation and true convolution differ.
// 2. A 3x3 filter learned from data: Conv 1→1 k3 + tanh, trained with Adam (1e-2, 1000 iterations, sum of
// squared errors) to answer +1 at the centre of every "+" and −1 elsewhere (including on the "−" patterns).
using TorchBinding;
using TorchBinding.Data.Images;
using TorchBinding.Data.Synthetic;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "learn_filters", "a fixed Laplacian on the camera image, and a 3x3 filter learned to detect '+' patterns",
    new ExtraOption("iterations", "Adam iterations for the learned filter", "1000", FastDefault: "300"));
if (run is null)
    return;

// 1. Fixed kernels.
using var camera = TestImages.Camera().unsqueeze(0);                   // [1, 1, 512, 512]
using var laplacian = tensor(new float[] { 0, 1, 0, 1, -4, 1, 0, 1, 0 }).reshape(1, 1, 3, 3);
using var edges = nn.functional.conv2d(camera, laplacian);              // no padding
Console.WriteLine($"  camera {Shapes.Format(camera)} * Laplacian 3x3 without padding -> {Shapes.Format(edges)}");

using var sobel = tensor(new float[] { -1, 0, 1, -2, 0, 2, -1, 0, 1 }).reshape(1, 1, 3, 3);
double correlationError, convolutionDifference;
using (NewDisposeScope())
{
    // Correlation by hand: Σ_ij k[i,j]·x[r+i, c+j], from the 9 shifted views of the image.
    var byHand = zeros_like(edges);
    var flipped = zeros_like(edges);
    for (var i = 0; i < 3; i++)
        for (var j = 0; j < 3; j++)
        {
            var window = camera[.., .., i..(i + 510), j..(j + 510)];
            byHand += sobel[0, 0, i, j] * window;
            flipped += sobel[0, 0, 2 - i, 2 - j] * window;                // true convolution flips the kernel
        }
    var layer = nn.functional.conv2d(camera, sobel);
    correlationError = (layer - byHand).abs().max().item<float>();
    convolutionDifference = (layer - flipped).abs().max().item<float>();
}
Console.WriteLine($"  conv2d vs correlation by hand: largest difference {correlationError:E2}; vs convolution (flipped kernel): {convolutionDifference:F3}");
using (var display = edges[0, 0])
{
    var limit = display.abs().max().item<float>() / 4;                 // edges are sparse: a quarter of the range shows them
    new MultiPanelFigure(columns: 2) { Title = "A fixed 3x3 Laplacian [[0,1,0],[1,−4,1],[0,1,0]], no padding", PanelWidth = 520, PanelHeight = 560 }
        .Add(new ImageFigure(camera[0]), "camera, 512x512")
        .Add(new ImageFigure(display) { Min = -limit, Max = limit, Colormap = Colormap.Balance }, "Laplacian response, 510x510")
        .Save(run.PathFor("laplacian.png"));
}

// 2. A learned filter.
using var pattern = PatternDetection.PlusMinusImage(size: 32, plusCount: 4, minusCount: 4, seed: run.Seed);
var image = pattern.Image.to(run.Device);
var target = pattern.Target.to(run.Device);
var filter = nn.Sequential(("conv", nn.Conv2d(1, 1, 3)), ("tanh", nn.Tanh())).to(run.Device);
var optimizer = Optim.Adam(1e-2).Build(filter);
var iterations = run.Options.GetInt("iterations");
var losses = new List<double>();
for (var step = 0; step < iterations; step++)
{
    using var scope = NewDisposeScope();
    optimizer.zero_grad();
    var loss = (filter.call(image) - target).square().sum();            // sum of squared errors
    loss.backward();
    optimizer.step();
    losses.Add(loss.item<float>());
}
float[] kernel;
double bias, detectionAccuracy;
int found;
using (no_grad())
using (NewDisposeScope())
{
    var output = filter.call(image);
    var decided = output.sign();
    detectionAccuracy = decided.eq(target).to(float32).mean().item<float>();
    found = (int)decided.eq(1).logical_and(target.eq(1)).sum().item<long>();
    var conv = (TorchSharp.Modules.Conv2d)filter.children().First();
    kernel = conv.weight!.cpu().flatten().data<float>().ToArray();
    bias = conv.bias!.cpu().item<float>();
    var kernelFigure = new Heatmap(conv.weight!.cpu()[0, 0]) { ShowValues = true, ValueFormat = "0.00", Colormap = Colormap.Balance, ColorBarLabel = "weight" };
    var range = kernel.Max(Math.Abs);
    kernelFigure.WithRange(-range, range);
    new MultiPanelFigure(columns: 3) { Title = $"Learning a 3x3 filter that finds '+' ({iterations} Adam steps)", PanelWidth = 420, PanelHeight = 380 }
        .Add(new ImageFigure(image.cpu()[0]), "input: 4 '+' and 4 '−'")
        .Add(new ImageFigure(target.cpu()[0]) { Min = -1, Max = 1, Colormap = Colormap.Balance }, "target: +1 at '+' centres")
        .Add(new ImageFigure(output.cpu()[0]) { Min = -1, Max = 1, Colormap = Colormap.Balance }, "output tanh(w ⋆ x + b)")
        .Add(new ImageFigure(decided.cpu()[0]) { Min = -1, Max = 1, Colormap = Colormap.Balance }, "thresholded output sign(·)")
        .Add(new LineChart { XLabel = "iteration", YLabel = "sum of squared errors", LogY = true }.Add("loss", losses), "loss")
        .Add(kernelFigure, $"learned kernel (bias {bias:F2})")
        .Save(run.PathFor("learned_filter.png"));
}
Console.WriteLine($"  learned kernel {string.Join(" ", kernel.Select(k => k.ToString("F2")))}, bias {bias:F2}");
Console.WriteLine($"  after {iterations} iterations: loss {losses[^1]:F3}; {found} of {pattern.PlusCenters.Count} '+' found; {detectionAccuracy:P2} of the output's signs right");

run.Metric("laplacian_output_height", edges.shape[2]);
run.Metric("laplacian_output_width", edges.shape[3]);
run.Metric("correlation_max_error", correlationError);
run.Metric("convolution_difference", convolutionDifference);
run.Metric("final_loss", losses[^1]);
run.Metric("detection_accuracy", detectionAccuracy);
run.Metric("plus_found", found);
run.Metric("plus_count", pattern.PlusCenters.Count);
run.Finish($"LearnFilters: 512x512 -> {edges.shape[2]}x{edges.shape[3]} without padding; conv2d is correlation (error {correlationError:E1}); learned filter finds {found} of {pattern.PlusCenters.Count} '+', {detectionAccuracy:P1} of signs right");
