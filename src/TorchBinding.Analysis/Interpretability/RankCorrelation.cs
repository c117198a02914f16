namespace TorchBinding.Analysis.Interpretability;

/// <summary>Rank correlation, the similarity measure of saliency sanity checks (maps compared by their ordering, not their scale).</summary>
public static class RankCorrelation
{
    /// <summary>
    /// Spearman's ρ: the Pearson correlation of the two sequences' ranks, ties given their mean rank. 1: the same order,
    /// −1: reversed, about 0: unrelated. A constant sequence has no order: the result is NaN.
    /// </summary>
    /// <exception cref="ArgumentException">The sequences differ in length or have fewer than two values.</exception>
    public static double Spearman(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count)
            throw new ArgumentException($"Spearman: the sequences have {a.Count} and {b.Count} values; they must be paired.", nameof(b));
        if (a.Count < 2)
            throw new ArgumentException($"Spearman needs at least two pairs, got {a.Count}.", nameof(a));
        return Pearson(Ranks(a), Ranks(b));
    }

    /// <summary>Ranks 1..n, ties sharing their mean rank.</summary>
    public static double[] Ranks(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var order = Enumerable.Range(0, values.Count).OrderBy(i => values[i]).ToArray();
        var ranks = new double[values.Count];
        for (var start = 0; start < order.Length;)
        {
            var end = start;
            while (end + 1 < order.Length && values[order[end + 1]].Equals(values[order[start]]))
                end++;
            var mean = (start + end) / 2.0 + 1;
            for (var i = start; i <= end; i++)
                ranks[order[i]] = mean;
            start = end + 1;
        }
        return ranks;
    }

    static double Pearson(double[] x, double[] y)
    {
        var (mx, my) = (x.Average(), y.Average());
        double sxy = 0, sxx = 0, syy = 0;
        for (var i = 0; i < x.Length; i++)
        {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }
}
