using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>
/// Principal component analysis by the singular value decomposition of the centred data, X − x̄ = U S Vᵀ: the
/// components are the first k rows of Vᵀ, the directions of largest variance. It is the optimal linear
/// autoencoder: a linear encoder and decoder trained on the squared error span the same subspace (Baldi and Hornik,
/// 1989), though not with the same basis; <see cref="PrincipalAngles"/> compares the two subspaces.
/// </summary>
public sealed class Pca : IDisposable
{
    Pca(Tensor mean, Tensor components, Tensor explainedVariance, double totalVariance)
    {
        Mean = mean;
        Components = components;
        ExplainedVariance = explainedVariance;
        TotalVariance = totalVariance;
    }

    /// <summary>The data's mean <c>[D]</c> (float64), subtracted before projecting.</summary>
    public Tensor Mean { get; }

    /// <summary>The principal directions <c>[k, D]</c> (float64), orthonormal rows, by decreasing variance.</summary>
    public Tensor Components { get; }

    /// <summary>The variance of the data along each component <c>[k]</c> (float64; S² / (N − 1)).</summary>
    public Tensor ExplainedVariance { get; }

    /// <summary>The data's total variance (the sum over all directions).</summary>
    public double TotalVariance { get; }

    /// <summary>The fraction of the total variance the k components explain.</summary>
    public double ExplainedFraction
    {
        get
        {
            using var sum = ExplainedVariance.sum();
            return sum.item<double>() / TotalVariance;
        }
    }

    /// <summary>The first <paramref name="components"/> principal components of <paramref name="data"/> <c>[N, ...]</c> (flattened to <c>[N, D]</c>).</summary>
    /// <exception cref="ArgumentException">Fewer than two samples, or a number of components outside 1..min(N, D).</exception>
    public static Pca Fit(Tensor data, int components)
    {
        ArgumentNullException.ThrowIfNull(data);
        TorchRuntime.EnsureInitialized();
        if (data.dim() < 2 || data.shape[0] < 2)
            throw new ArgumentException($"Pca.Fit needs a batch of at least two samples [N, D], got {Shapes.Format(data)}.", nameof(data));
        var n = data.shape[0];
        var d = data.numel() / n;
        if (components < 1 || components > Math.Min(n, d))
            throw new ArgumentException($"Pca.Fit: {components} component(s) requested from {n} samples of {d} values; choose 1..{Math.Min(n, d)}.", nameof(components));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var x = data.detach().to(float64).cpu().reshape(n, d);
        var mean = x.mean([0]);
        var (_, s, vt) = linalg.svd(x - mean, fullMatrices: false);
        var variance = s.square() / (n - 1);
        return new Pca(mean.MoveToOuterDisposeScope(), vt[..components].contiguous().MoveToOuterDisposeScope(),
            variance[..components].contiguous().MoveToOuterDisposeScope(), variance.sum().item<double>());
    }

    /// <summary>The coordinates <c>[N, k]</c> of samples in the components' basis.</summary>
    public Tensor Transform(Tensor data) => (data.to(float64).cpu().reshape(data.shape[0], -1) - Mean).matmul(Components.t());

    /// <summary>Samples <c>[N, D]</c> rebuilt from coordinates <c>[N, k]</c>: the best rank-k reconstruction.</summary>
    public Tensor InverseTransform(Tensor coordinates) => coordinates.to(float64).cpu().matmul(Components) + Mean;

    /// <summary>
    /// The principal angles (in degrees, ascending) between the subspaces spanned by the columns of
    /// <paramref name="basisA"/> <c>[D, a]</c> and of <paramref name="basisB"/> <c>[D, b]</c>: the arccosines of the
    /// singular values of Q_aᵀ Q_b for orthonormal bases Q (QR). All 0 when the subspaces are the same, 90 for
    /// orthogonal ones; min(a, b) angles.
    /// </summary>
    /// <exception cref="ArgumentException">The bases are not matrices with the same number of rows.</exception>
    public static double[] PrincipalAngles(Tensor basisA, Tensor basisB)
    {
        ArgumentNullException.ThrowIfNull(basisA);
        ArgumentNullException.ThrowIfNull(basisB);
        if (basisA.dim() != 2 || basisB.dim() != 2 || basisA.shape[0] != basisB.shape[0])
            throw new ArgumentException($"Pca.PrincipalAngles expects bases [D, a] and [D, b] (one column per direction), got {Shapes.Format(basisA)} and {Shapes.Format(basisB)}.");
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (qa, _) = linalg.qr(basisA.detach().to(float64).cpu());
        var (qb, _) = linalg.qr(basisB.detach().to(float64).cpu());
        var cosines = linalg.svdvals(qa.t().matmul(qb)).clamp(0, 1).data<double>().ToArray();
        return cosines.Select(c => Math.Acos(c) * 180 / Math.PI).Order().ToArray();
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        Mean.Dispose();
        Components.Dispose();
        ExplainedVariance.Dispose();
    }
}
