using System.Globalization;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Data.Synthetic;

/// <summary>What every generator shares: its seeded <see cref="Random"/>, balanced class sizes, the data set (Gaussian draws: <see cref="Statistics.NormalDraws"/>).</summary>
static class Generation
{
    /// <summary>The generator's random source: the given seed, or one drawn from <see cref="Seeding.NextSeed"/>.</summary>
    public static Random NewRandom(int? seed) => new(seed ?? Seeding.NextSeed());

    /// <summary><paramref name="n"/> split into <paramref name="classes"/> sizes as evenly as possible (the first classes get the remainder).</summary>
    public static int[] BalancedCounts(int n, int classes) =>
        Enumerable.Range(0, classes).Select(c => n / classes + (c < n % classes ? 1 : 0)).ToArray();

    /// <summary>Class names "0", "1", ... for classes that are just numbered.</summary>
    public static string[] NumberedClasses(int classes) =>
        Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>A classification data set: float32 inputs of <paramref name="inputShape"/>, int64 labels <c>[N]</c>.</summary>
    public static InMemoryDataset Classes(float[] inputs, long[] inputShape, long[] labels, string name, IReadOnlyList<string> classNames)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        return new InMemoryDataset(tensor(inputs, inputShape), tensor(labels, [labels.Length]), name, classNames);
    }

    /// <summary>A data set with float32 inputs <c>[N, D]</c> and float32 targets <c>[N, 1]</c> (regression, ±1 or 0/1 labels).</summary>
    public static InMemoryDataset Values(float[] inputs, int features, float[] targets, string name)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        return new InMemoryDataset(tensor(inputs, [targets.Length, features]), tensor(targets, [targets.Length, 1]), name);
    }
}
