using TorchBinding.Data;
using TorchBinding.Models;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Whether channels-last feature maps pay on this CPU: one epoch of the trainer on each convolutional course model with
/// <see cref="ActivationLayout.ChannelsFirst"/> against the default <see cref="ActivationLayout.Auto"/> (channels-last on
/// the CPU), in float32 and under bf16 autocast, alternating, fresh models from the same seed each time.
/// </summary>
static class LayoutBenchmark
{
    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 2 : 4;
        var models = new (string Name, Func<ActivationLayout, nn.Module<Tensor, Tensor>> Build, int Size, int Count, int Batch, bool Segmentation)[]
        {
            ("small-cnn", l => new Cnn(CnnOptions.Small with { Layout = l }), 28, 2000, 100, false),
            ("course-cnn", l => new Cnn(CnnOptions.Course with { Layout = l }), 28, 2000, 100, false),
            ("course-resnet", l => new ResNet(ResNetOptions.Course with { Layout = l }), 28, 2000, 100, false),
            ("unet", l => new UNet(new UNetOptions { Layout = l }), 64, 256, 32, true),
            ("unet-groupnorm", l => new UNet(new UNetOptions { Layout = l, Normalization = UNetNormalization.GroupNorm }), 64, 256, 32, true),
        };
        foreach (var (name, build, size, count, batch, segmentation) in models)
        {
            foreach (var precision in new[] { Precision.Default, Precision.Bf16Autocast })
            {
                if (precision == Precision.Bf16Autocast && !Bf16Support.IsNative(CPU))
                    continue;
                torch.manual_seed(1);
                using var data = new InMemoryDataset(rand(count, 1, size, size),
                    segmentation ? randint(0, 2, [count, size, size], dtype: int64) : randint(0, 10, [count], dtype: int64), "random images");
                double Epoch(ActivationLayout layout)
                {
                    torch.manual_seed(2);
                    var model = build(layout);
                    var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-3),
                        new TrainerOptions { Epochs = 1, BatchSize = batch, Progress = false, Precision = precision });
                    var clock = System.Diagnostics.Stopwatch.StartNew();
                    trainer.Fit(data);
                    return clock.Elapsed.TotalSeconds * 1000 / (count / batch);
                }
                Epoch(ActivationLayout.ChannelsFirst);
                Epoch(ActivationLayout.Auto);
                var first = new List<double>();
                var auto = new List<double>();
                for (var r = 0; r < rounds; r++)
                {
                    first.Add(Epoch(ActivationLayout.ChannelsFirst));
                    auto.Add(Epoch(ActivationLayout.Auto));
                }
                var dtype = precision == Precision.Default ? "float32" : "bf16 autocast";
                yield return new BenchmarkResult($"layout-{name}-{(precision == Precision.Default ? "fp32" : "bf16")}", $"ms per training step, {dtype}, batch {batch} of {size}x{size}",
                    "channels-first", SideBySide.Median(first), "Auto (channels-last on the CPU)", SideBySide.Median(auto), LowerIsBetter: true,
                    $"one epoch of {count} images through the trainer per measurement, alternating, median of {rounds}");
            }
        }
    }
}
