using System.Globalization;

namespace TorchBinding.Statistics;

/// <summary>The usual description of a sample: size, mean, sample standard deviation, median and range.</summary>
/// <param name="Count">Number of values.</param>
/// <param name="Mean">The arithmetic mean.</param>
/// <param name="StandardDeviation">The sample standard deviation (n − 1 in the denominator; 0 for one value).</param>
/// <param name="Median">The median.</param>
/// <param name="Min">The smallest value.</param>
/// <param name="Max">The largest value.</param>
public readonly record struct SampleSummary(int Count, double Mean, double StandardDeviation, double Median, double Min, double Max)
{
    /// <summary>"98.91 ± 0.05 (n = 3)" with the given number format.</summary>
    public string ToString(string format) => $"{Mean.ToString(format, CultureInfo.InvariantCulture)} ± {StandardDeviation.ToString(format, CultureInfo.InvariantCulture)} (n = {Count})";

    /// <inheritdoc/>
    public override string ToString() => ToString("G4");
}

/// <summary>Descriptive statistics of samples of numbers (runs, seeds): mean, standard deviation, quantiles.</summary>
public static class Descriptive
{
    /// <summary>The mean, sample standard deviation, median, minimum and maximum.</summary>
    /// <exception cref="ArgumentException">No values, or a non-finite value.</exception>
    public static SampleSummary Summarize(IReadOnlyList<double> values)
    {
        Check(values, "Descriptive.Summarize");
        var mean = Mean(values);
        var variance = values.Count > 1 ? values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1) : 0;
        var sorted = values.Order().ToArray();
        return new SampleSummary(values.Count, mean, Math.Sqrt(variance), QuantileOfSorted(sorted, 0.5), sorted[0], sorted[^1]);
    }

    /// <summary>The arithmetic mean.</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            throw new ArgumentException("The mean of no values is undefined.", nameof(values));
        double sum = 0;
        for (var i = 0; i < values.Count; i++)
            sum += values[i];
        return sum / values.Count;
    }

    /// <summary>
    /// The <paramref name="q"/>-quantile with linear interpolation between order statistics (NumPy's default,
    /// R's type 7): position q·(n − 1) in the sorted values.
    /// </summary>
    /// <exception cref="ArgumentException">No values, a non-finite value, or q outside [0, 1].</exception>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        Check(values, "Descriptive.Quantile");
        return QuantileOfSorted(values.Order().ToArray(), q);
    }

    /// <summary>The median (the 0.5-quantile).</summary>
    public static double Median(IReadOnlyList<double> values) => Quantile(values, 0.5);

    internal static double QuantileOfSorted(double[] sorted, double q)
    {
        if (!(q is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(q), q, "A quantile's level must lie in [0, 1].");
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + (position - below) * (sorted[above] - sorted[below]);
    }

    internal static void Check(IReadOnlyList<double> values, string caller)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            throw new ArgumentException($"{caller}: there are no values.", nameof(values));
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{caller}: value {i} is {values[i]}; every value must be finite.", nameof(values));
        }
    }
}
