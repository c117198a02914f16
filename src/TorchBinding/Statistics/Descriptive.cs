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
        var sorted = values.Order().ToArray();
        return new SampleSummary(values.Count, mean, StandardDeviation(values, mean), QuantileOfSorted(sorted, 0.5), sorted[0], sorted[^1]);
    }

    /// <summary>
    /// The arithmetic mean. Finite values always give a finite mean: when their sum overflows (values near
    /// <see cref="double.MaxValue"/>), they are summed scaled down by a power of two, which is exact, and the mean scaled back.
    /// </summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static double Mean(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
            throw new ArgumentException("The mean of no values is undefined.", nameof(values));
        double sum = 0;
        for (var i = 0; i < values.Count; i++)
            sum += values[i];
        if (double.IsFinite(sum) || !TryScale(values, out var exponent))
            return sum / values.Count; // the usual case, bit for bit as before; or a value is itself ±∞ or NaN
        double scaled = 0;
        for (var i = 0; i < values.Count; i++)
            scaled += Math.ScaleB(values[i], -exponent);
        return Math.ScaleB(scaled / values.Count, exponent);
    }

    /// <summary>The sample standard deviation about <paramref name="mean"/>, scaled like <see cref="Mean"/> when the squares overflow.</summary>
    static double StandardDeviation(IReadOnlyList<double> values, double mean)
    {
        if (values.Count < 2)
            return 0;
        double squares = 0;
        for (var i = 0; i < values.Count; i++)
            squares += (values[i] - mean) * (values[i] - mean);
        if (double.IsFinite(squares) || !TryScale(values, out var exponent))
            return Math.Sqrt(squares / (values.Count - 1));
        var scaledMean = Math.ScaleB(mean, -exponent);
        squares = 0;
        for (var i = 0; i < values.Count; i++)
        {
            var deviation = Math.ScaleB(values[i], -exponent) - scaledMean;
            squares += deviation * deviation;
        }
        return Math.ScaleB(Math.Sqrt(squares / (values.Count - 1)), exponent); // +∞ only where the true value exceeds double's range
    }

    /// <summary>A power of two 2^exponent ≥ every |value| (all finite, not all 0), so that values / 2^exponent lie in [−1, 1].</summary>
    static bool TryScale(IReadOnlyList<double> values, out int exponent)
    {
        double largest = 0;
        for (var i = 0; i < values.Count; i++)
        {
            if (!double.IsFinite(values[i]))
            {
                exponent = 0;
                return false;
            }
            largest = Math.Max(largest, Math.Abs(values[i]));
        }
        exponent = largest > 0 ? Math.ILogB(largest) + 1 : 0;
        return largest > 0;
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
        var (low, high, fraction) = (sorted[below], sorted[above], position - below);
        if (fraction == 0 || low == high)
            return low;
        var gap = high - low;
        // Between values of opposite sign near ±double.MaxValue the gap overflows (and 0 · ∞ is NaN): weigh the two ends instead.
        return double.IsFinite(gap) ? low + fraction * gap : (1 - fraction) * low + fraction * high;
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
