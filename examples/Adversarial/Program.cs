// Deep networks are easily fooled. The course has no notebook on adversarial examples, so the recipes are the
// papers': the fast gradient sign method, x + ε·sign(∇ₓL) (Goodfellow et al., 2015), and PGD-20 with a random
// start, α = 2.5ε/20, projected onto the L∞ ball and [0, 1] (Madry et al., 2018), on the course CNN trained on
// MNIST with the course's recipe (Adam 1e-3, batch 100, 5 epochs: 98.82 % in the course), for ε from 0 to 0.3
// (MNIST's usual threat model: a third of the pixel range). Madry et al. report a standard network at a few
// per cent under PGD at ε = 0.3, and their adversarially trained one at 89 %. Adversarial training here is
// FGSM from a random start with α = 1.25ε (Wong, Rice & Kolter, 2020, "Fast is better than free"), a few
// epochs with a one-cycle learning rate; a small ramp of ε keeps the small network from collapsing.
// Then two attacks that need no gradient or no image: the one-pixel attack by differential evolution
// (Su, Vargas & Sakurai, 2019: population 400, F = 0.5, 100 generations) on 100 test images, and fooling
// images — noise climbed until the network is 99 % sure it is a digit (Nguyen, Yosinski & Clune, 2015).
using TorchBinding.Analysis.Robustness;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "adversarial", "FGSM and PGD on the MNIST CNN, adversarial training, the one-pixel attack and fooling images",
    new ExtraOption("epochs", "epochs of the standard CNN", "5", FastDefault: "1"),
    new ExtraOption("robust-epochs", "epochs of adversarial training", "8", FastDefault: "2"),
    new ExtraOption("curve-images", "test images for the accuracy-vs-ε curves", "1000", FastDefault: "100"),
    new ExtraOption("pgd-images", "test images for the PGD accuracy at ε = 0.3", "10000", FastDefault: "300"),
    new ExtraOption("one-pixel-images", "test images attacked by the one-pixel attack", "100", FastDefault: "5"));
if (run is null)
    return;

const double Epsilon = 0.3;
using var mnistTrain = Mnist.Load(DatasetPart.Train);
using var test = Mnist.Load(DatasetPart.Test);
// Fast mode (CI): 10,000 training images, fewer epochs, small evaluation sets, a small one-pixel search.
using var subset = run.Fast ? mnistTrain.Take(10000) : null;
var train = subset ?? mnistTrain;
var curveImages = run.Options.GetInt("curve-images");
var pgdImages = run.Options.GetInt("pgd-images");
var onePixelImages = run.Options.GetInt("one-pixel-images");
var epsilons = new[] { 0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3 };

// PGD-20 at ε: random start, α = 2.5ε/20 (Madry et al.), seeded.
PgdOptions Pgd(double epsilon) => new() { Epsilon = epsilon, Steps = 20, Seed = run.Seed };

// Accuracy on the first `count` test images under no attack, FGSM or PGD-20 at each ε.
(double[] Fgsm, double[] Pgd) Curves(Cnn model, string name)
{
    var fgsm = new double[epsilons.Length];
    var pgd = new double[epsilons.Length];
    for (var i = 0; i < epsilons.Length; i++)
    {
        var e = epsilons[i];
        fgsm[i] = RobustAccuracy.Evaluate(model, test, (x, y) => Attacks.Fgsm(model, x, y, e), run.Device, limit: curveImages);
        pgd[i] = e == 0 ? fgsm[i] : RobustAccuracy.Evaluate(model, test, (x, y) => Attacks.Pgd(model, x, y, Pgd(e)), run.Device, limit: curveImages);
        Console.WriteLine($"  {name}, ε = {e:F2}: FGSM {fgsm[i]:P1}, PGD-20 {pgd[i]:P1} (first {curveImages} test images)");
    }
    return (fgsm, pgd);
}

Trainer NewTrainer(ITrainingStep step, int epochs, double learningRate, IReadOnlyList<TrainingCallback> callbacks) =>
    new(step, Optim.Adam(learningRate), run.TrainerOptions with
    {
        Epochs = epochs, BatchSize = 100, Metrics = [() => new Accuracy()], Callbacks = callbacks,
    });

