using TorchBinding.Losses;

namespace TorchBinding.Tests.Losses;

/// <summary>
/// The table's losses written again with plain loops over arrays, independently of the tensor code, to check it:
/// per-sample values from the formulas, the batch value as the mean.
/// </summary>
static class LossReference
{
    public static double[] SquashRow(double[] o, Squash squash)
    {
        switch (squash)
        {
            case Squash.Identity:
                return (double[])o.Clone();
            case Squash.Sigmoid:
                return o.Select(v => 1 / (1 + Math.Exp(-v))).ToArray();
            default:
                var max = o.Max();
                var e = o.Select(v => Math.Exp(v - max)).ToArray();
                var total = e.Sum();
                return e.Select(v => v / total).ToArray();
        }
    }

    /// <summary>The per-sample value of a loss by its catalog name, with σ applied as the loss does.</summary>
    public static double PerSample(string name, double[] o, double[] y, Squash squash) =>
        FromProbabilities(name, o, SquashRow(o, squash), y);

    /// <summary>The per-sample value given raw scores <paramref name="o"/> and the squashed <paramref name="p"/> = σ(o).</summary>
    public static double FromProbabilities(string name, double[] o, double[] p, double[] y)
    {
        var k = y.Length;
        double Sum(Func<int, double> term)
        {
            var s = 0.0;
            for (var j = 0; j < k; j++)
                s += term(j);
            return s;
        }
        double HingeTerm(int j) => Math.Max(0, 1 - (2 * y[j] - 1) * p[j]);
        return name switch
        {
            "l1" => Sum(j => Math.Abs(o[j] - y[j])),
            "l2" => Sum(j => (o[j] - y[j]) * (o[j] - y[j])),
            "l2_norm" => Math.Sqrt(Sum(j => (o[j] - y[j]) * (o[j] - y[j]))),
            "expectation" => Sum(j => Math.Abs(p[j] - y[j])),
            "regularised_expectation" => Math.Sqrt(Sum(j => (p[j] - y[j]) * (p[j] - y[j]))),
            "regularised_expectation_squared" => Sum(j => (p[j] - y[j]) * (p[j] - y[j])),
            "chebyshev" => Enumerable.Range(0, k).Max(j => Math.Abs(p[j] - y[j])),
            "hinge" => Sum(HingeTerm),
            "squared_hinge" => Sum(j => Math.Pow(HingeTerm(j), 2)),
            "cubed_hinge" => Sum(j => Math.Pow(HingeTerm(j), 3)),
            "log" => -Sum(j => y[j] == 0 ? 0 : y[j] * Math.Log(p[j])),
            "squared_log" => Sum(j => y[j] == 0 ? 0 : y[j] * Math.Log(p[j]) * Math.Log(p[j])),
            "tanimoto" => Tanimoto(p, y),
            "cauchy_schwarz" => -Math.Log(Sum(j => p[j] * y[j]) / (Math.Sqrt(Sum(j => p[j] * p[j])) * Math.Sqrt(Sum(j => y[j] * y[j])))),
            _ => throw new ArgumentException($"no reference for {name}"),
        };
    }

    static double Tanimoto(double[] p, double[] y)
    {
        double dot = 0, pp = 0, yy = 0;
        for (var j = 0; j < y.Length; j++)
        {
            dot += p[j] * y[j];
            pp += p[j] * p[j];
            yy += y[j] * y[j];
        }
        return 1 - dot / (pp + yy - dot);
    }

    /// <summary>The mean of the per-sample values.</summary>
    public static double Batch(string name, double[][] o, double[][] y, Squash squash) =>
        Enumerable.Range(0, o.Length).Average(i => PerSample(name, o[i], y[i], squash));
}

/// <summary>Seeded random inputs for the loss tests, as arrays and as float64 tensors.</summary>
sealed class RandomLossInputs(int seed)
{
    readonly Random _random = new(seed);

    /// <summary>A seed from a name that is the same in every run (string.GetHashCode is not).</summary>
    public static int Seed(string name) => name.Aggregate(17, (h, c) => unchecked(h * 31 + c)) & 0xffff;

    public double Normal(double scale)
    {
        var u1 = 1 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return scale * Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Scores <c>[n][k]</c>: normal for squashed losses, in (0.05, 1) for identity (probability-like).</summary>
    public double[][] Scores(int n, int k, Squash squash) =>
        Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, k).Select(_ => squash == Squash.Identity ? 0.05 + 0.95 * _random.NextDouble() : Normal(1.5)).ToArray()).ToArray();

    public long[] Labels(int n, int k) => Enumerable.Range(0, n).Select(_ => (long)_random.Next(k)).ToArray();

    public static double[][] OneHot(long[] labels, int k) =>
        labels.Select(l => Enumerable.Range(0, k).Select(j => j == l ? 1.0 : 0.0).ToArray()).ToArray();

    /// <summary>Probability rows (positive, summing to 1).</summary>
    public double[][] Probabilities(int n, int k) =>
        Enumerable.Range(0, n).Select(_ =>
        {
            var row = Enumerable.Range(0, k).Select(_ => 0.1 + _random.NextDouble()).ToArray();
            var total = row.Sum();
            return row.Select(v => v / total).ToArray();
        }).ToArray();

    public static TorchSharp.torch.Tensor Tensor(double[][] rows)
    {
        var array = new double[rows.Length, rows[0].Length];
        for (var i = 0; i < rows.Length; i++)
            for (var j = 0; j < rows[i].Length; j++)
                array[i, j] = rows[i][j];
        return TorchSharp.torch.tensor(array, TorchSharp.torch.float64);
    }
}
