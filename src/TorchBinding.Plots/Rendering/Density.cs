namespace TorchBinding.Plots.Rendering;

/// <summary>Kernel density estimates and quantiles of 1-D samples.</summary>
internal static class Density
{
    /// <summary>Silverman's rule-of-thumb bandwidth of a Gaussian kernel.</summary>
    public static double SilvermanBandwidth(double[] sorted)
    {
        var n = sorted.Length;
        var mean = sorted.Average();
        var sd = Math.Sqrt(sorted.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, n - 1));
        var iqr = Quantile(sorted, 0.75) - Quantile(sorted, 0.25);
        var spread = Math.Min(sd, iqr / 1.34);
        if (!(spread > 0))
            spread = sd > 0 ? sd : Math.Max(Math.Abs(mean) * 0.1, 1e-3);
        return 0.9 * spread * Math.Pow(n, -0.2);
    }

    /// <summary>The Gaussian KDE of <paramref name="sorted"/> at each point of <paramref name="grid"/>. Samples are
    /// first binned finely (1024 bins), which keeps it fast for large samples at no visible cost.</summary>
    public static double[] Estimate(double[] sorted, double bandwidth, double[] grid)
    {
        const int bins = 1024;
        var (lo, hi) = (sorted[0], sorted[^1]);
        var width = hi > lo ? (hi - lo) / bins : 1;
        var counts = new double[bins];
        foreach (var v in sorted)
            counts[Math.Clamp((int)((v - lo) / width), 0, bins - 1)]++;
        var density = new double[grid.Length];
        var norm = 1 / (sorted.Length * bandwidth * Math.Sqrt(2 * Math.PI));
        for (var g = 0; g < grid.Length; g++)
        {
            double sum = 0;
            for (var b = 0; b < bins; b++)
            {
                if (counts[b] == 0)
                    continue;
                var z = (grid[g] - (lo + (b + 0.5) * width)) / bandwidth;
                if (z is > -6 and < 6)
                    sum += counts[b] * Math.Exp(-0.5 * z * z);
            }
            density[g] = sum * norm;
        }
        return density;
    }

    /// <summary>A quantile by linear interpolation between order statistics.</summary>
    public static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 1)
            return sorted[0];
        var position = q * (sorted.Length - 1);
        var i = (int)Math.Floor(position);
        var f = position - i;
        return i + 1 < sorted.Length ? sorted[i] + f * (sorted[i + 1] - sorted[i]) : sorted[i];
    }

    /// <summary>The finite values, sorted; throws when none are left.</summary>
    public static double[] SortedFinite(double[] values, string name)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
            throw new ArgumentException($"'{name}' has no finite values.", nameof(values));
        return sorted;
    }

    /// <summary><paramref name="n"/> evenly spaced points from <paramref name="lo"/> to <paramref name="hi"/>.</summary>
    public static double[] Linspace(double lo, double hi, int n) =>
        Enumerable.Range(0, n).Select(i => lo + (hi - lo) * i / (n - 1)).ToArray();
}
