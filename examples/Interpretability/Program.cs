// Why did it say that? Attribution methods on two trained CNNs: the course CNN on MNIST (the course's recipe:
// Adam 1e-3, batch 100, 5 epochs, 98.82 % in the course) and the small CNN (93,482 parameters) on Fashion-MNIST.
// The course has no notebook on interpretability, so the methods follow their papers: the vanilla gradient
// (Simonyan et al., 2014), gradient × input (Shrikumar et al., 2016), SmoothGrad (Smilkov et al., 2017: 50 copies,
// noise 15 % of the range), Integrated Gradients (Sundararajan et al., 2017: black baseline; its attributions must
// sum to f(x) − f(baseline), checked to 1 %), occlusion (Zeiler & Fergus, 2014: 4x4 black patches, stride 2) and
// Grad-CAM (Selvaraju et al., 2017) on the last convolution block. Two checks of whether a map can be trusted:
// faithfulness — delete the pixels a map ranks highest and the class probability should fall faster than when
// deleting them in random order (Petsiuk et al., 2018: a smaller area under the deletion curve), and insertion
// the other way round — and the model-randomisation sanity check (Adebayo et al., 2018): a map that barely
// changes when the trained weights are replaced by random ones, layer by layer from the top, explains the input,
// not the model.
using TorchBinding.Analysis.Interpretability;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "interpretability", "saliency, gradient x input, SmoothGrad, Integrated Gradients, occlusion and Grad-CAM on MNIST and Fashion-MNIST CNNs, with faithfulness and sanity checks",
    new ExtraOption("epochs", "epochs of the course CNN on MNIST", "5", FastDefault: "1"),
    new ExtraOption("fashion-epochs", "epochs of the small CNN on Fashion-MNIST", "5", FastDefault: "1"),
    new ExtraOption("faithfulness-images", "test images for the deletion and insertion curves", "200", FastDefault: "40"),
    new ExtraOption("ig-steps", "Integrated Gradients' steps (trapezoidal rule), doubled for images whose completeness error exceeds 0.5 %", "128"));
if (run is null)
    return;

var faithfulnessImages = run.Options.GetInt("faithfulness-images");
// IG's trapezoidal rule over a ReLU network's kinked path: a few images need more steps to be complete to 0.5 %.
var integratedGradients = new IntegratedGradients(new() { Steps = run.Options.GetInt("ig-steps"), TargetRelativeError = 0.005, MaxSteps = 2048 });
var faithfulness = new FaithfulnessOptions { Steps = run.Fast ? 10 : 28, Fill = 0, Seed = run.Seed };

// The methods, each called alike: attributions of the images' shape [N, 1, 28, 28], larger = more important for the
// class. Magnitudes for the gradient and SmoothGrad (their sign says which way to change a pixel, not whether it
// helped), signed evidence for the others. A method's Name is its key in metrics.json.
IReadOnlyList<IAttributionMethod> Methods(string gradCamLayer) =>
[
    new Saliency(new() { Absolute = true }) { Name = "gradient" },
    new GradientTimesInput(),
    new SmoothGrad(new() { Samples = run.Fast ? 16 : 50, NoiseLevel = 0.15, Seed = run.Seed, Absolute = true }),
    integratedGradients,
    new Occlusion(new() { PatchSize = 4, Stride = 2, Fill = 0 }),
    new GradCam(gradCamLayer),
];

// How the figures and tables name a method: a title and a short title.
(string Title, string Short) Label(IAttributionMethod method) => method switch
{
    GradCam gradCam => ($"Grad-CAM ({gradCam.Layer})", "Grad-CAM"),
    RandomAttribution => ("random order", "random"),
    _ => method.Name switch
    {
        "gradient_x_input" => ("gradient × input", "grad × input"),
        "smoothgrad" => ("SmoothGrad", "SmoothGrad"),
        "integrated_gradients" => ("Integrated Gradients", "IG"),
        _ => (method.Name, method.Name),
    },
};

// A map laid over its image, from 0 (transparent) to the map's largest value (an all-zero map stays transparent).
HeatmapOverlay Overlay(Tensor image, Tensor map) =>
    new(image, map) { ShowColorBar = false, Min = 0, Max = Math.Max(map.max().to(float64).item<double>(), 1e-12) };

// Train a CNN with the trainer; returns its test accuracy.
double Train(Cnn model, InMemoryDataset train, InMemoryDataset test, int epochs, string key)
{
    var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
        run.TrainerOptions with { Epochs = epochs, BatchSize = 100, Metrics = [() => new Accuracy()] });
    trainer.Fit(train);
    return run.Report($"{key}_test_accuracy", trainer.Evaluate(test)["accuracy"], $"{key}: test accuracy", "P2");
}

