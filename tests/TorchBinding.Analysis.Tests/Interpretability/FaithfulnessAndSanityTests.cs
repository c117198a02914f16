using TorchBinding.Analysis.Interpretability;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Tests.Interpretability;

/// <summary>Deletion and insertion curves, Spearman's ρ, and the model-randomisation sanity check.</summary>
public class FaithfulnessAndSanityTests
{
    [SetUp]
    public void Seed() => TestModels.Seed(11);

    [Test]
    public void Deleting_the_truly_important_pixels_first_beats_random_and_reversed_orders()
    {
        using var scope = NewDisposeScope();
        // A linear model with non-negative weights on non-negative images: pixel i contributes exactly w_i x_i ≥ 0.
        var model = TestModels.Linear(8, 8, classes: 2);
        var fc = (Linear)model[1];
        using (no_grad())
        {
            fc.weight!.abs_().mul_(4);
            fc.weight![1].zero_();
            fc.bias!.zero_();
        }
        var images = TestModels.Images(10, 8, 8, seed: 12);
        var targets = zeros(10, dtype: int64);
        var truth = Attribution.GradientTimesInput(model, images, targets).squeeze(1);
        var options = new FaithfulnessOptions { Steps = 16, Seed = 1 };
        var best = Faithfulness.Deletion(model, images, targets, truth, options);
        var random = Faithfulness.Deletion(model, images, targets, Faithfulness.RandomMaps(images, seed: 2), options);
        var reversed = Faithfulness.Deletion(model, images, targets, -truth, options);
        using var probabilities = model.call(images).softmax(1)[.., 0];
        Assert.Multiple(() =>
        {
            Assert.That(best.Fractions, Has.Count.EqualTo(17));
            Assert.That(best.Fractions[0], Is.Zero);
            Assert.That(best.Fractions[^1], Is.EqualTo(1));
            Assert.That(best.Scores[0], Is.EqualTo(probabilities.mean().item<float>()).Within(1e-6), "starts at the clean probability");
            Assert.That(best.Scores[^1], Is.EqualTo(0.5).Within(1e-6), "ends at a black image: equal logits");
            Assert.That(best.Auc, Is.LessThan(random.Auc));
            Assert.That(random.Auc, Is.LessThan(reversed.Auc));
        });
        var insertion = Faithfulness.Insertion(model, images, targets, truth, options);
        var randomInsertion = Faithfulness.Insertion(model, images, targets, Faithfulness.RandomMaps(images, seed: 2), options);
        Assert.That(insertion.Auc, Is.GreaterThan(randomInsertion.Auc));
        Assert.That(insertion.Scores[^1], Is.EqualTo(best.Scores[0]).Within(1e-6), "all inserted: the clean image");
    }

    [Test]
    public void Faithfulness_rejects_maps_of_another_shape()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.Linear(8, 8, classes: 2);
        var images = TestModels.Images(2, 8, 8, seed: 3);
        var error = Assert.Throws<ArgumentException>(() => Faithfulness.Deletion(model, images, zeros(2, dtype: int64), zeros(2, 7, 8)))!;
        Assert.That(error.Message, Does.Contain("maps must be [N, H, W] = [2, 8, 8]").And.Contain("got [2, 7, 8]"));
    }

    [Test]
    public void Spearman_is_one_for_the_same_order_minus_one_reversed_and_handles_ties()
    {
        Assert.Multiple(() =>
        {
            Assert.That(RankCorrelation.Spearman([1, 2, 3, 4], [10, 20, 30, 400]), Is.EqualTo(1).Within(1e-12));
            Assert.That(RankCorrelation.Spearman([1, 2, 3, 4], [4, 3, 2, 1]), Is.EqualTo(-1).Within(1e-12));
            Assert.That(RankCorrelation.Ranks([5, 1, 5, 3]), Is.EqualTo(new[] { 3.5, 1, 3.5, 2 }));
            // Ranks x = 1, 2, 3, 4 and y = 1.5, 1.5, 3, 4: ρ = Pearson of the ranks = 0.9486832980505138.
            Assert.That(RankCorrelation.Spearman([1, 2, 3, 4], [0, 0, 1, 2]), Is.EqualTo(0.9486832980505138).Within(1e-12));
            Assert.That(double.IsNaN(RankCorrelation.Spearman([1, 2, 3], [7, 7, 7])), Is.True);
        });
        Assert.Throws<ArgumentException>(() => RankCorrelation.Spearman([1, 2], [1, 2, 3]));
    }

    [Test]
    public void The_randomisation_check_separates_model_dependent_maps_from_model_independent_ones_and_restores_the_weights()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(6, 16, 16, seed: 13);
        var targets = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        var before = model.parameters().Select(p => p.detach().clone()).ToList();
        var gradient = SanityChecks.CascadingRandomization(model,
            m => Attribution.ToPixelMap(Attribution.Gradient(m, images, targets)), new() { Seed = 3 });
        // An "explanation" that ignores the model (the image itself, an edge detector's limit case) passes through unchanged.
        var independent = SanityChecks.CascadingRandomization(model, _ => images.squeeze(1), new() { Seed = 3 });
        Assert.Multiple(() =>
        {
            Assert.That(gradient.Select(s => s.Layer), Is.EqualTo(new[] { "original", "fc", "conv2", "conv1" }));
            Assert.That(gradient[0].MeanRankCorrelation, Is.EqualTo(1));
            Assert.That(gradient[^1].MeanRankCorrelation, Is.LessThan(0.5), "the fully random model's gradients are unlike the trained ones");
            Assert.That(independent.All(s => Math.Abs(s.MeanRankCorrelation - 1) < 1e-12), Is.True, "model-independent maps do not change");
            Assert.That(gradient[1].Maps.shape, Is.EqualTo(new long[] { 6, 16, 16 }));
            var after = model.parameters().ToList();
            for (var i = 0; i < before.Count; i++)
                Assert.That(before[i].equal(after[i]).all().item<bool>(), Is.True, $"parameter {i} restored bit for bit");
        });
        var error = Assert.Throws<ArgumentException>(() => SanityChecks.CascadingRandomization(model, _ => images, new() { Layers = ["relu1"] }))!;
        Assert.That(error.Message, Does.Contain("'relu1' has no parameters of its own").And.Contain("conv1, conv2, fc"));
    }
}
