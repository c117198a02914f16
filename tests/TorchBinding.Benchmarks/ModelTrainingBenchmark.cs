using System.Diagnostics;
using TorchBinding.Data;
using TorchBinding.Models;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Images per second when training the course CNN and the course ResNet on MNIST-sized batches of 100 on the
/// CPU: the <see cref="Trainer"/> against a hand-written TorchSharp loop over the same batches.
/// </summary>
static class ModelTrainingBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 3 : 7;
        using var images = new InMemoryDataset(rand(2000, 1, 28, 28), randint(0, 10, [2000], dtype: int64), "mnist-sized");
        yield return Compare("course-cnn", () => Cnn.Course(), images, rounds);
        yield return Compare("course-resnet", () => ResNet.Course(), images, rounds);
    }

    static BenchmarkResult Compare(string name, Func<nn.Module<Tensor, Tensor>> make, InMemoryDataset data, int rounds)
    {
        torch.manual_seed(0);
        var handModel = make();
        var handOptimizer = optim.Adam(handModel.parameters(), 1e-3);
        using var handBatches = data.Batches(100, new BatchOptions { Seed = 1 });
        var trainerModel = make();
        var trainer = new Trainer(trainerModel, (o, y) => nn.functional.cross_entropy(o, y), optim.Adam(trainerModel.parameters(), 1e-3),
            new TrainerOptions { Epochs = 1, BatchSize = 100, Seed = 1, Progress = false });

        double Hand()
        {
            var clock = Stopwatch.StartNew();
            handModel.train();
            foreach (var (x, y) in handBatches)
            {
                using var scope = NewDisposeScope();
                handOptimizer.zero_grad();
                var loss = nn.functional.cross_entropy(handModel.call(x), y);
                loss.backward();
                handOptimizer.step();
                _ = loss.item<float>();
            }
            return data.Count / clock.Elapsed.TotalSeconds;
        }

        double Trained()
        {
            var clock = Stopwatch.StartNew();
            trainer.Fit(data);
            return data.Count / clock.Elapsed.TotalSeconds;
        }

        Hand();
        Trained();
        var (baseline, candidate) = SideBySide.Alternate(rounds, Hand, Trained);
        return new BenchmarkResult(name, $"training images/s, {name.Replace('-', ' ')} on 28x28 batches of 100 (CPU)", "hand-written TorchSharp loop", baseline,
            "Trainer", candidate, LowerIsBetter: false, $"one epoch of 2000 images per measurement, alternating, median of {rounds}");
    }
}
