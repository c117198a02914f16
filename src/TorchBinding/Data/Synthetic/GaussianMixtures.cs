using TorchBinding.Statistics;

namespace TorchBinding.Data.Synthetic;

/// <summary>
/// Samples of Gaussian mixtures p(x) = Σ_k w_k N(x; μ_k, σ_k²) with the component k as the class: the
/// 1-D densities of the diffusion lecture and 2-D clusters with unequal sizes. Each sample first draws
/// its component with probability w_k / Σ w, then x = μ_k + σ_k·ε with ε ~ N(0, 1) (per coordinate in 2-D),
/// so class sizes follow the weights only on average. Targets are int64 components <c>[N]</c>.
/// The same seed gives the same data; no seed draws one from <see cref="Runtime.Seeding.NextSeed"/>.
/// </summary>
public static class GaussianMixtures
{
    /// <summary>n samples of a 1-D mixture: inputs float32 <c>[n, 1]</c>, targets the component.</summary>
    /// <param name="n">Number of samples (>= 1).</param>
    /// <param name="means">μ_k, one per component (at least one).</param>
    /// <param name="stds">σ_k > 0, as many as means.</param>
    /// <param name="weights">w_k >= 0 with a positive sum (normalised here), as many as means; null = equal weights.</param>
    /// <param name="seed">Seed of the samples.</param>
    public static InMemoryDataset OneDimensional(int n, IReadOnlyList<double> means, IReadOnlyList<double> stds, IReadOnlyList<double>? weights = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(means);
        return Sample(n, means.Select(m => new[] { m }).ToArray(), stds, weights, seed, "gaussian mixture 1-D");
    }

    /// <summary>n samples of a 2-D mixture of isotropic Gaussians N(μ_k, σ_k²·I): inputs float32 <c>[n, 2]</c>, targets the component.</summary>
    /// <param name="n">Number of samples (>= 1).</param>
    /// <param name="means">μ_k, one per component (at least one).</param>
    /// <param name="stds">σ_k > 0, as many as means.</param>
    /// <param name="weights">w_k >= 0 with a positive sum (normalised here), as many as means; null = equal weights.</param>
    /// <param name="seed">Seed of the samples.</param>
    public static InMemoryDataset TwoDimensional(int n, IReadOnlyList<(double X, double Y)> means, IReadOnlyList<double> stds, IReadOnlyList<double>? weights = null, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(means);
        return Sample(n, means.Select(m => new[] { m.X, m.Y }).ToArray(), stds, weights, seed, "gaussian mixture 2-D");
    }

    static InMemoryDataset Sample(int n, double[][] means, IReadOnlyList<double> stds, IReadOnlyList<double>? weights, int? seed, string name)
    {
        Check.Positive(n);
        ArgumentNullException.ThrowIfNull(stds);
        var k = means.Length;
        if (k == 0)
            throw new ArgumentException("means must hold at least one component.", nameof(means));
        if (stds.Count != k)
            throw new ArgumentException($"stds holds {stds.Count} values for {k} means.", nameof(stds));
        Check.Each(stds, std => std > 0 && double.IsFinite(std), "a finite number > 0");
        weights ??= Enumerable.Repeat(1.0, k).ToArray();
        if (weights.Count != k)
            throw new ArgumentException($"weights holds {weights.Count} values for {k} means.", nameof(weights));
        Check.Each(weights, weight => weight >= 0 && double.IsFinite(weight), "a finite number >= 0");
        var total = weights.Sum();
        if (total <= 0)
            throw new ArgumentException("weights must not all be zero.", nameof(weights));

        var lastWeighted = weights.Select((w, c) => (w, c)).Last(p => p.w > 0).c;
        var random = Generation.NewRandom(seed);
        var dimensions = means[0].Length;
        var inputs = new float[n * dimensions];
        var labels = new long[n];
        for (var i = 0; i < n; i++)
        {
            // The component: the first whose cumulative weight exceeds u ~ U[0, Σ w).
            var u = random.NextDouble() * total;
            var component = lastWeighted; // only reached through rounding
            for (var c = 0; c < k; c++)
            {
                if ((u -= weights[c]) < 0)
                {
                    component = c;
                    break;
                }
            }
            labels[i] = component;
            for (var d = 0; d < dimensions; d++)
                inputs[i * dimensions + d] = (float)(means[component][d] + stds[component] * random.NextNormal());
        }
        return Generation.Classes(inputs, [n, dimensions], labels, name, Generation.NumberedClasses(k));
    }
}
