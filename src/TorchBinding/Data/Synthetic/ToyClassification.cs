using TorchBinding.Statistics;

namespace TorchBinding.Data.Synthetic;

/// <summary>
/// Two-dimensional toy classification sets for decision boundaries: the hinge-loss example, moons,
/// circles, blobs and spirals, plus coin flips (a binary target without features). Inputs are float32
/// <c>[N, 2]</c> and targets int64 class indices <c>[N]</c> unless a method says otherwise. Classes are
/// balanced (N split as evenly as possible, the first classes taking the remainder) and the samples are
/// stored class after class: batches shuffle them. Noise is Gaussian, added to each coordinate.
/// The same seed gives the same data; no seed draws one from <see cref="Runtime.Seeding.NextSeed"/>.
/// </summary>
public static class ToyClassification
{
    /// <summary>
    /// The lecture's four points for the hinge loss max(0, 1 - y·f(x)): inputs (-1,0), (0,1), (4,4), (2,3)
    /// with labels y = -1, -1, +1, +1 as float32 <c>[4, 1]</c>: the two points near the origin are the
    /// negative class. Not random.
    /// </summary>
    public static InMemoryDataset HingeLossToy() =>
        Generation.Values([-1, 0, 0, 1, 4, 4, 2, 3], 2, [-1, -1, 1, 1], "hinge toy");

    /// <summary>
    /// Two interleaving half circles (scikit-learn's <c>make_moons</c>): class 0 ("upper") is
    /// (cos t, sin t), class 1 ("lower") is (1 - cos t, 0.5 - sin t), t evenly spaced in [0, π].
    /// </summary>
    /// <param name="n">Number of samples (>= 1).</param>
    /// <param name="noise">Standard deviation of the Gaussian noise on each coordinate (>= 0).</param>
    /// <param name="seed">Seed of the noise.</param>
    public static InMemoryDataset Moons(int n, double noise = 0.1, int? seed = null)
    {
        Check.Positive(n);
        Check.NonNegative(noise);
        return Curves(n, 2, noise, seed, "moons", ["upper", "lower"], (label, t) =>
        {
            var angle = Math.PI * t;
            return label == 0 ? (Math.Cos(angle), Math.Sin(angle)) : (1 - Math.Cos(angle), 0.5 - Math.Sin(angle));
        }, Closed);
    }

