// MLP on MNIST: the lecture's 784-500-10 ReLU network, Adam 1e-3, batch 100, 5 epochs (the course reports
// 97 % test accuracy). Writes the loss curves, the test confusion matrix, test predictions, and the first
// layer's weights drawn as 28x28 images: what the hidden units look for.
using TorchBinding.Plots.Images;
using TorchSharp.Modules;

var run = ExperimentRun.Start(args, "mlp_mnist", "784-500-10 ReLU MLP on MNIST (Adam 1e-3, batch 100)",
    new ExtraOption("epochs", "training epochs", "5", FastDefault: "1"));
if (run is null)
    return;

using var fullTrain = Mnist.Load(DatasetPart.Train);
using var test = Mnist.Load(DatasetPart.Test);
// The fast mode trains one epoch on the first 20000 training images: it still has to clear 90 % on all
// 10000 test images (an MLP this size passes 90 % within a few hundred steps).
using var subset = run.Fast ? fullTrain.Take(20000) : null;
var train = subset ?? fullTrain;                                       // the course's recipe: pixels in [0, 1]
Console.WriteLine($"  {train.Count} training and {test.Count} test images");

var model = new Mlp(784, 500, 10).to(run.Device);
Console.WriteLine($"  {model.ParameterCount():N0} parameters");
var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
    run.TrainerOptions with
    {
        Epochs = run.Options.GetInt("epochs"),
        BatchSize = 100,
        Metrics = [() => new Accuracy()],
        Callbacks = [new TorchBinding.Training.Callbacks.MetricsLog(run.PathFor("epochs.csv"))],
    });
var history = trainer.Fit(train, test);
using var logits = trainer.Predict(test);
var confusion = ClassificationReport.Write(run.OutputDirectory, history, logits, test, "MLP 784-500-10 on MNIST");
Console.WriteLine(confusion.Render());

// The first layer's weights: one 28x28 image per hidden unit (signed: blue negative, red positive, 0 white).
using (no_grad())
using (NewDisposeScope())
{
    var weights = model.modules().OfType<Linear>().First().weight!.cpu()[..32].reshape(32, 1, 28, 28);
    new ImageGrid { Columns = 8, Title = "First 32 hidden units' input weights (blue negative, red positive)" }
        .AddBatch(weights).Save(run.PathFor("first_layer_weights.png"));
}

run.Report("test_accuracy", confusion.Accuracy, "test accuracy", "P2");
run.Report("test_macro_f1", confusion.MacroF1, "test macro F1", "F4");
run.Metric("epochs", history.Epochs.Count);
run.Metric("train_samples", train.Count);
run.Metric("parameters", model.ParameterCount());
run.Finish($"MlpMnist: test accuracy {confusion.Accuracy:P2} on {test.Count} MNIST test images after {history.Epochs.Count} epoch(s) on {train.Count} images (the course reports 97 %)");
