using TorchBinding.Data;
using TorchBinding.Metrics;
using TorchBinding.Plots.Images;
using TorchBinding.Training;
using static TorchSharp.torch;

namespace TorchBinding.Plots;

/// <summary>
/// The figures every image-classification lecture shows, in one call: the training history
/// (<c>loss.png</c>), the test set's confusion matrix (<c>confusion_matrix.png</c>) and a grid of test images
/// with predicted and true labels, mistakes first (<c>predictions.png</c>).
/// </summary>
public static class ClassificationReport
{
    /// <summary>Writes the three figures into <paramref name="folder"/> and returns the test confusion matrix.</summary>
    /// <param name="folder">Where the PNGs go.</param>
    /// <param name="history">The training history.</param>
    /// <param name="logits">The model's outputs on <paramref name="test"/>, <c>[N, K]</c> (e.g. <c>trainer.Predict(test)</c>).</param>
    /// <param name="test">The test set, with image inputs <c>[N, C, H, W]</c>.</param>
    /// <param name="title">Names the model and data in the figure titles.</param>
    /// <param name="prefix">Prepended to the file names (several models in one run folder).</param>
    /// <param name="samples">Images in the predictions grid.</param>
    public static ConfusionMatrix Write(string folder, TrainingHistory history, Tensor logits, InMemoryDataset test, string title, string prefix = "", int samples = 32)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(test);
        var classes = (int)logits.shape[^1];
        var confusion = new ConfusionMatrix(classes, test.ClassNames);
        confusion.Update(logits, test.Targets);
        Directory.CreateDirectory(folder);
        HistoryPlot.Save(history, Path.Combine(folder, $"{prefix}loss.png"), new HistoryPlotOptions { LogLoss = true, Title = title });
        var matrix = Heatmap.ConfusionMatrix(confusion.Counts, test.ClassNames);
        matrix.Title = $"{title}: {confusion.Accuracy:P2} of {confusion.Total} test images";
        matrix.Save(Path.Combine(folder, $"{prefix}confusion_matrix.png"));

        using var scope = NewDisposeScope();
        var predicted = logits.argmax(1).cpu();
        var actual = test.Targets.cpu();
        // Mistakes first: they are what a lecture discusses.
        var wrong = predicted.ne(actual).nonzero().flatten();
        var right = predicted.eq(actual).nonzero().flatten();
        var chosen = cat([wrong, right]).narrow(0, 0, Math.Min(samples, test.Count));
        var grid = ImageGrid.Predictions(test.Inputs.cpu().index_select(0, chosen), predicted.index_select(0, chosen), actual.index_select(0, chosen), test.ClassNames);
        grid.Title = $"{title}: test predictions (mistakes first, true label in brackets)";
        grid.Columns = 8;
        grid.Save(Path.Combine(folder, $"{prefix}predictions.png"));
        return confusion;
    }
}
