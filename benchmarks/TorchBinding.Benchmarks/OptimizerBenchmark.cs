using System.Diagnostics;
using System.Text.Json;
using TorchBinding.Data;
using TorchBinding.Models;
using TorchBinding.Models.Transformers;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// The flat-buffer optimizers against TorchSharp's per-tensor ones on the CPU: the time of one optimizer step
/// (zero_grad + Adam step, gradients present) for the parameter sets of the course CNN, the course ResNet, the
/// course ViT and ResNet-18; and a whole training step of the course models (ResNet-18's is left to the GPU check), the trainer with the flat Adam against the
/// hand-written loop with TorchSharp's Adam. Also writes runs/bench/optimizers.json.
/// </summary>
static class OptimizerBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 3 : 9;
        var metrics = new SortedDictionary<string, double>(StringComparer.Ordinal);
        var models = new (string Name, string Key, Func<nn.Module<Tensor, Tensor>> Make)[]
        {
            ("course CNN", "course_cnn", () => Cnn.Course()),
            ("course ResNet", "course_resnet", () => ResNet.Course()),
            ("course ViT", "course_vit", () => VisionTransformer.Course()),
            ("ResNet-18", "resnet18", () => ResNet.ResNet18()),
        };
        foreach (var (name, key, make) in models)
        {
            var (perTensor, flat, tensors, values) = StepMicroseconds(make, rounds, quick ? 20 : 50);
            metrics[$"step_speedup_{key}"] = Math.Round(perTensor / flat, 3);
            yield return new BenchmarkResult($"optimizer-{key.Replace('_', '-')}", $"µs per zero_grad + Adam step, {name} ({tensors} tensors, {values:N0} values)",
                "TorchSharp's Adam (per tensor)", perTensor, "FlatAdam", flat, LowerIsBetter: true, $"steps in a row per measurement, alternating, median of {rounds}");
        }

        using var images = new InMemoryDataset(rand(2000, 1, 28, 28), randint(0, 10, [2000], dtype: int64), "mnist-sized");
        foreach (var (name, key, make) in models.Where(m => m.Key != "resnet18"))
        {
            var (hand, trainer, _) = TrainerBenchmark.MicrosecondsPerStep(images, 100, make, rounds, epochs: 1, Optim.Adam(1e-3));
            metrics[$"training_step_ratio_{key}"] = Math.Round(hand / trainer, 3);
            yield return new BenchmarkResult($"training-step-{key.Replace('_', '-')}", $"µs per training step, {name}, batch 100 of 28x28 (CPU)", "hand-written loop, TorchSharp's Adam", hand,
                "Trainer with FlatAdam", trainer, LowerIsBetter: true, $"one epoch of 2000 images per measurement, alternating, median of {rounds}");
        }

        Directory.CreateDirectory(Path.Combine("runs", "bench"));
        File.WriteAllText(Path.Combine("runs", "bench", "optimizers.json"), JsonSerializer.Serialize(metrics, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Microseconds per zero_grad + step of TorchSharp's Adam and of FlatAdam over two copies of a model with gradients.</summary>
    static (double PerTensor, double Flat, int Tensors, long Values) StepMicroseconds(Func<nn.Module<Tensor, Tensor>> make, int rounds, int steps)
    {
        var (a, b) = (make(), make());
        var perTensor = optim.Adam(a.parameters(), 1e-4);
        var flat = new FlatAdam(b.parameters(), 1e-4);
        foreach (var model in new[] { a, b })
        {
            foreach (var p in model.parameters())
            {
                using var noGrad = no_grad();
                using var grad = p.grad;
                if (grad is null)
                    p.grad = randn_like(p) * 1e-3;
                else
                    grad.copy_(randn_like(p) * 1e-3);
            }
        }
        double Time(optim.Optimizer optimizer)
        {
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < steps; i++)
            {
                optimizer.zero_grad();
                optimizer.step();
            }
            return clock.Elapsed.TotalMicroseconds / steps;
        }
        Time(perTensor);
        Time(flat);
        var (baseline, candidate) = SideBySide.Alternate(rounds, () => Time(perTensor), () => Time(flat));
        return (baseline, candidate, a.parameters().Count(), a.parameters().Sum(p => p.numel()));
    }
}
