using System.Globalization;

namespace TorchBinding.Statistics;

/// <summary>An estimate with a confidence interval around it.</summary>
/// <param name="Estimate">The statistic of the sample itself (e.g. its mean).</param>
/// <param name="Low">The interval's lower end.</param>
/// <param name="High">The interval's upper end.</param>
/// <param name="Confidence">The confidence level, e.g. 0.95.</param>
public readonly record struct ConfidenceInterval(double Estimate, double Low, double High, double Confidence)
{
    /// <summary>High − Low.</summary>
    public double Width => High - Low;

    /// <summary>Whether <paramref name="value"/> lies in [Low, High].</summary>
    public bool Contains(double value) => value >= Low && value <= High;

    /// <summary>Whether the two intervals share a point.</summary>
    public bool Overlaps(ConfidenceInterval other) => Low <= other.High && other.Low <= High;

    /// <summary>"67.8 [16.9, 134.5]".</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Estimate:G4} [{Low:G4}, {High:G4}]");
}

/// <summary>
/// The percentile bootstrap (Efron): resample the values with replacement many times, compute the statistic of
/// each resample, and take the central <c>confidence</c> share of those statistics as the interval — the course's
/// protocol (1,000 resamples of the 30 runs, 2.5th and 97.5th percentiles). Seeded, so the same values give the
/// same interval.
/// </summary>
/// <example><code>
/// var ci = Bootstrap.Mean(epochsToConverge, confidence: 0.95, resamples: 1000, seed: 42);
/// Console.WriteLine($"{ci.Estimate:F1} [{ci.Low:F1}, {ci.High:F1}]");
/// </code></example>
public static class Bootstrap
{
    /// <summary>The mean with a percentile-bootstrap confidence interval.</summary>
    /// <exception cref="ArgumentException">No values, a non-finite value, or settings out of range.</exception>
    public static ConfidenceInterval Mean(IReadOnlyList<double> values, double confidence = 0.95, int resamples = 1000, int seed = 0) =>
        Interval(values, Descriptive.Mean, confidence, resamples, seed);

    /// <summary>Any statistic (median, a quantile, a fraction) with a percentile-bootstrap confidence interval.</summary>
    /// <param name="values">The sample (e.g. one value per run).</param>
    /// <param name="statistic">The statistic of a sample.</param>
    /// <param name="confidence">The confidence level, in (0, 1).</param>
    /// <param name="resamples">How many resamples (at least 10).</param>
    /// <param name="seed">The seed of the resampling.</param>
    /// <exception cref="ArgumentException">No values, a non-finite value, or settings out of range.</exception>
    public static ConfidenceInterval Interval(IReadOnlyList<double> values, Func<IReadOnlyList<double>, double> statistic,
        double confidence = 0.95, int resamples = 1000, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(statistic);
        Descriptive.Check(values, "Bootstrap");
        if (!(confidence is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "The confidence level must lie in (0, 1), e.g. 0.95.");
        if (resamples < 10)
            throw new ArgumentOutOfRangeException(nameof(resamples), resamples, "The bootstrap needs at least 10 resamples (1,000 is usual).");
        var random = new Random(seed);
        var resample = new double[values.Count];
        var statistics = new double[resamples];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < resample.Length; i++)
                resample[i] = values[random.Next(values.Count)];
            statistics[r] = statistic(resample);
        }
        Array.Sort(statistics);
        var tail = (1 - confidence) / 2;
        return new ConfidenceInterval(statistic(values), Descriptive.QuantileOfSorted(statistics, tail), Descriptive.QuantileOfSorted(statistics, 1 - tail), confidence);
    }
}
