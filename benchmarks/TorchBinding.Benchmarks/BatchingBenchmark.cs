using System.Diagnostics;
using TorchBinding.Data;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Batches per second over an MNIST-sized in-memory set (60000 x 1 x 28 x 28 float32 + int64 labels):
/// TorchBinding's <see cref="BatchLoader"/> (one permutation, then <c>index_select</c> per batch) vs
/// TorchSharp's <c>DataLoader</c> over a <c>TensorDataset</c> of the same tensors (per-sample fetch and
/// collation). Both shuffle; a full epoch per measurement, alternating, median of the rounds.
/// </summary>
static class BatchingBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 2 : 5;
        using var images = rand(60000, 1, 28, 28);
        using var labels = randint(0, 10, [60000], dtype: int64);
        using var ours = new InMemoryDataset(images.alias(), labels.alias(), "mnist-sized");
        using var theirs = utils.data.TensorDataset(images, labels);
        foreach (var batch in new[] { 64, 256 })
        {
            using var loader = ours.Batches(batch, new BatchOptions { Seed = 1 });
            using var dataLoader = utils.data.DataLoader(theirs, batch, shuffle: true, seed: 1, disposeDataset: false);
            double Ours()
            {
                var clock = Stopwatch.StartNew();
                var count = 0;
                foreach (var b in loader)
                    count += b.Inputs.shape[0] > 0 ? 1 : 0;
                return count / clock.Elapsed.TotalSeconds;
            }
            double Theirs()
            {
                var clock = Stopwatch.StartNew();
                var count = 0;
                foreach (var b in dataLoader)
                {
                    using var scope = NewDisposeScope();
                    count += b[0].shape[0] > 0 ? 1 : 0;
                }
                return count / clock.Elapsed.TotalSeconds;
            }
            Ours(); // warm-up both
            Theirs();
            var (baseline, candidate) = SideBySide.Alternate(rounds, Theirs, Ours);
            yield return new BenchmarkResult($"batching-{batch}", $"batches/s, MNIST-sized, batch {batch}", "TorchSharp DataLoader(TensorDataset)", baseline,
                "TorchBinding BatchLoader", candidate, LowerIsBetter: false, $"full shuffled epochs, alternating, median of {rounds} rounds each");
        }
    }
}
