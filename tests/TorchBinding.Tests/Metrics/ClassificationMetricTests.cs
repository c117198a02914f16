using TorchBinding.Metrics;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Metrics;

public class ClassificationMetricTests
{
    [Test]
    public void Accuracy_from_logits_and_from_predicted_labels()
    {
        using var scope = NewDisposeScope();
        // arg-max of each row: 0, 1, 0, 2 against labels 0, 1, 2, 2: three of four right.
        var logits = tensor(new[,] { { 2.0f, 1, 0 }, { 0, 3, 1 }, { 1, 0, 0.5f }, { 0, 0, 1 } });
        var labels = tensor(new long[] { 0, 1, 2, 2 });
        Assert.Multiple(() =>
        {
            Assert.That(Accuracy.Of(logits, labels), Is.EqualTo(0.75));
            Assert.That(Accuracy.Of(tensor(new long[] { 0, 1, 0, 2 }), labels), Is.EqualTo(0.75));
            Assert.That(Accuracy.Of(tensor(new[] { 0, 1, 2, 2 }), labels), Is.EqualTo(1.0), "int32 predictions");
        });
    }

    [Test]
    public void Accuracy_of_segmentation_shaped_inputs_is_the_pixel_accuracy()
    {
        using var scope = NewDisposeScope();
        // 1 × 2 × 2 label map vs mask: 3 of 4 pixels agree; the logits are the one-hot of the map.
        var map = tensor(new long[] { 0, 1, 1, 1 }).reshape(1, 2, 2);
        var mask = tensor(new long[] { 0, 1, 0, 1 }).reshape(1, 2, 2);
        var logits = nn.functional.one_hot(map, 2).permute(0, 3, 1, 2).to(float32);
        Assert.Multiple(() =>
        {
            Assert.That(Accuracy.Of(map, mask), Is.EqualTo(0.75));
            Assert.That(Accuracy.Of(logits, mask), Is.EqualTo(0.75));
        });
    }

    [Test]
    public void Top_k_accuracy_on_a_hand_computed_case()
    {
        using var scope = NewDisposeScope();
        // Top-2 sets: {1, 2} ∋ 2; {0, 1} ∋ 1; {2, 1} ∌ 0: two of three. Top-1 (= accuracy): 1, 0, 2: none right.
        var scores = tensor(new[,] { { 0.1, 0.5, 0.4 }, { 0.7, 0.2, 0.1 }, { 0.2, 0.3, 0.5 } });
        var labels = tensor(new long[] { 2, 1, 0 });
        Assert.Multiple(() =>
        {
            Assert.That(TopKAccuracy.Of(scores, labels, 1), Is.EqualTo(0.0));
            Assert.That(TopKAccuracy.Of(scores, labels, 2), Is.EqualTo(2.0 / 3).Within(1e-15));
            Assert.That(TopKAccuracy.Of(scores, labels, 3), Is.EqualTo(1.0));
            Assert.That(new TopKAccuracy(5).Name, Is.EqualTo("top5_accuracy"));
            Assert.That(() => TopKAccuracy.Of(scores, labels, 5),
                Throws.ArgumentException.With.Message.Contain("TopKAccuracy.Update").And.Message.Contain("[3, 3]").And.Message.Contain("5"));
        });
    }

    [Test]
    public void Binary_accuracy_with_plus_minus_one_and_zero_one_labels()
    {
        using var scope = NewDisposeScope();
        // Scores > 0 are positive: T F T F F (0 is not above 0); labels ±1 say T F F F T; agree on samples 1, 2, 4: 3/5.
        var scores = tensor(new[] { 0.3, -0.2, 1.5, -2, 0 });
        var signs = tensor(new long[] { 1, -1, -1, -1, 1 });
        // Probabilities > 0.5: T F T F; labels 0/1: T F F T; agree on two of four.
        var probabilities = tensor(new[] { 0.9f, 0.4f, 0.6f, 0.5f }).reshape(4, 1);
        var bits = tensor(new[] { 1.0f, 0, 0, 1 });
        Assert.Multiple(() =>
        {
            Assert.That(BinaryAccuracy.Of(scores, signs), Is.EqualTo(0.6));
            Assert.That(BinaryAccuracy.Of(probabilities, bits, threshold: 0.5), Is.EqualTo(0.5));
            Assert.That(BinaryAccuracy.Of(signs, signs), Is.EqualTo(1.0), "±1 predictions");
            Assert.That(() => BinaryAccuracy.Of(scores, tensor(new long[] { 1, 2, -1, -1, 1 })),
                Throws.ArgumentException.With.Message.Contain("BinaryAccuracy.Update").And.Message.Contain("got 2"));
            Assert.That(() => BinaryAccuracy.Of(scores, tensor(new long[] { 1, 0, -1, -1, 1 })),
                Throws.ArgumentException.With.Message.Contain("mix"));
        });
    }

    [Test]
    public void Accumulating_over_batches_equals_computing_on_the_whole()
    {
        TorchBinding.Runtime.Seeding.SeedEverything(21);
        using var scope = NewDisposeScope();
        var logits = randn(50, 4);
        var labels = randint(0, 4, [50]);
        var metrics = new IMetric[] { new Accuracy(), new TopKAccuracy(2), new MacroF1(4) };
        foreach (var (start, length) in new[] { (0, 13), (13, 20), (33, 17) })
            foreach (var metric in metrics)
                metric.Update(logits.narrow(0, start, length), labels.narrow(0, start, length));
        Assert.Multiple(() =>
        {
            Assert.That(metrics[0].Compute(), Is.EqualTo(Accuracy.Of(logits, labels)));
            Assert.That(metrics[1].Compute(), Is.EqualTo(TopKAccuracy.Of(logits, labels, 2)));
            Assert.That(metrics[2].Compute(), Is.EqualTo(ConfusionMatrix.Of(logits, labels, 4).MacroF1));
            metrics[0].Reset();
            Assert.That(metrics[0].Compute(), Is.NaN, "nothing added since the reset");
        });
    }

    [Test]
    public void Bad_inputs_name_the_metric_and_the_shapes()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => Accuracy.Of(zeros(4, 3), zeros(5, dtype: int64)),
                Throws.ArgumentException.With.Message.Contain("Accuracy.Update").And.Message.Contain("[4, 3]").And.Message.Contain("[5]"));
            Assert.That(() => Accuracy.Of(zeros(4, 3), tensor(new long[] { 0, 1, 3, 2 })),
                Throws.ArgumentException.With.Message.Contain("label 3").And.Message.Contain("K = 3"));
            Assert.That(() => Accuracy.Of(zeros(4, 3), zeros(4)),
                Throws.ArgumentException.With.Message.Contain("integer"));
            Assert.That(() => Accuracy.Of(zeros(4), zeros(4, dtype: int64)),
                Throws.ArgumentException.With.Message.Contain("predicted labels"));
            Assert.That(() => Accuracy.Of(zeros(0, 3), zeros(0, dtype: int64)),
                Throws.ArgumentException.With.Message.Contain("empty"));
        });
    }
}
