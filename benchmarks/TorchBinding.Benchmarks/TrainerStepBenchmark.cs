using System.Diagnostics;
using TorchBinding.Data;
using TorchBinding.Models;
using TorchBinding.Models.Transformers;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Where the trainer's step differs from a hand-written loop, for the course CNN, ResNet and ViT (batch 100 of 28x28, one
/// epoch of 2000 random images per measurement): four ways to train, taking turns, the order rotated every round —
/// the hand loop with TorchSharp's Adam, the hand loop with FlatAdam, the trainer with FlatAdam (its default) and the trainer
/// with TorchSharp's Adam. The first against the second is the optimizer's share; the second against the third the loop's.
/// </summary>
static class TrainerStepBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 4 : 12;
        using var images = new InMemoryDataset(rand(2000, 1, 28, 28), randint(0, 10, [2000], dtype: int64), "mnist-sized");
        var models = new (string Key, Func<nn.Module<Tensor, Tensor>> Make)[]
        {
            ("course-cnn", () => Cnn.Course()),
            ("course-resnet", () => ResNet.Course()),
            ("course-vit", () => VisionTransformer.Course()),
        };
        foreach (var (key, make) in models)
        {
            var ways = new (string Name, Func<double> Measure)[]
            {
                ("hand, TorchSharp's Adam", HandLoop(make, images, flat: false)),
                ("hand, FlatAdam", HandLoop(make, images, flat: true)),
                ("Trainer, FlatAdam", TrainerLoop(make, images, Optim.Adam(1e-3))),
                ("Trainer, TorchSharp's Adam", TrainerLoop(make, images, Optim.Adam(1e-3).WithTorchSharp())),
            };
            foreach (var way in ways)
                way.Measure();
            var medians = SideBySide.Rotate(rounds, ways.Select(w => w.Measure).ToArray());
            Console.Error.WriteLine($"bench: {key} µs per step: {string.Join(", ", ways.Select((w, i) => $"{w.Name} {medians[i]:F0}"))}");
            for (var i = 1; i < ways.Length; i++)
            {
                yield return new BenchmarkResult($"trainer-step-{key}-{i}", $"µs per training step, {key}, batch 100 (CPU)", ways[0].Name, medians[0], ways[i].Name, medians[i],
                    LowerIsBetter: true, $"one epoch of 2000 images per measurement, four ways rotating, median of {rounds}");
            }
        }
    }

    static Func<double> HandLoop(Func<nn.Module<Tensor, Tensor>> make, InMemoryDataset data, bool flat)
    {
        torch.manual_seed(0);
        var model = make();
        model.train();
        optim.Optimizer optimizer = flat ? new FlatAdam(model.parameters(), 1e-3) : optim.Adam(model.parameters(), 1e-3);
        var batches = data.Batches(100, new BatchOptions { Seed = 1 });
        return () =>
        {
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            foreach (var (x, y) in batches)
            {
                using var scope = NewDisposeScope();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                lossSum += loss.item<float>();
            }
            return clock.Elapsed.TotalMicroseconds / batches.Count;
        };
    }

    static Func<double> TrainerLoop(Func<nn.Module<Tensor, Tensor>> make, InMemoryDataset data, OptimizerRecipe recipe)
    {
        torch.manual_seed(0);
        var trainer = new Trainer(make(), (o, y) => nn.functional.cross_entropy(o, y), recipe,
            new TrainerOptions { Epochs = 1, BatchSize = 100, Seed = 1, Progress = false });
        return () =>
        {
            var clock = Stopwatch.StartNew();
            trainer.Fit(data);
            return clock.Elapsed.TotalMicroseconds / 20;
        };
    }
}
