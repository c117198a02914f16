using TorchBinding.Data;
using TorchBinding.Models;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Images per second when training the course CNN and the course ResNet on MNIST-sized batches of 100 on the
/// CPU: the trainer against a hand-written TorchSharp loop over the same batches (the trainer benchmark's
/// measurement, in images per second).
/// </summary>
static class ModelTrainingBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 3 : 7;
        using var images = new InMemoryDataset(rand(2000, 1, 28, 28), randint(0, 10, [2000], dtype: int64), "mnist-sized");
        foreach (var (name, make) in new (string, Func<nn.Module<Tensor, Tensor>>)[] { ("course-cnn", () => Cnn.Course()), ("course-resnet", () => ResNet.Course()) })
        {
            var (hand, trainer, _) = TrainerBenchmark.MicrosecondsPerStep(images, 100, make, rounds, epochs: 1);
            yield return new BenchmarkResult(name, $"training images/s, {name.Replace('-', ' ')} on 28x28 batches of 100 (CPU)", "hand-written TorchSharp loop", 100e6 / hand,
                "Trainer", 100e6 / trainer, LowerIsBetter: false, $"one epoch of 2000 images per measurement, alternating, median of {rounds}");
        }
    }
}
