using TorchBinding.Statistics;

namespace TorchBinding.Data.Synthetic;

/// <summary>
/// 1-D regression targets of the function-approximation lectures, on evenly spaced points (endpoints
/// included): inputs x float32 <c>[N, 1]</c>, targets f(x) float32 <c>[N, 1]</c>. Not random, unless
/// <c>noise</c> adds Gaussian noise of that standard deviation to the targets (seeded).
/// </summary>
public static class FunctionTargets
{
    /// <summary>
    /// The first three terms of the Fourier series of the square wave,
    /// f(x) = (4/π)(sin(πx) + sin(3πx)/3 + sin(5πx)/5), on x in [-1, 1].
    /// </summary>
    /// <param name="points">Number of points (>= 2).</param>
    /// <param name="noise">Standard deviation of the noise on the targets (>= 0; default none).</param>
    /// <param name="seed">Seed of the noise.</param>
    public static InMemoryDataset SquareWaveFourier(int points = 50, double noise = 0, int? seed = null) =>
        Sample("square wave (3 Fourier terms)", points, -1, 1, noise, seed,
            x => 4 / Math.PI * (Math.Sin(Math.PI * x) + Math.Sin(3 * Math.PI * x) / 3 + Math.Sin(5 * Math.PI * x) / 5));

    /// <summary>f(x) = sin(x)·sin(4x) on x in [0, 2π].</summary>
    /// <param name="points">Number of points (>= 2).</param>
    /// <param name="noise">Standard deviation of the noise on the targets (>= 0; default none).</param>
    /// <param name="seed">Seed of the noise.</param>
    public static InMemoryDataset SineProduct(int points = 100, double noise = 0, int? seed = null) =>
        Sample("sin(x)·sin(4x)", points, 0, 2 * Math.PI, noise, seed, x => Math.Sin(x) * Math.Sin(4 * x));

    static InMemoryDataset Sample(string name, int points, double from, double to, double noise, int? seed, Func<double, double> f)
    {
        Check.AtLeast(points, 2, "the first and the last point are the interval's ends");
        Check.NonNegative(noise);
        var random = Generation.NewRandom(seed);
        var inputs = new float[points];
        var targets = new float[points];
        for (var i = 0; i < points; i++)
        {
            var x = from + (to - from) * i / (points - 1);
            inputs[i] = (float)x;
            targets[i] = (float)(f(x) + (noise > 0 ? noise * random.NextNormal() : 0));
        }
        return Generation.Values(inputs, 1, targets, name);
    }
}
