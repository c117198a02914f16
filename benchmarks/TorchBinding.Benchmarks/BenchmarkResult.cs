using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>One benchmark case's outcome: the candidate against its baseline, measured side by side.</summary>
/// <param name="Case">The case name.</param>
/// <param name="Measure">What was measured and its unit, e.g. "µs per training step".</param>
/// <param name="Baseline">What the candidate is compared with.</param>
/// <param name="BaselineValue">The baseline's median.</param>
/// <param name="Candidate">What is being measured.</param>
/// <param name="CandidateValue">The candidate's median.</param>
/// <param name="LowerIsBetter">Whether a smaller value is better (times) or a larger one (throughput).</param>
/// <param name="Note">How it was measured (repeats, sizes).</param>
public sealed record BenchmarkResult(
    string Case, string Measure, string Baseline, double BaselineValue, string Candidate, double CandidateValue, bool LowerIsBetter, string Note)
{
    /// <summary>Candidate / baseline.</summary>
    public double Ratio => CandidateValue / BaselineValue;

    /// <summary>A markdown table row.</summary>
    public string Row() => string.Create(CultureInfo.InvariantCulture,
        $"| {Case} | {Measure} | {Baseline}: {BaselineValue:G4} | {Candidate}: {CandidateValue:G4} | {Ratio:F3} ({(LowerIsBetter ? "lower" : "higher")} is better) | {Note} |");

    /// <summary>The table header.</summary>
    public const string Header = "| case | measure | baseline | candidate | ratio candidate/baseline | how |\n|---|---|---|---|---|---|";
}

/// <summary>Medians and alternation: the two sides of a comparison take turns, so drift hits both.</summary>
public static class SideBySide
{
    /// <summary>The median of some values.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            throw new ArgumentException("No values to take the median of.", nameof(values));
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>
    /// One classification training step (cross-entropy, zero_grad, backward, optimizer step) timed as a process reports it:
    /// <paramref name="warmup"/> steps, then the median over <paramref name="blocks"/> blocks of the mean µs per step.
    /// </summary>
    public static double TrainingStepMicroseconds(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, Tensor x, Tensor y, int warmup, int blocks, int stepsPerBlock)
    {
        void Step()
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        for (var i = 0; i < warmup; i++)
            Step();
        var times = new List<double>();
        for (var b = 0; b < blocks; b++)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (var i = 0; i < stepsPerBlock; i++)
                Step();
            times.Add(clock.Elapsed.TotalMicroseconds / stepsPerBlock);
        }
        return Median(times);
    }

    /// <summary>
    /// Runs several measurements in turn, <paramref name="rounds"/> times each, the order rotated every round (so none always
    /// runs first or after the same one), and returns each one's median.
    /// </summary>
    public static double[] Rotate(int rounds, params Func<double>[] measurements)
    {
        var values = measurements.Select(_ => new List<double>()).ToArray();
        for (var round = 0; round < rounds; round++)
        {
            for (var k = 0; k < measurements.Length; k++)
            {
                var i = (round + k) % measurements.Length;
                values[i].Add(measurements[i]());
            }
        }
        return values.Select(Median).ToArray();
    }

    /// <summary>Runs baseline and candidate alternately <paramref name="rounds"/> times each and returns both medians.</summary>
    public static (double Baseline, double Candidate) Alternate(int rounds, Func<double> baseline, Func<double> candidate)
    {
        var (b, c) = (new List<double>(), new List<double>());
        for (var round = 0; round < rounds; round++)
        {
            // Swap the order every round so neither side always runs first.
            if (round % 2 == 0) { b.Add(baseline()); c.Add(candidate()); }
            else { c.Add(candidate()); b.Add(baseline()); }
        }
        return (Median(b), Median(c));
    }
}

/// <summary>Settings of the whole benchmark run, from the command line.</summary>
static class BenchSettings
{
    /// <summary>The thread count given with <c>--threads N</c>, or null (libtorch's default, or <c>TORCHBINDING_THREADS</c>).</summary>
    public static int? Threads { get; set; }
}
