using System.Diagnostics;
using TorchBinding.Models.Transformers;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Training images per second of the course ViT (213,642 parameters) on MNIST-sized batches of 64 on the CPU, with
/// attention written from tensor operations against libtorch's fused <c>scaled_dot_product_attention</c>: the two
/// models start from the same weights and train on the same batches, taking turns. The faster one is what
/// <see cref="AttentionImplementation.Auto"/> uses on the CPU (<see cref="ScaledDotProductAttention.Fastest"/>).
/// </summary>
static class AttentionBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var (rounds, steps) = quick ? (3, 10) : (7, 30);
        torch.manual_seed(0);
        using var images = rand(steps * 64, 1, 28, 28) * 2 - 1;
        using var labels = randint(0, 10, [steps * 64], dtype: int64);
        var plain = VisionTransformer.Course(AttentionImplementation.Explicit);
        var fused = VisionTransformer.Course(AttentionImplementation.Fused);
        fused.load_state_dict(plain.state_dict());

        Func<double> Trainer(VisionTransformer model)
        {
            var optimizer = optim.Adam(model.parameters(), 3e-3);
            model.train();
            return () =>
            {
                var clock = Stopwatch.StartNew();
                for (var i = 0; i < steps; i++)
                {
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(images.narrow(0, i * 64, 64)), labels.narrow(0, i * 64, 64));
                    loss.backward();
                    optimizer.step();
                    loss.item<float>();
                }
                return steps * 64 / clock.Elapsed.TotalSeconds;
            };
        }

        var (explicitRun, fusedRun) = (Trainer(plain), Trainer(fused));
        explicitRun();
        fusedRun();
        var (explicitRate, fusedRate) = SideBySide.Alternate(rounds, explicitRun, fusedRun);
        yield return new BenchmarkResult("vit", "training images/s, course ViT (213,642 parameters) on 28x28 batches of 64 (CPU)",
            "explicit attention (tensor operations)", explicitRate, "fused scaled_dot_product_attention", fusedRate, LowerIsBetter: false,
            $"same initial weights and batches, {steps} Adam steps per measurement, alternating, median of {rounds}");
    }
}
