using TorchBinding.Data;
using TorchBinding.Data.Synthetic;
using static TorchBinding.Tests.Data.Synthetic.TensorValues;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Synthetic;

public class ToyClassificationTests
{
    static int[] ClassCounts(InMemoryDataset data, int classes)
    {
        var counts = new int[classes];
        foreach (var label in data.ClassLabels())
            counts[label]++;
        return counts;
    }

    /// <summary>The points of class <paramref name="label"/>, in order.</summary>
    static (double X, double Y)[] Points(InMemoryDataset data, int label)
    {
        var xy = Floats(data.Inputs);
        return data.ClassLabels().Select((l, i) => (l, i)).Where(p => p.l == label).Select(p => ((double)xy[2 * p.i], (double)xy[2 * p.i + 1])).ToArray();
    }

    static double Radius((double X, double Y) p) => Math.Sqrt(p.X * p.X + p.Y * p.Y);

    [Test]
    public void Moons_are_balanced_two_dimensional_and_lie_on_their_half_circles_without_noise()
    {
        using var moons = ToyClassification.Moons(200, noise: 0, seed: 1);
        var upper = Points(moons, 0);
        var lower = Points(moons, 1);
        Assert.Multiple(() =>
        {
            Assert.That(moons.Inputs.shape, Is.EqualTo(new long[] { 200, 2 }));
            Assert.That(moons.Inputs.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(moons.Targets.shape, Is.EqualTo(new long[] { 200 }));
            Assert.That(moons.Targets.dtype, Is.EqualTo(ScalarType.Int64));
            Assert.That(moons.ClassNames, Is.EqualTo(new[] { "upper", "lower" }));
            Assert.That(ClassCounts(moons, 2), Is.EqualTo(new[] { 100, 100 }));
            Assert.That(upper.Select(Radius), Is.All.EqualTo(1.0).Within(1e-5));
            Assert.That(upper.Select(p => p.Y), Is.All.GreaterThanOrEqualTo(-1e-6));
            Assert.That(lower.Select(p => Radius((p.X - 1, p.Y - 0.5))), Is.All.EqualTo(1.0).Within(1e-5));
            // The two classes' means differ: about (0, 0.64) and (1, -0.14).
            var (ux, uy) = (upper.Average(p => p.X), upper.Average(p => p.Y));
            var (lx, ly) = (lower.Average(p => p.X), lower.Average(p => p.Y));
            Assert.That(Math.Sqrt((ux - lx) * (ux - lx) + (uy - ly) * (uy - ly)), Is.GreaterThan(1));
        });
    }

    [Test]
    public void An_odd_count_gives_the_extra_sample_to_the_first_class()
    {
        using var moons = ToyClassification.Moons(201, seed: 1);
        using var spirals = ToyClassification.Spirals(302, arms: 3, seed: 1);
        Assert.Multiple(() =>
        {
            Assert.That(ClassCounts(moons, 2), Is.EqualTo(new[] { 101, 100 }));
            Assert.That(ClassCounts(spirals, 3), Is.EqualTo(new[] { 101, 101, 100 }));
        });
    }

    [Test]
    public void Circles_inner_radius_is_factor_times_the_outer()
    {
        using var exact = ToyClassification.Circles(400, noise: 0, factor: 0.3, seed: 1);
        using var noisy = ToyClassification.Circles(2000, noise: 0.05, factor: 0.3, seed: 1);
        Assert.Multiple(() =>
        {
            Assert.That(ClassCounts(exact, 2), Is.EqualTo(new[] { 200, 200 }));
            Assert.That(exact.ClassNames, Is.EqualTo(new[] { "outer", "inner" }));
            Assert.That(Points(exact, 0).Select(Radius), Is.All.EqualTo(1.0).Within(1e-5));
            Assert.That(Points(exact, 1).Select(Radius), Is.All.EqualTo(0.3).Within(1e-5));
            var ratio = Points(noisy, 1).Average(Radius) / Points(noisy, 0).Average(Radius);
            Assert.That(ratio, Is.EqualTo(0.3).Within(0.02));
        });
    }

    [Test]
    public void Blobs_are_balanced_and_centred_on_their_centres()
    {
        using var drawn = ToyClassification.Blobs(300, centers: 3, seed: 4);
        using var given = ToyClassification.Blobs(1000, [(-5, 0), (5, 2)], std: 0.5, seed: 4);
        var left = Points(given, 0);
        var right = Points(given, 1);
        Assert.Multiple(() =>
        {
            Assert.That(ClassCounts(drawn, 3), Is.EqualTo(new[] { 100, 100, 100 }));
            Assert.That(drawn.ClassNames, Is.EqualTo(new[] { "0", "1", "2" }));
            Assert.That(ClassCounts(given, 2), Is.EqualTo(new[] { 500, 500 }));
            // Standard error of a blob's mean: 0.5 / sqrt(500) = 0.022.
            Assert.That(left.Average(p => p.X), Is.EqualTo(-5).Within(0.1));
            Assert.That(left.Average(p => p.Y), Is.EqualTo(0).Within(0.1));
            Assert.That(right.Average(p => p.X), Is.EqualTo(5).Within(0.1));
            Assert.That(right.Average(p => p.Y), Is.EqualTo(2).Within(0.1));
            var spread = Math.Sqrt(left.Average(p => (p.X + 5) * (p.X + 5)));
            Assert.That(spread, Is.EqualTo(0.5).Within(0.05));
        });
    }

    [Test]
    public void Spiral_arms_are_balanced_and_their_radius_grows_to_one()
    {
        using var spirals = ToyClassification.Spirals(300, arms: 3, noise: 0, turns: 1.5, seed: 1);
        Assert.Multiple(() =>
        {
            Assert.That(spirals.Inputs.shape, Is.EqualTo(new long[] { 300, 2 }));
            Assert.That(ClassCounts(spirals, 3), Is.EqualTo(new[] { 100, 100, 100 }));
            for (var arm = 0; arm < 3; arm++)
            {
                var radii = Points(spirals, arm).Select(Radius).ToArray();
                Assert.That(radii, Is.Ordered.Ascending, $"arm {arm}");
                Assert.That(radii.Distinct().Count(), Is.EqualTo(radii.Length), $"arm {arm}: strictly growing");
                Assert.That(radii[0], Is.GreaterThan(0), $"arm {arm} does not start at the origin");
                Assert.That(radii[^1], Is.EqualTo(1).Within(1e-5), $"arm {arm}");
            }
            // At the same radius, arm a is turned by 2π·a/arms: the arms' outer ends are 120° apart.
            var ends = Enumerable.Range(0, 3).Select(a => Points(spirals, a)[^1]).ToArray();
            Assert.That(Radius((ends[0].X - ends[1].X, ends[0].Y - ends[1].Y)), Is.EqualTo(Math.Sqrt(3)).Within(1e-5));
        });
    }

    [Test]
    public void Coin_flips_are_heads_and_tails_with_the_mean_near_p()
    {
        const int n = 10_000;
        const double p = 0.3;
        using var flips = ToyClassification.CoinFlips(n, p, seed: 11);
        using var never = ToyClassification.CoinFlips(50, 0, seed: 1);
        using var always = ToyClassification.CoinFlips(50, 1, seed: 1);
        var heads = Floats(flips.Targets);
        Assert.Multiple(() =>
        {
            Assert.That(flips.Inputs.shape, Is.EqualTo(new long[] { n, 1 }));
            Assert.That(Floats(flips.Inputs), Is.All.EqualTo(0f));
            Assert.That(flips.Targets.shape, Is.EqualTo(new long[] { n, 1 }));
            Assert.That(flips.Targets.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(heads, Is.All.EqualTo(0f).Or.EqualTo(1f));
            Assert.That(heads.Average(), Is.EqualTo(p).Within(4 * Math.Sqrt(p * (1 - p) / n)));
            Assert.That(Floats(never.Targets), Is.All.EqualTo(0f));
            Assert.That(Floats(always.Targets), Is.All.EqualTo(1f));
        });
    }
}