// Rows of test images, columns of methods: the maps laid over the images.
void DrawMaps(Cnn model, InMemoryDataset test, IReadOnlyList<IAttributionMethod> methods, string key, string title, IReadOnlyList<string> classNames)
{
    using var scope = NewDisposeScope();
    const int rows = 6;
    var x = test.Inputs[..rows].to(run.Device);
    var y = test.Targets[..rows].to(run.Device);
    // One value per pixel: the sum over the channels, as the deletion curves rank pixels (MNIST has one channel).
    var maps = methods.Select(m => Attribution.ToPixelMap(m.Attribute(model, x, y), PixelReduction.Sum).cpu()).ToList();
    Tensor predicted;
    using (no_grad())
    {
        model.eval();
        predicted = model.call(x).argmax(1).cpu();
    }
    var figure = new MultiPanelFigure(columns: methods.Count + 1) { Title = title, PanelWidth = 150, PanelHeight = 170 };
    for (var r = 0; r < rows; r++)
    {
        var image = x[r, 0].cpu();
        var (truth, guess) = (classNames[(int)y[r].item<long>()], classNames[(int)predicted[r].item<long>()]);
        figure.Add(new ImageFigure(image) { Min = 0, Max = 1 }, truth == guess ? $"{truth} ✓" : $"{truth} (as {guess})");
        for (var c = 0; c < methods.Count; c++)
            figure.Add(Overlay(image, maps[c][r].clamp_min(0)), r == 0 ? Label(methods[c]).Short : "");
    }
    figure.Save(run.PathFor($"{key}_maps.png"));
}

// Deletion and insertion curves of every method and of a random order; IG's completeness on the same images.
void MeasureFaithfulness(Cnn model, InMemoryDataset test, IReadOnlyList<IAttributionMethod> methods, string prefix, string title)
{
    using var scope = NewDisposeScope();
    var x = test.Inputs[..faithfulnessImages].to(run.Device);
    var y = test.Targets[..faithfulnessImages].to(run.Device);
    var ig = integratedGradients.AttributeWithCompleteness(model, x, y);
    var errors = ig.RelativeErrors.Order().ToList();
    Console.WriteLine($"  {title}: IG relative completeness errors: median {errors[errors.Count / 2]:P3}, 90th percentile {errors[errors.Count * 9 / 10]:P3}, largest {errors[^1]:P3}");
    run.Report($"{prefix}ig_completeness_max_relative_error", ig.MaxRelativeError,
        $"{title}: Integrated Gradients' completeness, largest |Σ attributions − (f(x) − f(0))| / |f(x) − f(0)| over {faithfulnessImages} images", "P3");
    var refined = ig.Steps.Count(k => k > integratedGradients.Options.Steps);
    run.Report($"{prefix}ig_refined_images", refined, $"{title}: images that needed more than {integratedGradients.Options.Steps} steps (at most {ig.Steps.Max()})", "N0");
    var deletion = new LineChart { Title = $"{title}: deletion curves (lower is better)", XLabel = "fraction of pixels deleted (set to black)", YLabel = "probability of the true class", YMin = 0, YMax = 1 };
    var table = new List<(string Name, string Short, double Deletion, double Insertion)>();
    var clock = Stopwatch.StartNew();
    foreach (var method in methods.Append(new RandomAttribution(run.Seed)))
    {
        var (delete, insert) = Faithfulness.Curves(model, x, y, method, faithfulness);
        var (name, shortName) = Label(method);
        run.Metric($"{prefix}deletion_auc_{method.Name}", delete.Auc);
        run.Metric($"{prefix}insertion_auc_{method.Name}", insert.Auc);
        table.Add((name, shortName, delete.Auc, insert.Auc));
        var random = method is RandomAttribution;
        deletion.Add(name, delete.Fractions.ToArray(), delete.Scores.ToArray(), random ? Palette.OkabeIto[7] : null, dashed: random);
    }
    Console.WriteLine($"  {title}: faithfulness on {faithfulnessImages} test images ({clock.Elapsed.TotalSeconds:F0} s)");
    Console.WriteLine($"    {"method",-34} {"deletion AUC ↓",15} {"insertion AUC ↑",16}");
    foreach (var (name, _, d, i) in table)
        Console.WriteLine($"    {name,-34} {d,15:F3} {i,16:F3}");
    deletion.Save(run.PathFor($"{prefix}deletion_curves.png"));
    new BarChart(table.Select(t => t.Short).ToList()) { Title = $"{title}: area under the deletion and insertion curves", YLabel = "AUC", YMin = 0, Width = 960, Height = 450 }
        .Add("deletion (lower is better)", table.Select(t => t.Deletion).ToArray())
        .Add("insertion (higher is better)", table.Select(t => t.Insertion).ToArray())
        .Save(run.PathFor($"{prefix}faithfulness.png"));
    ig.Attributions.Dispose();
}

