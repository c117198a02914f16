using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The Fréchet distance between two sets of feature vectors, each summarised by a Gaussian with the sample's
/// mean μ and covariance Σ: <c>d² = ‖μ₁ − μ₂‖² + Tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^½)</c>, the squared Wasserstein-2
/// distance between the two Gaussians. This is the formula of the FID (Heusel et al., 2017); what the
/// features are decides what it measures. On the penultimate features of the Inception network it is the FID
/// of papers; on the features of TorchBinding's MNIST classifier (<c>MnistFeatureExtractor</c> in
/// TorchBinding.Models) it is a "classifier FID" whose numbers do not compare with papers'.
/// </summary>
/// <remarks>
/// Computed in float64: <c>Tr (Σ₁Σ₂)^½</c> is the sum of the square roots of the eigenvalues of the symmetric
/// matrix <c>Σ₁^½ Σ₂ Σ₁^½</c> (which has the eigenvalues of Σ₁Σ₂), with round-off negatives set to 0. Covariances
/// use the unbiased (N − 1) normalisation, as numpy's <c>cov</c> does. The value is the squared distance, as FID
/// is reported. Its estimate is biased upwards for small samples: compare values computed from equal sample sizes.
/// </remarks>
public static class FrechetDistance
{
    /// <summary>The Fréchet distance between feature sets <c>[m, D]</c> and <c>[n, D]</c> (m, n ≥ 2).</summary>
    /// <exception cref="ArgumentException">A set has fewer than two vectors or non-finite values, or the feature counts differ.</exception>
    public static double Of(Tensor featuresX, Tensor featuresY)
    {
        const string function = "FrechetDistance.Of";
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (a, b) = SampleInputs.Pair(function, featuresX, featuresY, minimum: 2);
        var (meanA, covarianceA) = Moments(a);
        var (meanB, covarianceB) = Moments(b);
        return Gaussians(meanA, covarianceA, meanB, covarianceB);
    }

    /// <summary>
    /// The Fréchet (Wasserstein-2²) distance between Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂): means <c>[D]</c>, covariances
    /// <c>[D, D]</c> (symmetric positive semi-definite), e.g. precomputed statistics of a reference set.
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit together.</exception>
    public static double Of(Tensor mean1, Tensor covariance1, Tensor mean2, Tensor covariance2)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        ArgumentNullException.ThrowIfNull(mean1);
        ArgumentNullException.ThrowIfNull(covariance1);
        ArgumentNullException.ThrowIfNull(mean2);
        ArgumentNullException.ThrowIfNull(covariance2);
        var d = mean1.dim() == 1 ? mean1.shape[0] : -1;
        foreach (var (t, name, rank) in new[] { (mean1, nameof(mean1), 1), (mean2, nameof(mean2), 1), (covariance1, nameof(covariance1), 2), (covariance2, nameof(covariance2), 2) })
        {
            if (d < 1 || t.dim() != rank || t.shape.Any(s => s != d))
                throw new ArgumentException($"FrechetDistance.Of: expected means [D] and covariances [D, D] with one D ≥ 1; got mean1 {Shapes.Format(mean1)}, covariance1 {Shapes.Format(covariance1)}, mean2 {Shapes.Format(mean2)}, covariance2 {Shapes.Format(covariance2)}.", name);
        }
        static Tensor F64(Tensor t) => t.detach().to(float64).cpu();
        return Gaussians(F64(mean1), F64(covariance1), F64(mean2), F64(covariance2));
    }

    /// <summary>The sample mean <c>[D]</c> and unbiased covariance <c>[D, D]</c> of vectors <c>[N, D]</c> (float64).</summary>
    internal static (Tensor Mean, Tensor Covariance) Moments(Tensor points)
    {
        var mean = points.mean([0]);
        var centred = points - mean;
        return (mean, centred.t().matmul(centred).div_(points.shape[0] - 1));
    }

    static double Gaussians(Tensor mean1, Tensor covariance1, Tensor mean2, Tensor covariance2)
    {
        var meanTerm = (mean1 - mean2).square().sum().item<double>();
        var (values, vectors) = linalg.eigh(Symmetric(covariance1));
        var root1 = vectors.matmul(diag(values.clamp_min(0).sqrt())).matmul(vectors.t());
        var product = Symmetric(root1.matmul(covariance2).matmul(root1));
        var crossTrace = linalg.eigvalsh(product).clamp_min(0).sqrt().sum().item<double>();
        var traces = covariance1.trace().item<double>() + covariance2.trace().item<double>();
        return Math.Max(0, meanTerm + traces - 2 * crossTrace);
    }

    static Tensor Symmetric(Tensor matrix) => matrix.add(matrix.t()).div_(2);
}
