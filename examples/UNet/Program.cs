// U-Net segmentation of synthetic shapes: images of random circles, rectangles and triangles, a mask
// class per pixel (background, circle, rectangle, triangle). The encoder–decoder with skip
// concatenations is trained with per-pixel cross-entropy (Adam on a 1cycle schedule, peak 3e-3), watched on
// a validation set, and evaluated on other held-out images by IoU and Dice.
using TorchBinding.Data.Synthetic;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "unet", "U-Net segmentation of synthetic shapes (64x64, 4 classes), IoU and Dice on held-out images",
    new ExtraOption("images", "training images", "2000", FastDefault: "800"),
    new ExtraOption("epochs", "training epochs", "5", FastDefault: "2"));
if (run is null)
    return;

var (trainCount, epochs) = (run.Options.GetInt("images"), run.Options.GetInt("epochs"));
using var train = ShapesSegmentation.Generate(trainCount, size: 64, seed: run.Seed);
using var validation = ShapesSegmentation.Generate(200, size: 64, seed: run.Seed + 2);
using var test = ShapesSegmentation.Generate(200, size: 64, seed: run.Seed + 1);
var model = new UNet(new UNetOptions { InChannels = 1, Classes = 4 }).to(run.Device);
Console.WriteLine($"  {train.Count} training, {validation.Count} validation and {test.Count} test images; U-Net depth {model.Options.Depth}, base width {model.Options.BaseWidth}, {model.ParameterCount():N0} parameters");

var clock = Stopwatch.StartNew();
var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(3e-3),
    run.TrainerOptions with
    {
        // Evaluation in batches of 64, not the trainer's 256: a U-Net keeps every level's maps for its skip connections,
        // and 256 images at once took the process to 2.7 GB.
        Epochs = epochs, BatchSize = 16, EvaluationBatchSize = 64, Metrics = [() => new MeanIoU(4), () => new Accuracy()],
        Callbacks = [new LearningRateScheduler(new OneCycle(), ScheduleInterval.Step)],
    });
var history = trainer.Fit(train, validation);
var seconds = clock.Elapsed.TotalSeconds;

using var logits = trainer.Predict(test);
var scores = new SegmentationScores(4);
scores.Update(logits, test.Targets);
Console.WriteLine($"  held-out: mean IoU {scores.MeanIoU:F4}, mean Dice {scores.MeanDice:F4}, in {seconds:F0} s");
var iou = scores.IoUPerClass();
for (var c = 0; c < 4; c++)
    Console.WriteLine($"    {ShapesSegmentation.ClassNames[c],-10} IoU {iou[c]:F4}");

HistoryPlot.Save(history, run.PathFor("loss.png"), new HistoryPlotOptions { LogLoss = true, Title = "U-Net on synthetic shapes" });
using (NewDisposeScope())
{
    const int shown = 8;
    var images = test.Inputs[..shown];
    var truth = test.Targets[..shown].to(float32).unsqueeze(1);
    var predicted = logits[..shown].argmax(1).to(float32).unsqueeze(1);
    var grid = new ImageGrid { Columns = shown, Title = $"Held-out images, true masks, predicted masks (mean IoU {scores.MeanIoU:F3})" };
    for (var i = 0; i < shown; i++) grid.Add(images[i], i == 0 ? "image" : null);
    var masks = new ImageGrid { Columns = shown, Min = 0, Max = 3, Colormap = Colormap.Viridis };
    for (var i = 0; i < shown; i++) masks.Add(truth[i], i == 0 ? "true mask" : null);
    for (var i = 0; i < shown; i++) masks.Add(predicted[i], i == 0 ? "predicted" : null);
    new MultiPanelFigure(columns: 1) { Title = "U-Net segmentation (0 background, 1 circle, 2 rectangle, 3 triangle)", PanelWidth = 900, PanelHeight = 200 }
        .Add(grid).Add(masks).Save(run.PathFor("segmentation.png"));
}

run.Metric("mean_iou", scores.MeanIoU);
run.Metric("mean_dice", scores.MeanDice);
for (var c = 0; c < 4; c++)
    run.Metric($"iou_{ShapesSegmentation.ClassNames[c]}", iou[c]);
run.Metric("validation_mean_iou", history.Last("val_mean_iou")!.Value);
run.Metric("test_pixel_accuracy", scores.Intersection.Sum() / (double)scores.Pixels);
run.Metric("train_images", train.Count);
run.Metric("epochs", history.Epochs.Count);
run.Metric("train_seconds", Math.Round(seconds, 1));
run.Finish($"UNet: held-out mean IoU {scores.MeanIoU:F3}, Dice {scores.MeanDice:F3} after {history.Epochs.Count} epochs on {train.Count} images ({seconds:F0} s)");
