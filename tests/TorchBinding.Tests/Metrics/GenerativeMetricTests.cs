using TorchBinding.Metrics;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Metrics;

/// <summary>
/// The two-sample distances against formulas written out here with plain loops over arrays (no shared code
/// with the library), and their behaviour: about 0 for two samples of one distribution, growing with noise.
/// </summary>
public class GenerativeMetricTests
{
    static double[,] Rows(Tensor t)
    {
        var n = (int)t.shape[0];
        var d = (int)(t.numel() / n);
        var flat = t.to(float64).reshape(n, d).data<double>().ToArray();
        var rows = new double[n, d];
        for (var i = 0; i < n; i++)
            for (var k = 0; k < d; k++)
                rows[i, k] = flat[i * d + k];
        return rows;
    }

    static double SquaredDistance(double[,] a, int i, double[,] b, int j)
    {
        double s = 0;
        for (var k = 0; k < a.GetLength(1); k++)
            s += (a[i, k] - b[j, k]) * (a[i, k] - b[j, k]);
        return s;
    }

    static double Dot(double[,] a, int i, double[,] b, int j)
    {
        double s = 0;
        for (var k = 0; k < a.GetLength(1); k++)
            s += a[i, k] * b[j, k];
        return s;
    }

    /// <summary>The unbiased MMD² by its definition: means of k over distinct pairs within, minus twice the mean across.</summary>
    static double LoopMmd(double[,] x, double[,] y, Func<double[,], int, double[,], int, double> k)
    {
        int m = x.GetLength(0), n = y.GetLength(0);
        double xx = 0, yy = 0, xy = 0;
        for (var i = 0; i < m; i++)
            for (var j = 0; j < m; j++)
                if (i != j) xx += k(x, i, x, j);
        for (var i = 0; i < n; i++)
            for (var j = 0; j < n; j++)
                if (i != j) yy += k(y, i, y, j);
        for (var i = 0; i < m; i++)
            for (var j = 0; j < n; j++)
                xy += k(x, i, y, j);
        return xx / (m * (m - 1.0)) + yy / (n * (n - 1.0)) - 2 * xy / (m * (double)n);
    }

    static (Tensor X, Tensor Y) Gaussians(int m, int n, int dimensions, double shift, int seed)
    {
        manual_seed(seed);
        return (randn(m, dimensions, dtype: float64), randn(n, dimensions, dtype: float64) + shift);
    }