// 1. The standard CNN, the course's recipe.
var standard = Cnn.Course().to(run.Device);
var clock = Stopwatch.StartNew();
NewTrainer(new SupervisedStep(standard, (o, y) => nn.functional.cross_entropy(o, y)), run.Options.GetInt("epochs"), 1e-3, []).Fit(train);
run.Report("standard_training_seconds", Math.Round(clock.Elapsed.TotalSeconds, 1), "standard CNN: training seconds", "F1");
run.Report("clean_accuracy", RobustAccuracy.Evaluate(standard, test, device: run.Device), "standard CNN: clean test accuracy", "P2");
run.Report("pgd_accuracy_eps_0_3", RobustAccuracy.Evaluate(standard, test, (x, y) => Attacks.Pgd(standard, x, y, Pgd(Epsilon)), run.Device, limit: pgdImages),
    $"standard CNN: PGD-20 accuracy at ε = 0.3 (first {pgdImages} test images)", "P2");
var standardCurves = Curves(standard, "standard");
run.Metric("fgsm_accuracy_eps_0_1", standardCurves.Fgsm[2]);
run.Metric("pgd_accuracy_eps_0_1", standardCurves.Pgd[2]);

// 2. What the attacks look like: eight test digits, clean, FGSM at ε = 0.1 and 0.3, PGD-20 at ε = 0.3, with predictions.
void DrawExamples(Cnn model, string file, string title)
{
    using var scope = NewDisposeScope();
    var x = test.Inputs[..8].to(run.Device);
    var y = test.Targets[..8].to(run.Device);
    var figure = new MultiPanelFigure(columns: 1) { Title = title, PanelWidth = 760, PanelHeight = 150 };
    foreach (var (name, images) in new[]
    {
        ("clean", x),
        ("FGSM, ε = 0.1", Attacks.Fgsm(model, x, y, 0.1)),
        ("FGSM, ε = 0.3", Attacks.Fgsm(model, x, y, Epsilon)),
        ("PGD-20, ε = 0.3", Attacks.Pgd(model, x, y, Pgd(Epsilon))),
    })
    {
        Tensor predicted;
        using (no_grad())
        {
            model.eval();
            predicted = model.call(images).argmax(1);
        }
        var grid = ImageGrid.Predictions(images.cpu(), predicted.cpu(), y.cpu());
        (grid.Columns, grid.Min, grid.Max) = (8, 0, 1);
        figure.Add(grid, $"{name}: predicted (true)");
    }
    figure.Save(run.PathFor(file));
}
DrawExamples(standard, "adversarial_examples.png", "The standard CNN under attack: predicted class (true class)");

// 3. Adversarial training: FGSM with a random start (Wong et al.), ε = 0.3, α = 1.25ε, ramped over the first epoch.
var robust = Cnn.Course().to(run.Device);
var robustEpochs = run.Options.GetInt("robust-epochs");
var stepsPerEpoch = (train.Count + 99) / 100;
var adversarialStep = new AdversarialTrainingStep(robust, new AdversarialTrainingOptions { Epsilon = Epsilon, WarmupSteps = stepsPerEpoch });
clock.Restart();
NewTrainer(adversarialStep, robustEpochs, 3e-3, [new LearningRateScheduler(new OneCycle(), ScheduleInterval.Step)]).Fit(train);
run.Report("robust_training_seconds", Math.Round(clock.Elapsed.TotalSeconds, 1), "adversarially trained CNN: training seconds", "F1");
run.Report("robust_clean_accuracy", RobustAccuracy.Evaluate(robust, test, device: run.Device), "adversarially trained CNN: clean test accuracy", "P2");
run.Report("robust_pgd_accuracy_eps_0_3", RobustAccuracy.Evaluate(robust, test, (x, y) => Attacks.Pgd(robust, x, y, Pgd(Epsilon)), run.Device, limit: pgdImages),
    $"adversarially trained CNN: PGD-20 accuracy at ε = 0.3 (first {pgdImages} test images)", "P2");
var robustCurves = Curves(robust, "robust");
run.Metric("robust_fgsm_accuracy_eps_0_1", robustCurves.Fgsm[2]);
run.Metric("robust_pgd_accuracy_eps_0_1", robustCurves.Pgd[2]);
DrawExamples(robust, "robust_adversarial_examples.png", "The adversarially trained CNN under the same attacks");

new LineChart { Title = "MNIST test accuracy under attack", XLabel = "ε (L∞)", YLabel = "accuracy", YMin = 0, YMax = 1 }
    .Add("standard, FGSM", epsilons, standardCurves.Fgsm, Palette.OkabeIto[0], dashed: true)
    .Add("standard, PGD-20", epsilons, standardCurves.Pgd, Palette.OkabeIto[0])
    .Add("adversarially trained, FGSM", epsilons, robustCurves.Fgsm, Palette.OkabeIto[2], dashed: true)
    .Add("adversarially trained, PGD-20", epsilons, robustCurves.Pgd, Palette.OkabeIto[2])
    .Save(run.PathFor("accuracy_vs_epsilon.png"));

