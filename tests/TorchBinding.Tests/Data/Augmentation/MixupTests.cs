using TorchBinding.Data.Augmentation;
using static TorchBinding.Tests.Data.Augmentation.AugmentationTestData;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchBinding.Tests.Data.Augmentation;

public class MixupTests
{
    [Test]
    public void Mixup_of_class_indices_gives_soft_targets_that_sum_to_one()
    {
        using var scope = NewDisposeScope();
        var inputs = RandomBatch(n: 16);
        var labels = tensor(Enumerable.Range(0, 16).Select(i => (long)(i % 10)).ToArray());
        using var result = new Mixup(numClasses: 10, alpha: 0.4, seed: 1).Apply(inputs, labels);
        var perm = tensor(result.Permutation.ToArray());
        var lambda = result.Lambda;
        var oneHot = F.one_hot(labels, 10).to(float32);
        Assert.Multiple(() =>
        {
            Assert.That(lambda, Is.InRange(0.0, 1.0));
            Assert.That(result.Permutation.Order(), Is.EqualTo(Enumerable.Range(0, 16).Select(i => (long)i)), "a permutation");
            Assert.That(result.Targets.shape, Is.EqualTo(new long[] { 16, 10 }));
            TensorAssert.AreClose(result.Targets.sum(1), ones(16), what: "rows sum to 1");
            TensorAssert.AreClose(result.Inputs, lambda * inputs + (1 - lambda) * inputs.index_select(0, perm), rtol: 1e-6, atol: 1e-6);
            TensorAssert.AreClose(result.Targets, lambda * oneHot + (1 - lambda) * oneHot.index_select(0, perm), rtol: 1e-6, atol: 1e-6);
        });
    }

    [Test]
    public void Mixup_accepts_soft_targets_of_any_input_shape()
    {
        using var scope = NewDisposeScope();
        var inputs = rand(12, 64);
        var soft = F.softmax(randn(12, 5), 1);
        using var result = new Mixup(5, seed: 2).Apply(inputs, soft);
        var perm = tensor(result.Permutation.ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(result.Inputs.shape, Is.EqualTo(new long[] { 12, 64 }));
            TensorAssert.AreClose(result.Targets.sum(1), ones(12));
            TensorAssert.AreClose(result.Targets, result.Lambda * soft + (1 - result.Lambda) * soft.index_select(0, perm), rtol: 1e-6, atol: 1e-6);
        });
    }

    [Test]
    public void Mixup_is_reproducible_under_a_seed()
    {
        using var scope = NewDisposeScope();
        var inputs = RandomBatch(n: 16);
        var labels = zeros(16, dtype: int64);
        var (a, b, c) = (new Mixup(10, seed: 3), new Mixup(10, seed: 3), new Mixup(10, seed: 4));
        for (var step = 0; step < 3; step++)
        {
            using var ra = a.Apply(inputs, labels);
            using var rb = b.Apply(inputs, labels);
            using var rc = c.Apply(inputs, labels);
            Assert.Multiple(() =>
            {
                Assert.That(rb.Lambda, Is.EqualTo(ra.Lambda));
                Assert.That(rb.Permutation, Is.EqualTo(ra.Permutation));
                Assert.That(Same(rb.Inputs, ra.Inputs), Is.True);
                Assert.That(rc.Lambda, Is.Not.EqualTo(ra.Lambda));
            });
        }
    }

    [Test]
    public void Bad_mixup_inputs_are_refused_with_the_shapes()
    {
        using var scope = NewDisposeScope();
        var mixup = new Mixup(10, seed: 1);
        var inputs = RandomBatch(n: 4);
        Assert.Multiple(() =>
        {
            Assert.That(() => mixup.Apply(inputs, zeros(5, dtype: int64)), Throws.ArgumentException.With.Message.Contain("[4]").And.Message.Contain("[5]"));
            Assert.That(() => mixup.Apply(inputs, zeros(4, 3)), Throws.ArgumentException.With.Message.Contain("[4, 10]").And.Message.Contain("[4, 3]"));
            Assert.That(() => mixup.Apply(inputs, tensor(new long[] { 0, 1, 2, 10 })), Throws.ArgumentException.With.Message.Contain("[0, 10)"));
            Assert.That(() => mixup.Apply(inputs, zeros(4)), Throws.ArgumentException.With.Message.Contain("integer"));
            Assert.That(() => mixup.Apply(zeros(4, 3, dtype: int64), zeros(4, dtype: int64)), Throws.ArgumentException.With.Message.Contain("floating"));
            Assert.That(() => new Mixup(10, alpha: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new Mixup(0), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }

    [TestCase(2.0, 2.0)]
    [TestCase(0.2, 0.2)]
    [TestCase(1.0, 3.0)]
    public void Beta_draws_have_the_distribution_mean_and_variance(double a, double b)
    {
        var random = new Random(7);
        var draws = Enumerable.Range(0, 40_000).Select(_ => BetaDistribution.Sample(random, a, b)).ToArray();
        var mean = draws.Average();
        var variance = draws.Select(x => (x - mean) * (x - mean)).Average();
        Assert.Multiple(() =>
        {
            Assert.That(draws, Has.All.InRange(0.0, 1.0));
            Assert.That(mean, Is.EqualTo(a / (a + b)).Within(0.01));
            Assert.That(variance, Is.EqualTo(a * b / ((a + b) * (a + b) * (a + b + 1))).Within(3).Percent);
        });
    }
}
