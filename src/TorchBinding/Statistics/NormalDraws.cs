namespace TorchBinding.Statistics;

/// <summary>Gaussian draws from a seeded <see cref="Random"/>, shared by the synthetic data sets and the sliced Wasserstein distance.</summary>
static class NormalDraws
{
    /// <summary>A standard normal draw (Box-Muller); 1 - U keeps the logarithm's argument in (0, 1].</summary>
    public static double NextNormal(this Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