// 4. The one-pixel attack on the first test images the standard CNN gets right.
List<int> CorrectlyClassified(int count)
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    standard.eval();
    var predicted = standard.call(test.Inputs[..(count * 2)].to(run.Device)).argmax(1).cpu();
    return Enumerable.Range(0, count * 2).Where(i => predicted[i].item<long>() == test.Targets[i].item<long>()).Take(count).ToList();
}
var onePixel = new OnePixelOptions { Population = run.Fast ? 100 : 400, Generations = run.Fast ? 10 : 100, Seed = run.Seed };
Console.WriteLine($"  one-pixel attack: differential evolution, population {onePixel.Population}, up to {onePixel.Generations} generations, F = {onePixel.MutationScale}");
var successes = new List<(Tensor Clean, OnePixelResult Result)>();
var attacked = CorrectlyClassified(onePixelImages);
clock.Restart();
// The search needs no gradients: its forward passes run in bfloat16 where the CPU computes it natively (--inference-precision).
using (run.Inference())
{
    foreach (var (index, k) in attacked.Select((index, k) => (index, k)))
    {
        var result = OnePixelAttack.Attack(standard, test.Inputs[index].to(run.Device), (int)test.Targets[index].item<long>(), onePixel);
        if (result.Success)
            successes.Add((test.Inputs[index], result));
        else
            result.Image.Dispose();
        if ((k + 1) % 10 == 0)
            Console.WriteLine($"  one-pixel attack: {successes.Count} of {k + 1} images fooled ({clock.Elapsed.TotalSeconds:F0} s)");
    }
}
run.Report("one_pixel_success_rate", (double)successes.Count / attacked.Count, $"one-pixel attack: success rate on {attacked.Count} correctly classified test images", "P1");
if (successes.Count > 0)
{
    // Each success next to its clean image: the changed pixel (row, column) and its new value.
    var grid = new ImageGrid { Columns = 8, Min = 0, Max = 1, Title = "One pixel changed: clean image, then the attacked one (true → predicted)" };
    foreach (var s in successes.Take(8))
    {
        grid.Add(s.Clean.cpu(), $"{s.Result.Label} (clean)");
        grid.Add(s.Result.Image.cpu(), $"→{s.Result.PredictedClass}: ({s.Result.Pixels[0].Row},{s.Result.Pixels[0].Column})={s.Result.Pixels[0].Values[0]:F1}");
    }
    grid.Save(run.PathFor("one_pixel.png"));
}

// 5. Fooling images: uniform noise climbed until the network is > 99 % sure, one per class, for both networks.
var fooling = new MultiPanelFigure(columns: 2) { Title = "Fooling images: gradient ascent from noise until p > 0.99", PanelWidth = 560, PanelHeight = 340 };
foreach (var (name, model) in new[] { ("standard", standard), ("robust", robust) })
{
    var result = FoolingImages.Generate(model, Enumerable.Range(0, 10).ToArray(), [1, 28, 28], new FoolingImageOptions { Seed = run.Seed });
    var reached = result.Probabilities.Count(p => p > 0.99);
    run.Metric($"{name}_fooling_images_reached", reached);
    run.Metric($"{name}_fooling_mean_steps", result.Steps.Average());
    Console.WriteLine($"  fooling images, {name} CNN: {reached} of 10 classes above 99 %, {result.Steps.Average():F0} steps on average");
    var grid = new ImageGrid { Columns = 5, Min = 0, Max = 1 };
    for (var c = 0; c < 10; c++)
        grid.Add(result.Images[c].cpu(), $"{c}: p={result.Probabilities[c]:F3}");
    fooling.Add(grid, $"{(name == "standard" ? "standard CNN" : "adversarially trained CNN")}: {result.Steps.Average():F0} steps on average");
    result.Images.Dispose();
}
fooling.Save(run.PathFor("fooling_images.png"));

run.Finish($"Adversarial: clean {run.Metrics["clean_accuracy"]:P2}, PGD-20 at ε = 0.3 {run.Metrics["pgd_accuracy_eps_0_3"]:P2}; adversarially trained: clean {run.Metrics["robust_clean_accuracy"]:P2}, " +
    $"PGD-20 {run.Metrics["robust_pgd_accuracy_eps_0_3"]:P2}; one-pixel success {run.Metrics["one_pixel_success_rate"]:P0}{(run.Fast ? " (fast mode)" : "")}");
