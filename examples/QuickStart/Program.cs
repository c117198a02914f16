// QuickStart: a small MLP learns the UCI handwritten digits (8x8, embedded in the library).
// Everything a lecture's first experiment has: a seeded split with a held-out test set, a trainer with a
// loss per epoch and a validation set, and the test accuracy at the end, in runs/quickstart/metrics.json,
// with the loss curves (loss.png) and the test set's confusion matrix (confusion_matrix.png) beside it.
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "quickstart", "a 64-128-10 ReLU MLP on the embedded UCI digits",
    new ExtraOption("epochs", "training epochs", "30", FastDefault: "15"),
    new ExtraOption("lr", "Adam learning rate", "0.001"));
if (run is null)
    return;

using var digits = Digits.Load();                     // [1797, 64] in [0, 1], labels 0..9
var (train, validation, test) = DatasetSplits.TrainValidationTest(digits, validationFraction: 0.1, testFraction: 0.2, seed: run.Seed);
Console.WriteLine($"  {train.Count} training, {validation.Count} validation and {test.Count} held-out test images");

var model = nn.Sequential(
    ("hidden", nn.Linear(64, 128)),
    ("relu", nn.ReLU()),
    ("output", nn.Linear(128, 10))).to(run.Device);
var trainer = new Trainer(model, (output, labels) => nn.functional.cross_entropy(output, labels),
    Optim.Adam(run.Options.GetDouble("lr")),
    run.TrainerOptions with
    {
        Epochs = run.Options.GetInt("epochs"),
        BatchSize = 32,
        Metrics = [() => new Accuracy()],
        Callbacks = [new MetricsLog(run.PathFor("epochs.csv"))],
    });
var history = trainer.Fit(train, validation);

var confusion = new ConfusionMatrix(10, digits.ClassNames);
using (var predictions = trainer.Predict(test))
    confusion.Update(predictions, test.Targets);
Console.WriteLine(confusion.Render());

HistoryPlot.Save(history, run.PathFor("loss.png"), new HistoryPlotOptions { LogLoss = true, Title = "QuickStart: MLP on the digits" });
var matrix = Heatmap.ConfusionMatrix(confusion.Counts, digits.ClassNames);
matrix.Title = $"Test digits: {confusion.Accuracy:P1} correct";
matrix.Save(run.PathFor("confusion_matrix.png"));

run.Report("test_accuracy", confusion.Accuracy, "held-out test accuracy", "P2");
run.Report("test_macro_f1", confusion.MacroF1, "held-out macro F1", "F4");
run.Metric("final_train_loss", history.Last("train_loss")!.Value);
run.Metric("final_val_accuracy", history.Last("val_accuracy")!.Value);
run.Metric("epochs", history.Epochs.Count);
run.Metric("test_samples", test.Count);
run.Finish($"QuickStart: test accuracy {confusion.Accuracy:P2} on {test.Count} held-out digits after {history.Epochs.Count} epochs");
