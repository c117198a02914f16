namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Beta(a, b) draws from a .NET <see cref="Random"/>, as X / (X + Y) with X ~ Gamma(a), Y ~ Gamma(b)
/// (Marsaglia and Tsang 2000). The gammas are kept as logarithms, so that the small shape parameters of
/// mixup (α = 0.1 .. 0.4, where draws pile up near 0 and 1) neither underflow nor divide 0 by 0.
/// </summary>
static class BetaDistribution
{
    public static double Sample(Random random, double a, double b)
    {
        var (logX, logY) = (LogGamma(random, a), LogGamma(random, b));
        return 1 / (1 + Math.Exp(logY - logX));
    }

    /// <summary>The logarithm of a Gamma(<paramref name="shape"/>, 1) draw.</summary>
    static double LogGamma(Random random, double shape)
    {
        // Shape below 1: Gamma(a) = Gamma(a + 1) · U^(1/a).
        if (shape < 1)
            return LogGamma(random, shape + 1) + Math.Log(Open01(random)) / shape;
        var d = shape - 1.0 / 3;
        var c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(random);
                v = 1 + c * x;
            }
            while (v <= 0);
            v = v * v * v;
            if (Math.Log(Open01(random)) < 0.5 * x * x + d - d * v + d * Math.Log(v))
                return Math.Log(d * v);
        }
    }

    static double StandardNormal(Random random) =>
        Math.Sqrt(-2 * Math.Log(Open01(random))) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>A uniform draw from (0, 1], safe to take the logarithm of.</summary>
    static double Open01(Random random) => 1 - random.NextDouble();
}
