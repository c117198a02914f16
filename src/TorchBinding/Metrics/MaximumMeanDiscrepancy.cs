using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The maximum mean discrepancy (MMD) between two samples with a Gaussian (RBF) kernel
/// k(a, b) = exp(−‖a − b‖² / (2σ²)): the distance between the two distributions' mean embeddings in the
/// kernel's feature space (Gretton et al., 2012). Zero exactly when the distributions are equal (the RBF kernel
/// is characteristic), so it judges a generator by its samples alone, in any dimension.
/// </summary>
/// <remarks>
/// <see cref="Rbf"/> returns the unbiased estimate of MMD², which averages k over pairs of distinct points:
/// <c>MMD²ᵤ = Σ_{i≠j} k(xᵢ, xⱼ) / (m(m−1)) + Σ_{i≠j} k(yᵢ, yⱼ) / (n(n−1)) − 2 Σ_{i,j} k(xᵢ, yⱼ) / (mn)</c>.
/// Its expectation is MMD² itself, so for two samples of one distribution it scatters around 0 and may be
/// slightly negative. The bandwidth σ defaults to the median heuristic (<see cref="MedianBandwidth"/>).
/// Kernel matrices are summed block by block in float64, so large samples need little memory.
/// </remarks>
public static class MaximumMeanDiscrepancy
{
    /// <summary>
    /// The unbiased estimate of MMD² between samples <paramref name="x"/> <c>[m, D]</c> and <paramref name="y"/> <c>[n, D]</c>
    /// (<c>[N]</c> for one-dimensional points; <c>[N, ...]</c>, e.g. images, is flattened).
    /// </summary>
    /// <param name="x">The first sample (m ≥ 2 points).</param>
    /// <param name="y">The second sample (n ≥ 2 points with the same number of features).</param>
    /// <param name="bandwidth">The kernel's σ &gt; 0; null: the median heuristic of the pooled samples.</param>
    /// <exception cref="ArgumentException">A sample has fewer than two points, non-finite values, or another number of features; σ is not positive.</exception>
    public static double Rbf(Tensor x, Tensor y, double? bandwidth = null)
    {
        const string function = "MaximumMeanDiscrepancy.Rbf";
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (a, b) = SampleInputs.Pair(function, x, y, minimum: 2);
        if (bandwidth is { } given && !(given > 0 && double.IsFinite(given)))
            throw new ArgumentOutOfRangeException(nameof(bandwidth), given, $"{function}: the bandwidth σ must be a finite number > 0.");
        var sigma = bandwidth ?? Median(a, b);
        var gamma = 1 / (2 * sigma * sigma);
        return KernelSums.UnbiasedMmdSquared(a, b, (p, q) => KernelSums.SquaredDistances(p, q).mul_(-gamma).exp_());
    }

    /// <summary>
    /// The median heuristic: σ = the median of the Euclidean distances between distinct points of the pooled
    /// samples (for an even number of distances, the mean of the two middle ones). Samples larger than <paramref name="maxPoints"/> in total contribute evenly spaced points (half
    /// from each), so the median is computed over at most <c>maxPoints²/2</c> distances; 1 when every point is the same.
    /// </summary>
    /// <param name="x">The first sample.</param>
    /// <param name="y">The second sample.</param>
    /// <param name="maxPoints">At most this many pooled points (≥ 2).</param>
    public static double MedianBandwidth(Tensor x, Tensor y, int maxPoints = 1000)
    {
        const string function = "MaximumMeanDiscrepancy.MedianBandwidth";
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (a, b) = SampleInputs.Pair(function, x, y);
        return Median(a, b, maxPoints);
    }

    static double Median(Tensor a, Tensor b, int maxPoints = 1000)
    {
        if (maxPoints < 2)
            throw new ArgumentOutOfRangeException(nameof(maxPoints), maxPoints, "MaximumMeanDiscrepancy.MedianBandwidth needs at least 2 points.");
        var total = a.shape[0] + b.shape[0];
        Tensor pooled;
        if (total <= maxPoints)
        {
            pooled = cat([a, b], 0);
        }
        else
        {
            var fromA = Math.Min(a.shape[0], Math.Max(maxPoints / 2, maxPoints - b.shape[0]));
            var fromB = Math.Min(b.shape[0], maxPoints - fromA);
            pooled = cat([Spaced(a, fromA), Spaced(b, fromB)], 0);
        }
        var count = pooled.shape[0];
        var distances = KernelSums.SquaredDistances(pooled, pooled).sqrt_();
        var upper = triu_indices(count, count, offset: 1);
        // torch's median() is the lower of the two middle values for an even count; the heuristic's median is their mean.
        var sorted = distances[upper[0], upper[1]].sort().Values;
        var pairs = sorted.shape[0];
        var median = pairs % 2 == 1
            ? sorted[pairs / 2].item<double>()
            : (sorted[pairs / 2 - 1].item<double>() + sorted[pairs / 2].item<double>()) / 2;
        return median > 0 ? median : 1.0;
    }

    /// <summary><paramref name="count"/> rows spread evenly over <paramref name="points"/>.</summary>
    static Tensor Spaced(Tensor points, long count) =>
        points.index_select(0, linspace(0, points.shape[0] - 1, count, dtype: float64).round().to(int64));
}

/// <summary>Kernel matrices summed block by block: what MMD and KID share.</summary>
static class KernelSums
{
    const int BlockRows = 1024;

    /// <summary>‖aᵢ − bⱼ‖² for every pair, <c>[A, B]</c> (float64; clamped at 0 against rounding).</summary>
    public static Tensor SquaredDistances(Tensor a, Tensor b) =>
        a.square().sum(dim: 1, keepdim: true).add(b.square().sum(dim: 1).unsqueeze(0)).sub_(a.matmul(b.t()).mul_(2)).clamp_min_(0);

    /// <summary>The unbiased estimate of MMD² with <paramref name="kernel"/> (which maps rows <c>[A, D]</c>, <c>[B, D]</c> to <c>[A, B]</c>).</summary>
    public static double UnbiasedMmdSquared(Tensor x, Tensor y, Func<Tensor, Tensor, Tensor> kernel)
    {
        double m = x.shape[0], n = y.shape[0];
        var xx = Sum(x, x, kernel, offDiagonal: true) / (m * (m - 1));
        var yy = Sum(y, y, kernel, offDiagonal: true) / (n * (n - 1));
        var xy = Sum(x, y, kernel, offDiagonal: false) / (m * n);
        return xx + yy - 2 * xy;
    }

    /// <summary>Σᵢⱼ k(aᵢ, bⱼ), leaving out i = j when <paramref name="offDiagonal"/> (a and b the same sample).</summary>
    static double Sum(Tensor a, Tensor b, Func<Tensor, Tensor, Tensor> kernel, bool offDiagonal)
    {
        double sum = 0;
        for (long start = 0; start < a.shape[0]; start += BlockRows)
        {
            using var scope = NewDisposeScope();
            var rows = a.narrow(0, start, Math.Min(BlockRows, a.shape[0] - start));
            var block = kernel(rows, b);
            if (offDiagonal)
                block.diagonal(start).zero_(); // element (r, start + r) is the point against itself
            sum += block.sum().item<double>();
        }
        return sum;
    }
}
