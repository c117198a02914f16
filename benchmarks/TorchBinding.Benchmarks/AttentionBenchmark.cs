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
/// Besides wall-clock throughput it reports images per second of the process's CPU time, which a machine shared
/// with other work disturbs much less (with <c>TORCHBINDING_THREADS=1</c> the two measure the same work).
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

        // Each measurement: (images per wall-clock second, images per CPU second of this process).
        Func<(double Wall, double Cpu)> Trainer(VisionTransformer model)
        {
            var optimizer = optim.Adam(model.parameters(), 3e-3);
            model.train();
            return () =>
            {
                using var process = Process.GetCurrentProcess();
                var cpu = process.TotalProcessorTime;
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
                var wall = clock.Elapsed.TotalSeconds;
                process.Refresh();
                return (steps * 64 / wall, steps * 64 / (process.TotalProcessorTime - cpu).TotalSeconds);
            };
        }

        var (explicitRun, fusedRun) = (Trainer(plain), Trainer(fused));
        explicitRun();
        fusedRun();
        var (explicitWall, explicitCpu, fusedWall, fusedCpu) = (new List<double>(), new List<double>(), new List<double>(), new List<double>());
        SideBySide.Alternate(rounds, () => Record(explicitRun(), explicitWall, explicitCpu), () => Record(fusedRun(), fusedWall, fusedCpu));
        const string measure = "course ViT (213,642 parameters) on 28x28 batches of 64 (CPU)";
        var how = $"same initial weights and batches, {steps} Adam steps per measurement, alternating, median of {rounds}";
        yield return new BenchmarkResult("vit", $"training images/s, {measure}", "explicit attention (tensor operations)", SideBySide.Median(explicitWall),
            "fused scaled_dot_product_attention", SideBySide.Median(fusedWall), LowerIsBetter: false, how);
        yield return new BenchmarkResult("vit-cpu-time", $"training images per CPU second of the process, {measure}", "explicit attention (tensor operations)", SideBySide.Median(explicitCpu),
            "fused scaled_dot_product_attention", SideBySide.Median(fusedCpu), LowerIsBetter: false, how);
    }

    static double Record((double Wall, double Cpu) measured, List<double> wall, List<double> cpu)
    {
        wall.Add(measured.Wall);
        cpu.Add(measured.Cpu);
        return measured.Wall;
    }
}
