using TorchBinding.Data;
using TorchBinding.Data.Synthetic;
using TorchBinding.Runtime;

namespace TorchBinding.Tests.Data.Synthetic;

/// <summary>Every random generator: the same seed gives identical tensors, another seed different ones.</summary>
public class SeededGeneratorsTests
{
    static IEnumerable<TestCaseData> Generators()
    {
        TestCaseData Case(string name, Func<int?, InMemoryDataset> make) => new TestCaseData(make).SetArgDisplayNames(name);
        yield return Case("moons", s => ToyClassification.Moons(50, seed: s));
        yield return Case("circles", s => ToyClassification.Circles(50, seed: s));
        yield return Case("blobs", s => ToyClassification.Blobs(50, seed: s));
        yield return Case("blobs at given centres", s => ToyClassification.Blobs(50, [(0, 0), (3, 3)], seed: s));
        yield return Case("spirals", s => ToyClassification.Spirals(50, seed: s));
        yield return Case("coin flips", s => ToyClassification.CoinFlips(50, seed: s));
        yield return Case("mixture 1-D", s => GaussianMixtures.OneDimensional(50, [-1, 1], [0.5, 0.5], seed: s));
        yield return Case("mixture 2-D", s => GaussianMixtures.TwoDimensional(50, [(-1, 0), (1, 0)], [0.5, 0.5], [1, 3], seed: s));
        yield return Case("square wave with noise", s => FunctionTargets.SquareWaveFourier(noise: 0.1, seed: s));
        yield return Case("shapes", s => ShapesSegmentation.Generate(3, size: 32, seed: s));
    }

    [TestCaseSource(nameof(Generators))]
    public void Same_seed_gives_identical_data_and_another_seed_different_data(Func<int?, InMemoryDataset> make)
    {
        using var first = make(7);
        using var again = make(7);
        using var other = make(8);
        Assert.Multiple(() =>
        {
            Assert.That(TensorValues.Identical(first.Inputs, again.Inputs) && TensorValues.Identical(first.Targets, again.Targets), Is.True, "same seed");
            Assert.That(TensorValues.Identical(first.Inputs, other.Inputs) && TensorValues.Identical(first.Targets, other.Targets), Is.False, "another seed");
        });
    }

    [TestCaseSource(nameof(Generators))]
    public void Without_a_seed_the_library_generator_decides(Func<int?, InMemoryDataset> make)
    {
        Seeding.SeedEverything(21);
        using var first = make(null);
        Seeding.SeedEverything(21);
        using var again = make(null);
        Assert.That(TensorValues.Identical(first.Inputs, again.Inputs) && TensorValues.Identical(first.Targets, again.Targets), Is.True);
    }

    [Test]
    public void Pattern_image_is_seeded()
    {
        using var first = PatternDetection.PlusMinusImage(seed: 3);
        using var again = PatternDetection.PlusMinusImage(seed: 3);
        using var other = PatternDetection.PlusMinusImage(seed: 4);
        Assert.Multiple(() =>
        {
            Assert.That(TensorValues.Identical(first.Image, again.Image), Is.True);
            Assert.That(again.PlusCenters, Is.EqualTo(first.PlusCenters));
            Assert.That(again.MinusCenters, Is.EqualTo(first.MinusCenters));
            Assert.That(TensorValues.Identical(first.Image, other.Image), Is.False);
        });
    }
}
