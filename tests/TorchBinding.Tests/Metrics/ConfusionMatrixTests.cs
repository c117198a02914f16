using TorchBinding.Metrics;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Metrics;

public class ConfusionMatrixTests
{
    // truth:     0 0 0 1 1 2 2 2 2 0
    // predicted: 0 1 0 1 2 1 2 0 2 0
    // rows (true) / columns (predicted):
    //   0: [3, 1, 0]   1: [0, 1, 1]   2: [1, 1, 2]
    // column sums 4, 3, 3; row sums 4, 2, 4; diagonal 3 + 1 + 2 = 6 of 10.
    static readonly long[] Truth = [0, 0, 0, 1, 1, 2, 2, 2, 2, 0];
    static readonly long[] Predicted = [0, 1, 0, 1, 2, 1, 2, 0, 2, 0];

    [Test]
    public void Hand_computed_counts_precision_recall_and_f1()
    {
        using var scope = NewDisposeScope();
        var matrix = ConfusionMatrix.Of(tensor(Predicted), tensor(Truth), 3);
        Assert.Multiple(() =>
        {
            Assert.That(matrix.Counts, Is.EqualTo(new long[,] { { 3, 1, 0 }, { 0, 1, 1 }, { 1, 1, 2 } }));
            Assert.That(matrix[2, 0], Is.EqualTo(1));
            Assert.That(matrix.Total, Is.EqualTo(10));
            Assert.That(matrix.Accuracy, Is.EqualTo(0.6));
            // precision = diagonal / column sum: 3/4, 1/3, 2/3
            Assert.That(Enumerable.Range(0, 3).Select(matrix.Precision), Is.EqualTo(new[] { 0.75, 1.0 / 3, 2.0 / 3 }).Within(1e-15));
            // recall = diagonal / row sum: 3/4, 1/2, 2/4
            Assert.That(Enumerable.Range(0, 3).Select(matrix.Recall), Is.EqualTo(new[] { 0.75, 0.5, 0.5 }).Within(1e-15));
            // F1 = 2TP / (column + row sum): 6/8, 2/5, 4/7 (class 1: 2 · (1/3)(1/2) / (1/3 + 1/2) = 2/5)
            Assert.That(Enumerable.Range(0, 3).Select(matrix.F1), Is.EqualTo(new[] { 0.75, 0.4, 4.0 / 7 }).Within(1e-15));
            // macro: (3/4 + 1/3 + 2/3) / 3 = 7/12; (3/4 + 1/2 + 1/2) / 3 = 7/12; (3/4 + 2/5 + 4/7) / 3
            Assert.That(matrix.MacroPrecision, Is.EqualTo(7.0 / 12).Within(1e-15));
            Assert.That(matrix.MacroRecall, Is.EqualTo(7.0 / 12).Within(1e-15));
            Assert.That(matrix.MacroF1, Is.EqualTo((0.75 + 0.4 + 4.0 / 7) / 3).Within(1e-15));
        });
    }

    [Test]
    public void Logits_give_the_matrix_of_their_arg_max()
    {
        using var scope = NewDisposeScope();
        var logits = nn.functional.one_hot(tensor(Predicted), 3).to(float32) * 4 + 0.1f * randn(10, 3);
        Assert.That(ConfusionMatrix.Of(logits, tensor(Truth), 3).Counts, Is.EqualTo(ConfusionMatrix.Of(tensor(Predicted), tensor(Truth), 3).Counts));
    }

    [Test]
    public void Classes_absent_from_truth_and_prediction_are_left_out_of_the_macro_averages()
    {
        using var scope = NewDisposeScope();
        var four = ConfusionMatrix.Of(tensor(Predicted), tensor(Truth), 4);
        // Class 1 only predicted: precision 0/1, recall 0/0 := 0, F1 0; it counts. Class 0: F1 = 2 / (1 + 2) = 2/3.
        var onlyPredicted = ConfusionMatrix.Of(tensor(new long[] { 0, 1 }), tensor(new long[] { 0, 0 }), 2);
        Assert.Multiple(() =>
        {
            Assert.That(four.IsPresent(3), Is.False);
            Assert.That(four.Precision(3), Is.EqualTo(0.0));
            Assert.That(four.MacroF1, Is.EqualTo(ConfusionMatrix.Of(tensor(Predicted), tensor(Truth), 3).MacroF1));
            Assert.That(onlyPredicted.Recall(1), Is.EqualTo(0.0));
            Assert.That(onlyPredicted.MacroF1, Is.EqualTo(1.0 / 3).Within(1e-15));
        });
    }

    [Test]
    public void Renders_with_class_names()
    {
        using var scope = NewDisposeScope();
        var text = ConfusionMatrix.Of(tensor(Predicted), tensor(Truth), 3, ["cat", "dog", "bird"]).Render();
        var lines = text.Split('\n');
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Does.Contain("true \\ predicted").And.Contain("cat").And.Contain("dog").And.Contain("bird"));
            Assert.That(lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "cat", "3", "1", "0" }));
            Assert.That(lines[3].Split(' ', StringSplitOptions.RemoveEmptyEntries), Is.EqualTo(new[] { "bird", "1", "1", "2" }));
            Assert.That(text, Does.Contain("0.750").And.Contain("0.400").And.Contain("macro").And.Contain("accuracy 0.600 (6 of 10)"));
        });
    }

    [Test]
    public void Accumulates_batches_and_resets()
    {
        using var scope = NewDisposeScope();
        var matrix = new ConfusionMatrix(3);
        matrix.Update(tensor(Predicted[..4]), tensor(Truth[..4]));
        matrix.Update(tensor(Predicted[4..]), tensor(Truth[4..]));
        Assert.That(matrix.Counts, Is.EqualTo(ConfusionMatrix.Of(tensor(Predicted), tensor(Truth), 3).Counts));
        matrix.Reset();
        Assert.That(matrix.Total, Is.Zero);
    }

    [Test]
    public void Bad_inputs_are_refused()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => ConfusionMatrix.Of(tensor(new long[] { 0, 4 }), tensor(new long[] { 0, 1 }), 3),
                Throws.ArgumentException.With.Message.Contain("ConfusionMatrix.Update").And.Message.Contain("predicted label 4").And.Message.Contain("K = 3"));
            Assert.That(() => ConfusionMatrix.Of(zeros(2, 4), tensor(new long[] { 0, 1 }), 3),
                Throws.ArgumentException.With.Message.Contain("K = 4").And.Message.Contain("expected 3"));
            Assert.That(() => new ConfusionMatrix(3, ["a", "b"]), Throws.ArgumentException.With.Message.Contain("2 class names"));
            Assert.That(new ConfusionMatrix(2).Accuracy, Is.NaN);
            Assert.That(new ConfusionMatrix(2).MacroF1, Is.NaN);
        });
    }
}
