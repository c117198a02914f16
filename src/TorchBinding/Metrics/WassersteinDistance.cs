using TorchBinding.Runtime;
using TorchBinding.Statistics;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The Wasserstein-1 ("earth mover's") distance between two samples' empirical distributions: the least
/// mean distance that mass must travel to turn one into the other. In one dimension it is exact and cheap,
/// <c>W₁ = ∫ |F(t) − G(t)| dt</c> over the two empirical CDFs, computed by sorting (the samples may differ in
/// size). In more dimensions <see cref="Sliced"/> averages the one-dimensional distance over random directions.
/// </summary>
public static class WassersteinDistance
{
    /// <summary>The exact W₁ between two one-dimensional samples, <c>[N]</c> or <c>[N, 1]</c> (sizes may differ).</summary>
    /// <exception cref="ArgumentException">A sample is empty, not one-dimensional, or holds non-finite values.</exception>
    public static double OneDimensional(Tensor x, Tensor y)
    {
        const string function = "WassersteinDistance.OneDimensional";
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return OfSorted(SampleInputs.SortedValues(function, x, nameof(x)), SampleInputs.SortedValues(function, y, nameof(y)));
    }

    /// <summary>The exact W₁ between two one-dimensional samples given as numbers.</summary>
    /// <exception cref="ArgumentException">A sample is empty or holds non-finite values.</exception>
    public static double OneDimensional(double[] x, double[] y)
    {
        const string function = "WassersteinDistance.OneDimensional";
        return OfSorted(SampleInputs.SortedValues(function, x, nameof(x)), SampleInputs.SortedValues(function, y, nameof(y)));
    }

    /// <summary>
    /// The sliced Wasserstein-1 distance between samples <c>[m, D]</c> and <c>[n, D]</c>: the mean over
    /// <paramref name="projections"/> random unit directions θ (uniform on the sphere, from <paramref name="seed"/>)
    /// of the exact one-dimensional W₁ between the projections θᵀx and θᵀy. It is zero for equal empirical
    /// distributions, and for one-dimensional points it is the exact W₁. For N(0, I) against N(μ, I) in two
    /// dimensions it tends to ‖μ‖·2/π (the mean of |θᵀμ| over directions).
    /// </summary>
    /// <param name="x">The first sample; <c>[N, ...]</c> is flattened to <c>[N, D]</c>.</param>
    /// <param name="y">The second sample, with the same number of features.</param>
    /// <param name="projections">The number of directions (≥ 1).</param>
    /// <param name="seed">Seed of the directions (the same seed, the same directions).</param>
    /// <exception cref="ArgumentException">A sample is empty or holds non-finite values, the feature counts differ, or projections &lt; 1.</exception>
    public static double Sliced(Tensor x, Tensor y, int projections = 256, int seed = 0)
    {
        const string function = "WassersteinDistance.Sliced";
        if (projections < 1)
            throw new ArgumentOutOfRangeException(nameof(projections), projections, $"{function} needs at least one projection.");
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (a, b) = SampleInputs.Pair(function, x, y);
        var dimensions = (int)a.shape[1];
        var random = new Random(seed);
        var directions = new double[dimensions * projections];
        for (var p = 0; p < projections; p++)
        {
            double norm;
            do
            {
                norm = 0;
                for (var d = 0; d < dimensions; d++)
                {
                    var value = random.NextNormal();
                    directions[d * projections + p] = value;
                    norm += value * value;
                }
            }
            while (norm == 0);
            norm = Math.Sqrt(norm);
            for (var d = 0; d < dimensions; d++)
                directions[d * projections + p] /= norm;
        }
        var theta = tensor(directions, [dimensions, projections], dtype: float64);
        // Sorted projections, one column per direction: [N, L] → L sorted rows.
        var projectedX = a.matmul(theta).t().sort(dim: 1).Values.contiguous().data<double>().ToArray();
        var projectedY = b.matmul(theta).t().sort(dim: 1).Values.contiguous().data<double>().ToArray();
        var (m, n) = ((int)a.shape[0], (int)b.shape[0]);
        double total = 0;
        for (var p = 0; p < projections; p++)
            total += OfSorted(projectedX.AsSpan(p * m, m), projectedY.AsSpan(p * n, n));
        return total / projections;
    }

    /// <summary>∫ |F − G| over the merged sorted values: F and G are constant between consecutive values.</summary>
    static double OfSorted(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int i = 0, j = 0;
        double m = x.Length, n = y.Length, total = 0;
        var previous = Math.Min(x[0], y[0]);
        while (i < x.Length || j < y.Length)
        {
            // The next breakpoint, and both CDFs just after it (every value equal to it counted).
            var next = j >= y.Length || (i < x.Length && x[i] <= y[j]) ? x[i] : y[j];
            total += Math.Abs(i / m - j / n) * (next - previous);
            while (i < x.Length && x[i] == next)
                i++;
            while (j < y.Length && y[j] == next)
                j++;
            previous = next;
        }
        return total;
    }
}
