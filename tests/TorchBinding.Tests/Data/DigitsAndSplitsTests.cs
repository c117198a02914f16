using TorchBinding.Data;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data;

public class DigitsAndSplitsTests
{
    [Test]
    public void Embedded_digits_have_the_published_shape_range_and_class_counts()
    {
        using var digits = Digits.Load();
        using var images = Digits.Load(flatten: false);
        var counts = digits.ClassLabels().GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(digits.Inputs.shape, Is.EqualTo(new long[] { 1797, 64 }));
            Assert.That(images.Inputs.shape, Is.EqualTo(new long[] { 1797, 1, 8, 8 }));
            Assert.That(digits.Targets.dtype, Is.EqualTo(ScalarType.Int64));
            Assert.That(digits.Inputs.min().item<float>(), Is.EqualTo(0f));
            Assert.That(digits.Inputs.max().item<float>(), Is.EqualTo(1f));
            // Class sizes of the UCI optical digits test set (scikit-learn's load_digits).
            Assert.That(counts, Is.EqualTo(new[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }));
        });
    }

    [Test]
    public void Stratified_split_keeps_class_proportions_and_is_disjoint_and_complete()
    {
        using var digits = Digits.Load();
        var (train, test) = DatasetSplits.TrainTest(digits, 0.2, seed: 1);
        using (train)
        using (test)
        {
            var testCounts = test.ClassLabels().GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count());
            Assert.Multiple(() =>
            {
                Assert.That(train.Count + test.Count, Is.EqualTo(1797));
                foreach (var (label, count) in digits.ClassLabels().GroupBy(l => l).ToDictionary(g => g.Key, g => g.Count()))
                    Assert.That(testCounts[label], Is.EqualTo((int)Math.Round(count * 0.2)), $"class {label}");
                // Disjoint and complete: the rows of both parts together are the rows of the whole, as multisets.
                var all = cat([train.Inputs, test.Inputs]).sum(0);
                TensorAssert.AreClose(all, digits.Inputs.sum(0), rtol: 1e-5, atol: 1e-3);
            });
        }
    }

    [Test]
    public void Split_is_reproducible_under_a_seed()
    {
        using var digits = Digits.Load();
        var (a, _) = DatasetSplits.TrainTest(digits, 0.25, seed: 5);
        var (b, _) = DatasetSplits.TrainTest(digits, 0.25, seed: 5);
        var (c, _) = DatasetSplits.TrainTest(digits, 0.25, seed: 6);
        Assert.Multiple(() =>
        {
            Assert.That(a.ClassLabels(), Is.EqualTo(b.ClassLabels()));
            Assert.That(a.Inputs.equal(b.Inputs).all().item<bool>(), Is.True);
            Assert.That(a.ClassLabels(), Is.Not.EqualTo(c.ClassLabels()));
        });
    }

    [Test]
    public void Bad_split_fractions_are_refused()
    {
        using var digits = Digits.Load();
        Assert.Multiple(() =>
        {
            Assert.That(() => DatasetSplits.Split(digits, [0.5, 0.6], 1), Throws.ArgumentException.With.Message.Contain("sum to 1"));
            Assert.That(() => DatasetSplits.TrainTest(digits, 0, 1), Throws.ArgumentException);
        });
    }

    [Test]
    public void Inputs_and_targets_of_different_lengths_are_refused_with_both_shapes()
    {
        Assert.That(() => new InMemoryDataset(zeros(10, 3), zeros(9, dtype: int64), "toy"),
            Throws.ArgumentException.With.Message.Contain("toy").And.Message.Contain("[10, 3]").And.Message.Contain("[9]"));
    }
}

public class TakeTests
{
    [Test]
    public void Take_keeps_the_first_samples_and_their_labels()
    {
        using var digits = Digits.Load();
        using var first = digits.Take(10);
        using var all = digits.Take(5000);
        Assert.Multiple(() =>
        {
            Assert.That(first.Count, Is.EqualTo(10));
            Assert.That(first.ClassLabels(), Is.EqualTo(digits.ClassLabels()[..10]));
            Assert.That(first.Inputs.equal(digits.Inputs[..10]).all().item<bool>(), Is.True);
            Assert.That(first.Name, Is.EqualTo("digits[:10]"));
            Assert.That(all.Count, Is.EqualTo(1797));
            Assert.That(() => digits.Take(0), Throws.TypeOf<ArgumentOutOfRangeException>());
        });
    }
}
