using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>A kernel distance estimate over random subsets: their mean and standard deviation.</summary>
/// <param name="Mean">The mean of the subsets' unbiased MMD² estimates: the reported value.</param>
/// <param name="StandardDeviation">Their standard deviation (0 for one subset): how much the estimate scatters.</param>
/// <param name="Subsets">The number of subsets.</param>
/// <param name="SubsetSize">The points drawn (without replacement) from each sample per subset.</param>
public sealed record KernelDistanceResult(double Mean, double StandardDeviation, int Subsets, int SubsetSize);

/// <summary>
/// The kernel distance of the KID (Bińkowski et al., 2018): the unbiased MMD² between two sets of feature
/// vectors with the polynomial kernel <c>k(a, b) = (aᵀb / D + 1)³</c>, averaged over random subsets. Unlike the
/// Fréchet distance it is unbiased, so its values do not depend on the sample size (only their scatter does),
/// and it is 0 in expectation for features of one distribution (single estimates may be slightly negative).
/// With the Inception network's features it is the KID of papers; with <c>MnistFeatureExtractor</c>'s features
/// (TorchBinding.Models) it is a classifier KID whose numbers do not compare with papers'.
/// </summary>
public static class KernelDistance
{
    /// <summary>
    /// The kernel distance between feature sets <c>[m, D]</c> and <c>[n, D]</c>: <paramref name="subsets"/> times,
    /// <c>s = min(subsetSize, m, n)</c> vectors are drawn from each without replacement and the unbiased MMD² of the
    /// polynomial kernel computed; the result is their mean and standard deviation (the defaults, 100 subsets of
    /// 1000, are torchmetrics'). With <c>subsets = 1</c> and <c>subsetSize ≥ m = n</c> it is the estimate on all vectors.
    /// </summary>
    /// <param name="featuresX">The first set (m ≥ 2 vectors).</param>
    /// <param name="featuresY">The second set (n ≥ 2 vectors of the same size).</param>
    /// <param name="subsets">The number of subsets (≥ 1).</param>
    /// <param name="subsetSize">Vectors per subset and set (≥ 2).</param>
    /// <param name="seed">Seed of the subsets.</param>
    /// <exception cref="ArgumentException">A set has fewer than two vectors or non-finite values, the sizes differ, or a count is out of range.</exception>
    public static KernelDistanceResult Of(Tensor featuresX, Tensor featuresY, int subsets = 100, int subsetSize = 1000, int seed = 0)
    {
        const string function = "KernelDistance.Of";
        if (subsets < 1)
            throw new ArgumentOutOfRangeException(nameof(subsets), subsets, $"{function} needs at least one subset.");
        if (subsetSize < 2)
            throw new ArgumentOutOfRangeException(nameof(subsetSize), subsetSize, $"{function} needs subsets of at least 2 vectors.");
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (a, b) = SampleInputs.Pair(function, featuresX, featuresY, minimum: 2);
        var dimensions = (double)a.shape[1];
        var size = (int)Math.Min(subsetSize, Math.Min(a.shape[0], b.shape[0]));
        var random = new Random(seed);
        var estimates = new double[subsets];
        for (var s = 0; s < subsets; s++)
        {
            using var subsetScope = NewDisposeScope();
            var x = a.index_select(0, Draw(random, (int)a.shape[0], size));
            var y = b.index_select(0, Draw(random, (int)b.shape[0], size));
            estimates[s] = KernelSums.UnbiasedMmdSquared(x, y, (p, q) => p.matmul(q.t()).div_(dimensions).add_(1).pow_(3));
        }
        var mean = estimates.Average();
        var deviation = subsets > 1 ? Math.Sqrt(estimates.Sum(e => (e - mean) * (e - mean)) / (subsets - 1)) : 0;
        return new KernelDistanceResult(mean, deviation, subsets, size);
    }

    /// <summary><paramref name="count"/> distinct indices of 0..n−1 (a partial Fisher–Yates shuffle); all of them, in order, when count = n.</summary>
    static Tensor Draw(Random random, int n, int count)
    {
        var indices = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        if (count < n)
        {
            for (var i = 0; i < count; i++)
            {
                var j = random.Next(i, n);
                (indices[i], indices[j]) = (indices[j], indices[i]);
            }
        }
        return tensor(indices.AsSpan(0, count).ToArray(), dtype: int64);
    }
}