    [Test]
    public void Mmd_equals_the_definition_with_the_median_heuristic_and_a_given_bandwidth()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Gaussians(30, 41, 3, 0.4, seed: 1);
        var (a, b) = (Rows(x), Rows(y));
        // Median heuristic: the median of the |pooled|·(|pooled|−1)/2 distances between distinct pooled points.
        var pooled = new double[71, 3];
        for (var i = 0; i < 71; i++)
            for (var k = 0; k < 3; k++)
                pooled[i, k] = i < 30 ? a[i, k] : b[i - 30, k];
        var distances = new List<double>();
        for (var i = 0; i < 71; i++)
            for (var j = i + 1; j < 71; j++)
                distances.Add(Math.Sqrt(SquaredDistance(pooled, i, pooled, j)));
        distances.Sort();
        Assert.That(distances.Count % 2, Is.EqualTo(1), "71 · 70 / 2 = 2485 distances: one middle value");
        var median = distances[distances.Count / 2];
        double Rbf(double sigma) => LoopMmd(a, b, (p, i, q, j) => Math.Exp(-SquaredDistance(p, i, q, j) / (2 * sigma * sigma)));
        Assert.Multiple(() =>
        {
            Assert.That(MaximumMeanDiscrepancy.MedianBandwidth(x, y), Is.EqualTo(median).Within(1e-12));
            Assert.That(MaximumMeanDiscrepancy.MedianBandwidth(x, y, maxPoints: 40), Is.EqualTo(median).Within(0.25 * median), "40 of the 71 points, evenly spaced");
            Assert.That(MaximumMeanDiscrepancy.Rbf(x, y), Is.EqualTo(Rbf(median)).Within(1e-12));
            Assert.That(MaximumMeanDiscrepancy.Rbf(x, y, bandwidth: 0.7), Is.EqualTo(Rbf(0.7)).Within(1e-12));
            Assert.That(MaximumMeanDiscrepancy.Rbf(x.to(float32), y.to(float32), 0.7), Is.EqualTo(Rbf(0.7)).Within(1e-6), "float32 samples");
        });
    }

    [Test]
    public void The_median_bandwidth_of_an_even_number_of_distances_is_the_mean_of_the_two_middle_ones()
    {
        using var scope = NewDisposeScope();
        // Points 0, 1, 3, 7 on a line: distances 1, 2, 3, 4, 6, 7. The median is (3 + 4) / 2 = 3.5, as the
        // documentation says; torch's median() (used before) gives the lower middle, 3.
        var x = tensor(new[] { 0.0, 1 }).unsqueeze(1);
        var y = tensor(new[] { 3.0, 7 }).unsqueeze(1);
        Assert.That(MaximumMeanDiscrepancy.MedianBandwidth(x, y), Is.EqualTo(3.5));
        // Three points 0, 1, 3: distances 1, 2, 3, one middle value.
        Assert.That(MaximumMeanDiscrepancy.MedianBandwidth(tensor(new[] { 0.0, 1 }).unsqueeze(1), tensor(new[] { 3.0 }).unsqueeze(1)), Is.EqualTo(2));
    }

    [Test]
    public void Mmd_is_about_zero_for_one_distribution_and_grows_with_noise()
    {
        using var scope = NewDisposeScope();
        // 2000 points of N(0, I₂) each: the unbiased estimate scatters around 0 by O(1/n) (measured: 8.7e−4).
        // Adding noise of std s to the second sample (N(0, (1 + s²)I)) gave 3.6e−3, 0.026, 0.11, 0.19 for
        // s = 0.5, 1, 2, 3: s = 1 is 30× the null value, so the bound of 10× below has room and still means something.
        manual_seed(2);
        var x = randn(2000, 2, dtype: float64);
        var same = randn(2000, 2, dtype: float64);
        var baseline = MaximumMeanDiscrepancy.Rbf(x, same);
        var values = new[] { 0.5, 1.0, 2.0, 3.0 }.Select(s => MaximumMeanDiscrepancy.Rbf(x, same + s * randn(2000, 2, dtype: float64))).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(Math.Abs(baseline), Is.LessThan(2e-3));
            Assert.That(values, Is.Ordered.Ascending);
            Assert.That(values[1], Is.GreaterThan(10 * Math.Abs(baseline)));
        });
    }

    /// <summary>W₁ through the quantile functions, ∫₀¹ |F⁻¹(u) − G⁻¹(u)| du, which are constant between the breakpoints k/m and l/n.</summary>
    static double QuantileW1(double[] x, double[] y)
    {
        x = x.OrderBy(v => v).ToArray();
        y = y.OrderBy(v => v).ToArray();
        var breaks = Enumerable.Range(0, x.Length + 1).Select(k => (double)k / x.Length)
            .Concat(Enumerable.Range(0, y.Length + 1).Select(l => (double)l / y.Length)).Distinct().OrderBy(u => u).ToArray();
        double total = 0;
        for (var k = 0; k + 1 < breaks.Length; k++)
        {
            var u = (breaks[k] + breaks[k + 1]) / 2; // inside the interval: F⁻¹(u) = x[⌈u·m⌉ − 1]
            total += Math.Abs(x[(int)Math.Ceiling(u * x.Length) - 1] - y[(int)Math.Ceiling(u * y.Length) - 1]) * (breaks[k + 1] - breaks[k]);
        }
        return total;
    }

    [Test]
    public void One_dimensional_wasserstein_equals_the_quantile_formula_with_ties_and_unequal_sizes()
    {
        using var scope = NewDisposeScope();
        var random = new Random(3);
        // Values rounded to tenths make ties within and across the samples.
        var x = Enumerable.Range(0, 37).Select(_ => Math.Round(random.NextDouble() * 4, 1)).ToArray();
        var y = Enumerable.Range(0, 23).Select(_ => Math.Round(random.NextDouble() * 5 - 0.5, 1)).ToArray();
        var sameSize = Enumerable.Range(0, 37).Select(_ => random.NextDouble() * 3).ToArray();
        var sortedX = x.OrderBy(v => v).ToArray();
        var sortedSame = sameSize.OrderBy(v => v).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(WassersteinDistance.OneDimensional(x, y), Is.EqualTo(QuantileW1(x, y)).Within(1e-12));
            Assert.That(WassersteinDistance.OneDimensional(tensor(x), tensor(y).reshape(-1, 1)), Is.EqualTo(QuantileW1(x, y)).Within(1e-12), "tensors [N] and [N, 1]");
            // Equal sizes: the mean distance between the order statistics.
            Assert.That(WassersteinDistance.OneDimensional(x, sameSize), Is.EqualTo(sortedX.Zip(sortedSame, (a, b) => Math.Abs(a - b)).Average()).Within(1e-12));
            Assert.That(WassersteinDistance.OneDimensional(x, x.Select(v => v + 1.5).ToArray()), Is.EqualTo(1.5).Within(1e-12), "a shift moves every unit of mass by 1.5");
            Assert.That(WassersteinDistance.OneDimensional(x, x.Reverse().ToArray()), Is.Zero);
            Assert.That(WassersteinDistance.OneDimensional([0.0], [0.0, 1.0]), Is.EqualTo(0.5));
        });
    }

    [Test]
    public void Sliced_wasserstein_is_exact_in_one_dimension_and_matches_the_gaussian_shift()
    {
        using var scope = NewDisposeScope();
        var (x1, y1) = Gaussians(300, 200, 1, 0.7, seed: 4);
        // N(0, I₂) against N(μ, I₂), ‖μ‖ = 3: each direction θ sees a shift θᵀμ, W₁ = |θᵀμ|, whose mean over the
        // circle is 3·2/π = 1.910. With 4000 points the empirical W₁ of each projection is within ~0.03.
        manual_seed(5);
        var x2 = randn(4000, 2, dtype: float64);
        var y2 = randn(4000, 2, dtype: float64) + tensor(new[] { 3 / Math.Sqrt(2), 3 / Math.Sqrt(2) });
        var sliced = WassersteinDistance.Sliced(x2, y2, projections: 512, seed: 1);
        var again = WassersteinDistance.Sliced(x2, y2, projections: 512, seed: 1);
        var same = randn(4000, 2, dtype: float64);
        var noisy = new[] { 0.0, 0.5, 1.0, 2.0 }.Select(s => WassersteinDistance.Sliced(x2, same + s * randn(4000, 2, dtype: float64), seed: 1)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(WassersteinDistance.Sliced(x1, y1, projections: 3), Is.EqualTo(WassersteinDistance.OneDimensional(x1, y1)).Within(1e-12));
            Assert.That(sliced, Is.EqualTo(3 * 2 / Math.PI).Within(0.06));
            Assert.That(again, Is.EqualTo(sliced), "seeded directions");
            Assert.That(WassersteinDistance.Sliced(x2, x2.flip(0)), Is.Zero.Within(1e-12), "the same points in another order");
            Assert.That(noisy[0], Is.LessThan(0.1), "two samples of N(0, I₂)");
            Assert.That(noisy, Is.Ordered.Ascending);
        });
    }

    [Test]
    public void Kolmogorov_smirnov_statistic_is_the_largest_cdf_gap_and_the_p_value_follows_the_kolmogorov_table()
    {
        using var scope = NewDisposeScope();
        var random = new Random(6);
        var x = Enumerable.Range(0, 40).Select(_ => Math.Round(random.NextDouble() * 3, 1)).ToArray();
        var y = Enumerable.Range(0, 55).Select(_ => Math.Round(random.NextDouble() * 3 + 0.4, 1)).ToArray();
        // D by brute force: |F(t) − G(t)| at every sample value t, with F(t) = #{x ≤ t}/m.
        var d = x.Concat(y).Max(t => Math.Abs(x.Count(v => v <= t) / 40.0 - y.Count(v => v <= t) / 55.0));
        var ne = Math.Sqrt(40.0 * 55 / 95);
        var result = KolmogorovSmirnov.TwoSample(x, y);
        // The same distribution: 1000 vs 1500 draws of N(0, 1); a 1-unit shift of 400 points: p far below 1e−10.
        manual_seed(7);
        var null1 = KolmogorovSmirnov.TwoSample(randn(1000), randn(1500));
        var shifted = KolmogorovSmirnov.TwoSample(randn(400), randn(400) + 1);
        Assert.Multiple(() =>
        {
            Assert.That(result.Statistic, Is.EqualTo(d).Within(1e-15));
            // Q(λ) = 2 Σ (−1)^{j−1} exp(−2j²λ²), written out with 4 terms (ample for λ ≥ 0.5).
            var lambda = (ne + 0.12 + 0.11 / ne) * d;
            var q = 2 * (Math.Exp(-2 * lambda * lambda) - Math.Exp(-8 * lambda * lambda) + Math.Exp(-18 * lambda * lambda) - Math.Exp(-32 * lambda * lambda));
            Assert.That(result.PValue, Is.EqualTo(q).Within(1e-12));
            Assert.That(KolmogorovSmirnov.TwoSample(tensor(x), tensor(y)), Is.EqualTo(result), "tensor overload");
            // The classic critical values of the Kolmogorov distribution: 1.2238 (10 %), 1.3581 (5 %), 1.6276 (1 %).
            Assert.That(KolmogorovSmirnov.KolmogorovSurvival(1.2238), Is.EqualTo(0.10).Within(2e-4));
            Assert.That(KolmogorovSmirnov.KolmogorovSurvival(1.3581), Is.EqualTo(0.05).Within(2e-4));
            Assert.That(KolmogorovSmirnov.KolmogorovSurvival(1.6276), Is.EqualTo(0.01).Within(2e-4));
            Assert.That(KolmogorovSmirnov.KolmogorovSurvival(0.1), Is.EqualTo(1.0));
            Assert.That(KolmogorovSmirnov.TwoSample(x, x).Statistic, Is.Zero);
            Assert.That(null1.PValue, Is.GreaterThan(0.05), $"same distribution, D = {null1.Statistic}");
            Assert.That(shifted.PValue, Is.LessThan(1e-10), $"shifted, D = {shifted.Statistic}");
        });
    }

    [Test]
    public void Frechet_distance_matches_the_two_by_two_closed_form()
    {
        using var scope = NewDisposeScope();
        // Correlated, non-commuting covariances. For 2×2 SPD matrices with product P: Tr √P = √(tr P + 2√det P).
        manual_seed(8);
        var x = randn(500, 2, dtype: float64).matmul(tensor(new[,] { { 1.0, 0.6 }, { 0.0, 0.8 } }));
        var y = randn(300, 2, dtype: float64).matmul(tensor(new[,] { { 0.5, -0.3 }, { 0.2, 1.4 } })) + tensor(new[] { 1.0, -0.5 });
        static (double[] Mean, double[,] Cov) Moments(double[,] p)
        {
            var n = p.GetLength(0);
            var mean = new double[2];
            for (var i = 0; i < n; i++) { mean[0] += p[i, 0] / n; mean[1] += p[i, 1] / n; }
            var cov = new double[2, 2];
            for (var i = 0; i < n; i++)
                for (var r = 0; r < 2; r++)
                    for (var c = 0; c < 2; c++)
                        cov[r, c] += (p[i, r] - mean[r]) * (p[i, c] - mean[c]) / (n - 1);
            return (mean, cov);
        }
        var (m1, s1) = Moments(Rows(x));
        var (m2, s2) = Moments(Rows(y));
        var p = new double[2, 2];
        for (var r = 0; r < 2; r++)
            for (var c = 0; c < 2; c++)
                p[r, c] = s1[r, 0] * s2[0, c] + s1[r, 1] * s2[1, c];
        var traceRoot = Math.Sqrt(p[0, 0] + p[1, 1] + 2 * Math.Sqrt(p[0, 0] * p[1, 1] - p[0, 1] * p[1, 0]));
        var expected = Math.Pow(m1[0] - m2[0], 2) + Math.Pow(m1[1] - m2[1], 2) + s1[0, 0] + s1[1, 1] + s2[0, 0] + s2[1, 1] - 2 * traceRoot;
        Assert.Multiple(() =>
        {
            Assert.That(FrechetDistance.Of(x, y), Is.EqualTo(expected).Within(1e-10));
            // Diagonal Gaussians: ‖μ₁ − μ₂‖² + Σ (√a − √b)².
            Assert.That(FrechetDistance.Of(tensor(new[] { 0.0, 0, 0 }), diag(tensor(new[] { 1.0, 4, 9 })), tensor(new[] { 1.0, 2, 0 }), diag(tensor(new[] { 4.0, 1, 9 }))),
                Is.EqualTo(1 + 4 + 1 + 1 + 0).Within(1e-12));
            Assert.That(FrechetDistance.Of(x, x.flip(0)), Is.Zero.Within(1e-9), "the same vectors");
        });
    }

    [Test]
    public void Frechet_and_kernel_distances_are_about_zero_for_one_distribution_and_grow_with_noise()
    {
        using var scope = NewDisposeScope();
        // 16-D "features", 2000 vectors per set. Same distribution: the FID is biased upwards by O(D²/N) (measured
        // 0.085) and the KID scatters around 0 (measured 9e−4). Noise of std s on the second set makes it N(0, (1 + s²)I),
        // whose exact FID is 16(√(1 + s²) − 1)²: 0.22, 2.7, 24 for s = 0.5, 1, 2 (measured 0.30, 2.8, 25; KID 0.012,
        // 0.18, 3.1). The bounds below ask for the s = 0.5 values to stand clear of the same-distribution ones.
        manual_seed(9);
        var x = randn(2000, 16, dtype: float64);
        var y = randn(2000, 16, dtype: float64);
        var noise = new[] { 0.0, 0.5, 1.0, 2.0 };
        var fid = noise.Select(s => FrechetDistance.Of(x, y + s * randn(2000, 16, dtype: float64))).ToArray();
        var kid = noise.Select(s => KernelDistance.Of(x, y + s * randn(2000, 16, dtype: float64), subsets: 20).Mean).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(fid[0], Is.LessThan(0.15));
            Assert.That(fid, Is.Ordered.Ascending);
            Assert.That(fid[1], Is.GreaterThan(2 * fid[0]));
            Assert.That(Math.Abs(kid[0]), Is.LessThan(3e-3));
            Assert.That(kid, Is.Ordered.Ascending);
            Assert.That(kid[1], Is.GreaterThan(5 * Math.Abs(kid[0])));
        });
    }

    [Test]
    public void Kernel_distance_on_one_subset_of_everything_is_the_polynomial_mmd()
    {
        using var scope = NewDisposeScope();
        var (x, y) = Gaussians(25, 25, 4, 0.3, seed: 10);
        var expected = LoopMmd(Rows(x), Rows(y), (p, i, q, j) => Math.Pow(Dot(p, i, q, j) / 4 + 1, 3));
        var whole = KernelDistance.Of(x, y, subsets: 1, subsetSize: 1000);
        var (a, b) = Gaussians(200, 150, 4, 0.3, seed: 11);
        var first = KernelDistance.Of(a, b, subsets: 10, subsetSize: 50, seed: 3);
        var second = KernelDistance.Of(a, b, subsets: 10, subsetSize: 50, seed: 3);
        Assert.Multiple(() =>
        {
            Assert.That(whole.Mean, Is.EqualTo(expected).Within(1e-10));
            Assert.That(whole.StandardDeviation, Is.Zero);
            Assert.That(whole.SubsetSize, Is.EqualTo(25));
            Assert.That(first, Is.EqualTo(second), "seeded subsets");
            Assert.That(KernelDistance.Of(a, b, subsets: 10, subsetSize: 50).StandardDeviation, Is.GreaterThan(0));
        });
    }

    [Test]
    public void Bad_samples_are_refused_with_the_function_and_the_shapes()
    {
        using var scope = NewDisposeScope();
        var x = randn(10, 3);
        Assert.Multiple(() =>
        {
            Assert.That(() => MaximumMeanDiscrepancy.Rbf(x, randn(10, 4)),
                Throws.ArgumentException.With.Message.Contain("MaximumMeanDiscrepancy.Rbf").And.Message.Contain("[10, 3]").And.Message.Contain("[10, 4]"));
            Assert.That(() => MaximumMeanDiscrepancy.Rbf(x, randn(1, 3)), Throws.ArgumentException.With.Message.Contain("at least 2"));
            Assert.That(() => MaximumMeanDiscrepancy.Rbf(x, x, bandwidth: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("bandwidth"));
            Assert.That(() => WassersteinDistance.OneDimensional(x, x), Throws.ArgumentException.With.Message.Contain("one-dimensional").And.Message.Contain("[10, 3]"));
            Assert.That(() => WassersteinDistance.OneDimensional(Array.Empty<double>(), [1.0]), Throws.ArgumentException.With.Message.Contain("empty"));
            Assert.That(() => WassersteinDistance.Sliced(x, x, projections: 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => KolmogorovSmirnov.TwoSample([1.0, double.NaN], [1.0]), Throws.ArgumentException.With.Message.Contain("NaN"));
            Assert.That(() => FrechetDistance.Of(x, tensor(new[] { 1.0f, float.PositiveInfinity }).reshape(2, 1).expand(2, 3)),
                Throws.ArgumentException.With.Message.Contain("NaN or infinite"));
            Assert.That(() => FrechetDistance.Of(zeros(3), eye(3), zeros(2), eye(2)), Throws.ArgumentException.With.Message.Contain("[D, D]"));
            Assert.That(() => KernelDistance.Of(x, x, subsetSize: 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => KernelDistance.Of(x, tensor(new[] { true, false })), Throws.ArgumentException.With.Message.Contain("numeric"));
        });
    }
}
