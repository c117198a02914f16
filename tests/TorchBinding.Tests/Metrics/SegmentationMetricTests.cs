using TorchBinding.Metrics;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Metrics;

public class SegmentationMetricTests
{
    // truth      predicted
    // 0 0 1      0 1 1
    // 0 1 1      0 1 1
    // 2 2 1      2 0 0
    // class 0: T = 3, P = 4, I = 2 → IoU 2/5, Dice 4/7
    // class 1: T = 4, P = 4, I = 3 → IoU 3/5, Dice 6/8
    // class 2: T = 2, P = 1, I = 1 → IoU 1/2, Dice 2/3
    static Tensor Truth() => tensor(new long[] { 0, 0, 1, 0, 1, 1, 2, 2, 1 }).reshape(1, 3, 3);
    static Tensor Predicted() => tensor(new long[] { 0, 1, 1, 0, 1, 1, 2, 0, 0 }).reshape(1, 3, 3);

    [Test]
    public void Iou_and_dice_on_a_tiny_mask()
    {
        using var scope = NewDisposeScope();
        var scores = new SegmentationScores(3);
        scores.Update(Predicted(), Truth());
        Assert.Multiple(() =>
        {
            Assert.That(scores.IoUPerClass(), Is.EqualTo(new[] { 0.4, 0.6, 0.5 }).Within(1e-15));
            Assert.That(scores.DicePerClass(), Is.EqualTo(new[] { 4.0 / 7, 0.75, 2.0 / 3 }).Within(1e-15));
            Assert.That(scores.MeanIoU, Is.EqualTo(0.5).Within(1e-15));
            Assert.That(scores.MeanDice, Is.EqualTo((4.0 / 7 + 0.75 + 2.0 / 3) / 3).Within(1e-15));
            Assert.That(MeanIoU.Of(Predicted(), Truth(), 3), Is.EqualTo(0.5).Within(1e-15));
            Assert.That(Dice.Of(Predicted(), Truth(), 3), Is.EqualTo((4.0 / 7 + 0.75 + 2.0 / 3) / 3).Within(1e-15));
        });
    }

    [Test]
    public void Logits_give_the_scores_of_their_arg_max()
    {
        using var scope = NewDisposeScope();
        var logits = nn.functional.one_hot(Predicted(), 3).permute(0, 3, 1, 2).to(float32) * 3; // [1, 3, 3, 3]
        Assert.Multiple(() =>
        {
            Assert.That(MeanIoU.Of(logits, Truth(), 3), Is.EqualTo(0.5).Within(1e-15));
            Assert.That(new MeanIoU(3).Name, Is.EqualTo("mean_iou"));
            Assert.That(new Dice(3).Name, Is.EqualTo("dice"));
        });
    }

    [Test]
    public void Classes_absent_from_both_are_excluded_from_the_mean()
    {
        using var scope = NewDisposeScope();
        var scores = new SegmentationScores(5);
        scores.Update(Predicted(), Truth());
        Assert.Multiple(() =>
        {
            Assert.That(double.IsNaN(scores.IoUPerClass()[4]), Is.True);
            Assert.That(double.IsNaN(scores.DicePerClass()[3]), Is.True);
            Assert.That(scores.MeanIoU, Is.EqualTo(0.5).Within(1e-15));
            // A class that is only predicted scores 0 and counts: predicting 3 where the truth is 0 everywhere.
            Assert.That(MeanIoU.Of(tensor(new long[] { 0, 3 }).reshape(1, 1, 2), zeros(1, 1, 2, dtype: int64), 4), Is.EqualTo(0.25));
        });
    }

    [Test]
    public void Perfect_prediction_scores_one_and_ignored_pixels_do_not_count()
    {
        using var scope = NewDisposeScope();
        // Make the three wrong pixels "void" (255): what is left is predicted perfectly.
        var truth = Truth().clone();
        truth.view(-1)[1] = tensor(255L);
        truth.view(-1)[7] = tensor(255L);
        truth.view(-1)[8] = tensor(255L);
        Assert.Multiple(() =>
        {
            Assert.That(MeanIoU.Of(Truth(), Truth(), 3), Is.EqualTo(1.0));
            Assert.That(Dice.Of(Truth(), Truth(), 3), Is.EqualTo(1.0));
            Assert.That(MeanIoU.Of(Predicted(), truth, 3, ignoreIndex: 255), Is.EqualTo(1.0));
            Assert.That(() => MeanIoU.Of(Predicted(), truth, 3), Throws.ArgumentException.With.Message.Contain("label 255").And.Message.Contain("K = 3"));
        });
    }

    [Test]
    public void Accumulating_over_batches_equals_computing_on_the_whole()
    {
        TorchBinding.Runtime.Seeding.SeedEverything(4);
        using var scope = NewDisposeScope();
        var logits = randn(6, 4, 5, 5);
        var masks = randint(0, 4, [6, 5, 5]);
        var iou = new MeanIoU(4);
        var dice = new Dice(4);
        foreach (var (start, length) in new[] { (0, 2), (2, 3), (5, 1) })
        {
            iou.Update(logits.narrow(0, start, length), masks.narrow(0, start, length));
            dice.Update(logits.narrow(0, start, length), masks.narrow(0, start, length));
        }
        Assert.Multiple(() =>
        {
            Assert.That(iou.Compute(), Is.EqualTo(MeanIoU.Of(logits, masks, 4)));
            Assert.That(dice.Compute(), Is.EqualTo(Dice.Of(logits, masks, 4)));
            Assert.That(iou.Scores.Pixels, Is.EqualTo(150));
        });
    }

    [Test]
    public void Bad_inputs_name_the_shapes()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => MeanIoU.Of(zeros(1, 3, 4, 4), Truth(), 3),
                Throws.ArgumentException.With.Message.Contain("SegmentationScores.Update").And.Message.Contain("[1, 3, 4, 4]").And.Message.Contain("[1, 3, 3]"));
            Assert.That(() => Dice.Of(zeros(1, 2, 3, 3), Truth(), 3),
                Throws.ArgumentException.With.Message.Contain("K = 2").And.Message.Contain("expected 3"));
            Assert.That(new Dice(3).Compute(), Is.NaN);
        });
    }
}
