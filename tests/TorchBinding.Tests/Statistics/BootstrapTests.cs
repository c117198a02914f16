using TorchBinding.Statistics;

namespace TorchBinding.Tests.Statistics;

public class BootstrapTests
{
    /// <summary>n draws from N(mean, sd²), by Box–Muller from a seeded generator.</summary>
    static double[] Normal(int n, int seed, double mean = 0, double sd = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => mean + sd * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())).ToArray();
    }

    [Test]
    public void The_interval_contains_the_sample_mean_and_narrows_as_one_over_root_n()
    {
        var small = Bootstrap.Mean(Normal(30, seed: 1, mean: 5, sd: 2), seed: 7);
        var large = Bootstrap.Mean(Normal(3000, seed: 2, mean: 5, sd: 2), seed: 7);
        Assert.Multiple(() =>
        {
            Assert.That(small.Contains(small.Estimate), Is.True);
            Assert.That(large.Contains(large.Estimate), Is.True);
            Assert.That(small.Low, Is.LessThan(small.Estimate));
            Assert.That(small.High, Is.GreaterThan(small.Estimate));
            // The normal approximation's width is 2 · 1.96 · sd / √n: 1.43 for n = 30, 0.143 for n = 3000. The
            // bootstrap's width follows it within the sample's own sd error (±25 % at n = 30, a few % at n = 3000).
            Assert.That(small.Width, Is.EqualTo(2 * 1.96 * 2 / Math.Sqrt(30)).Within(25).Percent);
            Assert.That(large.Width, Is.EqualTo(2 * 1.96 * 2 / Math.Sqrt(3000)).Within(8).Percent);
            Assert.That(large.Width, Is.LessThan(small.Width / 5), "ten times the data narrows it by about √100 = 10");
        });
    }

    [Test]
    public void About_95_percent_of_intervals_cover_the_true_mean()
    {
        // 300 samples of 40 from N(0, 1): the percentile bootstrap's coverage at n = 40 is a little under the
        // nominal 95 % (about 93 %); the binomial spread of 300 trials is ±1.5 %, so [88 %, 98 %] is a safe band
        // that still fails a wrong interval (a 68 % interval, or one around the wrong value).
        var covered = Enumerable.Range(0, 300).Count(trial => Bootstrap.Mean(Normal(40, seed: 100 + trial), resamples: 500, seed: trial).Contains(0));
        Assert.That(covered / 300.0, Is.InRange(0.88, 0.98));
    }

    [Test]
    public void The_same_seed_gives_the_same_interval_and_constant_data_a_point()
    {
        var values = Normal(25, seed: 3);
        var (first, again, other) = (Bootstrap.Mean(values, seed: 11), Bootstrap.Mean(values, seed: 11), Bootstrap.Mean(values, seed: 12));
        Assert.Multiple(() =>
        {
            Assert.That(again, Is.EqualTo(first));
            Assert.That(other, Is.Not.EqualTo(first));
            var constant = Bootstrap.Mean([500.0, 500, 500]);
            Assert.That((constant.Estimate, constant.Low, constant.High), Is.EqualTo((500.0, 500.0, 500.0)), "the course's SGD row: 500 [500, 500]");
        });
    }

    [Test]
    public void Any_statistic_can_be_bootstrapped()
    {
        var values = Normal(200, seed: 4, mean: 10);
        var median = Bootstrap.Interval(values, Descriptive.Median, seed: 5);
        Assert.Multiple(() =>
        {
            Assert.That(median.Estimate, Is.EqualTo(Descriptive.Median(values)));
            Assert.That(median.Contains(10), Is.True);
            Assert.That(median.Confidence, Is.EqualTo(0.95));
        });
    }

    [Test]
    public void Descriptive_statistics_of_a_known_sample()
    {
        var summary = Descriptive.Summarize([2.0, 4, 4, 4, 5, 5, 7, 9]);
        Assert.Multiple(() =>
        {
            Assert.That(summary.Mean, Is.EqualTo(5));
            Assert.That(summary.StandardDeviation, Is.EqualTo(Math.Sqrt(32.0 / 7)).Within(1e-12), "n − 1 in the denominator");
            Assert.That(summary.Median, Is.EqualTo(4.5));
            Assert.That((summary.Min, summary.Max, summary.Count), Is.EqualTo((2.0, 9.0, 8)));
            Assert.That(Descriptive.Quantile([1.0, 2, 3, 4], 0.25), Is.EqualTo(1.75), "NumPy's linear interpolation");
            Assert.That(summary.ToString("F1"), Is.EqualTo("5.0 ± 2.1 (n = 8)"));
        });
    }

    [Test]
    public void Values_near_the_largest_double_give_finite_means_spreads_and_medians()
    {
        // Their sums overflow to +∞; the statistics themselves are well within double's range.
        var max = double.MaxValue;
        Assert.Multiple(() =>
        {
            Assert.That(Descriptive.Mean([max, max]), Is.EqualTo(max));
            Assert.That(Descriptive.Mean([max, max, -max]), Is.EqualTo(max / 3).Within(1e-15).Percent);
            Assert.That(Descriptive.Mean([1e308, 1e308, 1e308, 1e308]), Is.EqualTo(1e308).Within(1e-15).Percent);
            Assert.That(Descriptive.Mean([1.0, 2, 4]), Is.EqualTo(7.0 / 3), "ordinary values take the ordinary sum");

            var summary = Descriptive.Summarize([1e308, -1e308]);
            Assert.That(summary.Mean, Is.Zero);
            Assert.That(summary.StandardDeviation, Is.EqualTo(Math.Sqrt(2) * 1e308).Within(1e-14).Percent, "√((2·10^616) / 1)");
            Assert.That(summary.Median, Is.Zero, "the middle of −10^308 and 10^308");
            Assert.That(Descriptive.Quantile([-max, max], 0), Is.EqualTo(-max), "an order statistic itself, not −max + 0·∞ = NaN");
            Assert.That(Descriptive.Quantile([-max, max], 0.75), Is.EqualTo(max / 2).Within(1e-12).Percent);

            var interval = Bootstrap.Mean([max, max * 0.5, max * 0.75, max], seed: 1);
            Assert.That(double.IsFinite(interval.Estimate) && double.IsFinite(interval.Low) && double.IsFinite(interval.High), Is.True, interval.ToString());
            Assert.That(interval.Estimate, Is.EqualTo(max * 0.8125).Within(1e-15).Percent);
            Assert.That(interval.Contains(interval.Estimate), Is.True);
            Assert.That(interval.High, Is.LessThanOrEqualTo(max));
        });
    }

    [Test]
    public void Bad_input_names_the_problem()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => Bootstrap.Mean([]), Throws.ArgumentException.With.Message.Contain("no values"));
            Assert.That(() => Bootstrap.Mean([1.0, double.NaN]), Throws.ArgumentException.With.Message.Contain("value 1 is NaN"));
            Assert.That(() => Bootstrap.Mean([1.0, 2], confidence: 95), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("(0, 1)"));
            Assert.That(() => Bootstrap.Mean([1.0, 2], resamples: 5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("at least 10"));
            Assert.That(() => Descriptive.Quantile([1.0], 1.5), Throws.InstanceOf<ArgumentOutOfRangeException>());
        });
    }
}