    /// <summary>
    /// Two concentric circles (scikit-learn's <c>make_circles</c>): class 0 ("outer") is (cos t, sin t),
    /// class 1 ("inner") is factor·(cos t, sin t), t evenly spaced in [0, 2π).
    /// </summary>
    /// <param name="n">Number of samples (>= 1).</param>
    /// <param name="noise">Standard deviation of the Gaussian noise on each coordinate (>= 0).</param>
    /// <param name="factor">Inner radius / outer radius, in (0, 1).</param>
    /// <param name="seed">Seed of the noise.</param>
    public static InMemoryDataset Circles(int n, double noise = 0.05, double factor = 0.5, int? seed = null)
    {
        Check.Positive(n);
        Check.NonNegative(noise);
        if (!(factor > 0 && factor < 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor (inner radius / outer radius) must lie in (0, 1).");
        return Curves(n, 2, noise, seed, "circles", ["outer", "inner"], (label, t) =>
        {
            var radius = label == 0 ? 1 : factor;
            return (radius * Math.Cos(2 * Math.PI * t), radius * Math.Sin(2 * Math.PI * t));
        }, HalfOpen);
    }

    /// <summary>
    /// Spirals (the CS231n / "two spirals" problem): arm a is r·(cos θ, sin θ) with r = t and
    /// θ = 2π(turns·t + a/arms), t evenly spaced in (0, 1], so the radius grows from the centre outwards.
    /// </summary>
    /// <param name="n">Number of samples (>= 1).</param>
    /// <param name="arms">Number of arms = classes (>= 2).</param>
    /// <param name="noise">Standard deviation of the Gaussian noise on each coordinate (>= 0).</param>
    /// <param name="turns">Revolutions of each arm (> 0).</param>
    /// <param name="seed">Seed of the noise.</param>
    public static InMemoryDataset Spirals(int n, int arms = 2, double noise = 0.05, double turns = 1, int? seed = null)
    {
        Check.Positive(n);
        Check.AtLeast(arms, 2, "a spiral set needs two arms to tell apart");
        Check.NonNegative(noise);
        Check.PositiveFinite(turns);
        // t in (0, 1], not [0, 1]: no arm starts at the origin, where all of them would meet.
        return Curves(n, arms, noise, seed, "spirals", Generation.NumberedClasses(arms), (arm, t) =>
        {
            var theta = 2 * Math.PI * (turns * t + (double)arm / arms);
            return (t * Math.Cos(theta), t * Math.Sin(theta));
        }, OpenStart);
    }

    /// <summary>
    /// Isotropic Gaussian blobs (scikit-learn's <c>make_blobs</c>) around <paramref name="centers"/> centres
    /// drawn uniformly in [-10, 10]²; class c is N(centre c, std²·I).
    /// </summary>
    /// <param name="n">Number of samples (>= 1).</param>
    /// <param name="centers">Number of blobs = classes (>= 1).</param>
    /// <param name="std">Standard deviation of each blob (> 0).</param>
    /// <param name="seed">Seed of the centres and samples.</param>
    public static InMemoryDataset Blobs(int n, int centers = 3, double std = 1, int? seed = null)
    {
        Check.Positive(centers);
        var random = Generation.NewRandom(seed);
        var drawn = Enumerable.Range(0, centers).Select(_ => (X: 20 * random.NextDouble() - 10, Y: 20 * random.NextDouble() - 10)).ToArray();
        return Blobs(n, drawn, std, random.Next());
    }

    /// <summary>Isotropic Gaussian blobs around given centres: class c is N(centers[c], std²·I).</summary>
    /// <param name="n">Number of samples (>= 1).</param>
    /// <param name="centers">The centres (at least one), one class each.</param>
    /// <param name="std">Standard deviation of each blob (> 0).</param>
    /// <param name="seed">Seed of the samples.</param>
    public static InMemoryDataset Blobs(int n, IReadOnlyList<(double X, double Y)> centers, double std = 1, int? seed = null)
    {
        Check.Positive(n);
        ArgumentNullException.ThrowIfNull(centers);
        if (centers.Count == 0)
            throw new ArgumentException("centers must hold at least one centre.", nameof(centers));
        Check.PositiveFinite(std);
        return Curves(n, centers.Count, std, seed, "blobs", Generation.NumberedClasses(centers.Count), (c, _) => centers[c], HalfOpen);
    }

    /// <summary>
    /// n coin flips with P(head) = p: inputs zeros float32 <c>[n, 1]</c> (no features, so a model can only
    /// learn a constant: its estimate of p), targets float32 <c>[n, 1]</c>, 1 = head and 0 = tail, for the
    /// maximum-likelihood / cross-entropy lecture (the mean of the targets is the estimate of p).
    /// </summary>
    /// <param name="n">Number of flips (>= 1).</param>
    /// <param name="p">Probability of a head, in [0, 1].</param>
    /// <param name="seed">Seed of the flips.</param>
    public static InMemoryDataset CoinFlips(int n, double p = 0.5, int? seed = null)
    {
        Check.Positive(n);
        Check.Probability(p);
        var random = Generation.NewRandom(seed);
        var heads = new float[n];
        for (var i = 0; i < n; i++)
            heads[i] = random.NextDouble() < p ? 1 : 0;
        return Generation.Values(new float[n], 1, heads, $"coin flips (p = {p})");
    }

    // Where sample i of m lies along its curve: t evenly spaced in [0, 1], [0, 1) or (0, 1].
    static double Closed(int i, int m) => m > 1 ? (double)i / (m - 1) : 0;
    static double HalfOpen(int i, int m) => (double)i / m;
    static double OpenStart(int i, int m) => (i + 1.0) / m;

    /// <summary>
    /// The common shape of these sets: class c gets its balanced share m of the n samples, sample i of it
    /// lies at point(c, t) with t = spacing(i, m), and Gaussian noise of standard deviation
    /// <paramref name="noise"/> is added to each coordinate (for blobs, the point is the centre and the noise the blob).
    /// </summary>
    static InMemoryDataset Curves(int n, int classes, double noise, int? seed, string name, IReadOnlyList<string> classNames,
        Func<int, double, (double X, double Y)> point, Func<int, int, double> spacing)
    {
        var random = Generation.NewRandom(seed);
        var inputs = new float[2 * n];
        var labels = new long[n];
        var row = 0;
        foreach (var (label, count) in Generation.BalancedCounts(n, classes).Index())
        {
            for (var i = 0; i < count; i++, row++)
            {
                var (x, y) = point(label, spacing(i, count));
                inputs[2 * row] = (float)(x + noise * random.NextNormal());
                inputs[2 * row + 1] = (float)(y + noise * random.NextNormal());
                labels[row] = label;
            }
        }
        return Generation.Classes(inputs, [n, 2], labels, name, classNames);
    }
}
