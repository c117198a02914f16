using TorchBinding.Data.Synthetic;
using static TorchBinding.Tests.Data.Synthetic.TensorValues;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Synthetic;

public class GaussianMixturesTests
{
    [Test]
    public void One_dimensional_mixture_follows_its_weights_means_and_stds()
    {
        const int n = 20_000;
        double[] means = [-2, 3], stds = [0.5, 1], weights = [1, 3]; // weights are normalised: 0.25, 0.75
        using var mixture = GaussianMixtures.OneDimensional(n, means, stds, weights, seed: 5);
        var x = Floats(mixture.Inputs);
        var k = mixture.ClassLabels();
        Assert.Multiple(() =>
        {
            Assert.That(mixture.Inputs.shape, Is.EqualTo(new long[] { n, 1 }));
            Assert.That(mixture.Targets.shape, Is.EqualTo(new long[] { n }));
            Assert.That(mixture.Targets.dtype, Is.EqualTo(ScalarType.Int64));
            Assert.That(mixture.ClassNames, Is.EqualTo(new[] { "0", "1" }));
            Assert.That(k.Average(), Is.EqualTo(0.75).Within(4 * Math.Sqrt(0.75 * 0.25 / n)), "share of component 1");
            for (var c = 0; c < 2; c++)
            {
                var samples = x.Where((_, i) => k[i] == c).Select(v => (double)v).ToArray();
                var mean = samples.Average();
                var std = Math.Sqrt(samples.Average(v => (v - mean) * (v - mean)));
                Assert.That(mean, Is.EqualTo(means[c]).Within(4 * stds[c] / Math.Sqrt(samples.Length)), $"mean of component {c}");
                Assert.That(std, Is.EqualTo(stds[c]).Within(0.05 * stds[c]), $"std of component {c}");
            }
        });
    }

    [Test]
    public void Two_dimensional_mixture_centres_each_component_on_its_mean()
    {
        using var mixture = GaussianMixtures.TwoDimensional(4000, [(-3, 1), (2, -2)], [0.3, 0.6], seed: 2);
        var xy = Floats(mixture.Inputs);
        var k = mixture.ClassLabels();
        double Mean(int component, int axis) => k.Select((c, i) => (c, i)).Where(p => p.c == component).Average(p => xy[2 * p.i + axis]);
        Assert.Multiple(() =>
        {
            Assert.That(mixture.Inputs.shape, Is.EqualTo(new long[] { 4000, 2 }));
            Assert.That(k.Average(), Is.EqualTo(0.5).Within(4 * 0.5 / Math.Sqrt(4000)), "equal weights by default");
            Assert.That(Mean(0, 0), Is.EqualTo(-3).Within(0.05));
            Assert.That(Mean(0, 1), Is.EqualTo(1).Within(0.05));
            Assert.That(Mean(1, 0), Is.EqualTo(2).Within(0.1));
            Assert.That(Mean(1, 1), Is.EqualTo(-2).Within(0.1));
        });
    }

    [Test]
    public void A_component_of_weight_zero_is_never_drawn()
    {
        using var mixture = GaussianMixtures.OneDimensional(500, [0, 5, 10], [1, 1, 1], [0, 1, 0], seed: 1);
        Assert.That(mixture.ClassLabels(), Is.All.EqualTo(1));
    }
}