// 1. MNIST and the course CNN.
var digits = Enumerable.Range(0, 10).Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
var course = Cnn.Course().to(run.Device);
var mnistMethods = Methods("conv2");
using (var mnistTrain = Mnist.Load(DatasetPart.Train))
using (var mnistTest = Mnist.Load(DatasetPart.Test))
{
    // Fast mode (CI): one epoch on 10,000 images (about 95 %), fewer images and noise samples, coarser curves.
    using var subset = run.Fast ? mnistTrain.Take(10000) : null;
    Train(course, subset ?? mnistTrain, mnistTest, run.Options.GetInt("epochs"), "mnist");
    DrawMaps(course, mnistTest, mnistMethods, "mnist", "Course CNN on MNIST: where each method sees the evidence for the true class", digits);
    MeasureFaithfulness(course, mnistTest, mnistMethods, "", "MNIST, course CNN");

    // The sanity check: randomise the course CNN's layers from the top (fc1, conv2, conv1) and compare the maps.
    using var scope = NewDisposeScope();
    var x = mnistTest.Inputs[..(run.Fast ? 8 : 32)].to(run.Device);
    var y = mnistTest.Targets[..(run.Fast ? 8 : 32)].to(run.Device);
    var checkedMethods = mnistMethods.Where(m => m.Name is "gradient" or "gradient_x_input" or "integrated_gradients" or "grad_cam").ToList();
    var cascade = new BarChart(["trained", "fc1 random", "fc1, conv2 random", "all random"])
    {
        Title = "Model randomisation from the top: similarity to the trained model's maps", YLabel = "Spearman rank correlation of |maps|", YMin = 0, YMax = 1.05, Width = 960, Height = 450,
    };
    var sanity = new MultiPanelFigure(columns: 4) { Title = "Sanity check: |maps| as layers are randomised from the top", PanelWidth = 200, PanelHeight = 200 };
    foreach (var method in checkedMethods)
    {
        var steps = SanityChecks.CascadingRandomization(course, x, y, method, new() { Seed = run.Seed });
        var (name, shortName) = Label(method);
        cascade.Add(name, steps.Select(s => s.MeanRankCorrelation).ToArray());
        cascade.YMin = Math.Min(cascade.YMin ?? 0, steps.Min(s => s.MeanRankCorrelation) - 0.05);
        foreach (var step in steps)
            sanity.Add(Overlay(x[0, 0].cpu(), Attribution.ToPixelMap(step.Attributions)[0]), step.Layer == "original" ? $"{shortName}: trained" : $"top→{step.Layer} random");
        run.Report($"sanity_rank_correlation_{method.Name}", steps[^1].MeanRankCorrelation,
            $"sanity check, {name}: rank correlation with the trained model's maps after randomising every layer", "F3");
        foreach (var step in steps)
            step.Attributions.Dispose();
    }
    cascade.Save(run.PathFor("sanity_check_correlation.png"));
    sanity.Save(run.PathFor("sanity_check.png"));
}

// 2. Fashion-MNIST and the small CNN (Grad-CAM on its last block's activation, 7x7).
using (var fashionTrain = FashionMnist.Load(DatasetPart.Train))
using (var fashionTest = FashionMnist.Load(DatasetPart.Test))
{
    using var subset = run.Fast ? fashionTrain.Take(5000) : null;
    var small = Cnn.Small().to(run.Device);
    var fashionMethods = Methods("act3");
    Train(small, subset ?? fashionTrain, fashionTest, run.Options.GetInt("fashion-epochs"), "fashion");
    DrawMaps(small, fashionTest, fashionMethods, "fashion", "Small CNN on Fashion-MNIST: where each method sees the evidence for the true class", fashionTest.ClassNames!);
    MeasureFaithfulness(small, fashionTest, fashionMethods, "fashion_", "Fashion-MNIST, small CNN");
}

var beaten = run.Metrics.Where(m => m.Key.StartsWith("deletion_auc_", StringComparison.Ordinal) && m.Key != "deletion_auc_random")
    .Count(m => m.Value < run.Metrics["deletion_auc_random"]);
run.Finish($"Interpretability: MNIST {run.Metrics["mnist_test_accuracy"]:P2}; IG completeness error {run.Metrics["ig_completeness_max_relative_error"]:P2}; " +
    $"{beaten} of {mnistMethods.Count} methods delete faster than random (AUC vs {run.Metrics["deletion_auc_random"]:F3}){(run.Fast ? " (fast mode)" : "")}");

