using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>The result of a two-sample Kolmogorov–Smirnov test.</summary>
/// <param name="Statistic">D = sup_t |F(t) − G(t)|, the largest gap between the two empirical CDFs, in [0, 1].</param>
/// <param name="PValue">The asymptotic two-sided p-value of D: the probability of a gap at least this large if both samples came from one continuous distribution.</param>
public sealed record KolmogorovSmirnovResult(double Statistic, double PValue);

/// <summary>
/// The two-sample Kolmogorov–Smirnov test for one-dimensional samples: the statistic
/// <c>D = sup_t |F(t) − G(t)|</c> (exact, by sorting; ties allowed) and its p-value from the Kolmogorov
/// distribution <c>Q(λ) = 2 Σ_{j≥1} (−1)^{j−1} e^{−2j²λ²}</c> at <c>λ = (√nₑ + 0.12 + 0.11/√nₑ)·D</c> with
/// <c>nₑ = mn/(m + n)</c> (Stephens' small-sample correction, as in Numerical Recipes). The p-value is
/// approximate for small samples (it is accurate for nₑ ≥ 4) and assumes continuous distributions.
/// </summary>
public static class KolmogorovSmirnov
{
    /// <summary>Tests whether one-dimensional samples <c>[m]</c> and <c>[n]</c> (or <c>[N, 1]</c>) come from one distribution.</summary>
    /// <exception cref="ArgumentException">A sample is empty, not one-dimensional, or holds non-finite values.</exception>
    public static KolmogorovSmirnovResult TwoSample(Tensor x, Tensor y)
    {
        const string function = "KolmogorovSmirnov.TwoSample";
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return OfSorted(SampleInputs.SortedValues(function, x, nameof(x)), SampleInputs.SortedValues(function, y, nameof(y)));
    }

    /// <summary>Tests whether two one-dimensional samples given as numbers come from one distribution.</summary>
    /// <exception cref="ArgumentException">A sample is empty or holds non-finite values.</exception>
    public static KolmogorovSmirnovResult TwoSample(double[] x, double[] y)
    {
        const string function = "KolmogorovSmirnov.TwoSample";
        return OfSorted(SampleInputs.SortedValues(function, x, nameof(x)), SampleInputs.SortedValues(function, y, nameof(y)));
    }

    /// <summary>The Kolmogorov distribution's survival function Q(λ) = P(K &gt; λ), K = sup |Brownian bridge|.</summary>
    public static double KolmogorovSurvival(double lambda)
    {
        if (double.IsNaN(lambda))
            return double.NaN;
        if (lambda < 0.2)
            return 1.0; // the series converges slowly here and Q is 1 to double precision (1 − Q(0.2) ≈ 5e−13)
        double sum = 0, sign = 1;
        for (var j = 1; j <= 100; j++)
        {
            var term = sign * Math.Exp(-2.0 * j * j * lambda * lambda);
            sum += term;
            if (Math.Abs(term) < 1e-17)
                break;
            sign = -sign;
        }
        return Math.Clamp(2 * sum, 0, 1);
    }

    static KolmogorovSmirnovResult OfSorted(double[] x, double[] y)
    {
        int i = 0, j = 0;
        double m = x.Length, n = y.Length, d = 0;
        while (i < x.Length || j < y.Length)
        {
            // Step both CDFs past the next value (ties on either side together), then compare.
            var next = j >= y.Length || (i < x.Length && x[i] <= y[j]) ? x[i] : y[j];
            while (i < x.Length && x[i] == next)
                i++;
            while (j < y.Length && y[j] == next)
                j++;
            d = Math.Max(d, Math.Abs(i / m - j / n));
        }
        var effective = Math.Sqrt(m * n / (m + n));
        return new KolmogorovSmirnovResult(d, KolmogorovSurvival((effective + 0.12 + 0.11 / effective) * d));
    }
}
