using System.Diagnostics;
using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// The trainer's overhead: time per training step of <see cref="Trainer"/> (default options: history,
/// non-finite guard; progress off) against a hand-written TorchSharp loop doing the same work on the same
/// batches (zero_grad, forward, loss, backward, step, reading the loss), for an MLP on the digits and a
/// small CNN on an MNIST-sized set. And process memory after 5000 trainer steps against after 500.
/// </summary>
static class TrainerBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 5 : 21;
        using (var digits = Digits.Load())
            yield return Compare("trainer-mlp", "MLP 64-128-10 on the digits, batch 32", digits, 32, () =>
                nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)), rounds, quick ? 2 : 5);
        using (var images = new InMemoryDataset(rand(4096, 1, 28, 28), randint(0, 10, [4096], dtype: int64), "mnist-sized"))
            yield return Compare("trainer-cnn", "CNN (conv 1-8-16, MNIST-sized), batch 64", images, 64, () => nn.Sequential(
                nn.Conv2d(1, 8, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3, padding: 1), nn.ReLU(), nn.MaxPool2d(2),
                nn.Flatten(), nn.Linear(16 * 7 * 7, 10)), rounds, 1);
        yield return Memory(quick);
    }

    static BenchmarkResult Compare(string name, string what, InMemoryDataset data, int batch, Func<nn.Module<Tensor, Tensor>> make, int rounds, int epochs)
    {
        var (baseline, candidate, steps) = MicrosecondsPerStep(data, batch, make, rounds, epochs);
        return new BenchmarkResult(name, $"µs per step, {what}", "hand-written TorchSharp loop", baseline, "Trainer", candidate, LowerIsBetter: true,
            $"{epochs} epoch(s) = {steps} steps per measurement (the trainer's includes its set-up, history and end-of-epoch work), alternating, median of {rounds}");
    }

    /// <summary>
    /// Time per training step of the trainer and of a hand-written loop over the same batches (zero_grad,
    /// forward, loss, backward, Adam step, reading the loss), alternating, medians of the rounds.
    /// </summary>
    internal static (double Hand, double Trainer, int Steps) MicrosecondsPerStep(InMemoryDataset data, int batch, Func<nn.Module<Tensor, Tensor>> make, int rounds, int epochs,
        OptimizerRecipe? trainerOptimizer = null)
    {
        torch.manual_seed(0);
        var handModel = make();
        var handOptimizer = optim.Adam(handModel.parameters(), 1e-3);
        using var handBatches = data.Batches(batch, new BatchOptions { Seed = 1 });
        var trainerModel = make();
        var trainer = new Trainer(trainerModel, (o, y) => nn.functional.cross_entropy(o, y), trainerOptimizer ?? Optim.Adam(1e-3).WithTorchSharp(),
            new TrainerOptions { Epochs = epochs, BatchSize = batch, Seed = 1, Progress = false });
        var steps = epochs * handBatches.Count;

        double Hand()
        {
            var clock = Stopwatch.StartNew();
            double lossSum = 0;
            for (var epoch = 0; epoch < epochs; epoch++)
            {
                foreach (var (x, y) in handBatches)
                {
                    using var scope = NewDisposeScope();
                    handOptimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(handModel.call(x), y);
                    loss.backward();
                    handOptimizer.step();
                    lossSum += loss.item<float>();
                }
            }
            return clock.Elapsed.TotalMicroseconds / steps;
        }

        double Trained()
        {
            var clock = Stopwatch.StartNew();
            trainer.Fit(data);
            return clock.Elapsed.TotalMicroseconds / steps;
        }

        Hand();
        Trained();
        var (hand, trained) = SideBySide.Alternate(rounds, Hand, Trained);
        return (hand, trained, steps);
    }

    static BenchmarkResult Memory(bool quick)
    {
        var (early, late) = quick ? (200, 2000) : (500, 5000);
        using var digits = Digits.Load();
        torch.manual_seed(0);
        var model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10));
        double atEarly = 0, atLate = 0;
        var probe = new Probe(step =>
        {
            if (step != early && step != late)
                return;
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            if (step == early)
                atEarly = process.WorkingSet64;
            else
                atLate = process.WorkingSet64;
        });
        var epochs = (int)Math.Ceiling(late / Math.Ceiling(digits.Count / 32.0)) + 1;
        new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
            new TrainerOptions { Epochs = epochs, BatchSize = 32, Seed = 1, Progress = false, Callbacks = [probe] }).Fit(digits);
        return new BenchmarkResult("trainer-memory", "process working set (MB) after N trainer steps, MLP on the digits", $"after {early} steps", atEarly / 1e6,
            $"after {late} steps", atLate / 1e6, LowerIsBetter: true, "after a full GC at each point; history and per-step losses included");
    }

    sealed class Probe(Action<long> atStep) : TrainingCallback
    {
        public override void OnBatchEnd(TrainingContext context) => atStep(context.GlobalStep);
    }
}
