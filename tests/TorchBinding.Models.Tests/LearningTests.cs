using TorchSharp;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

/// <summary>Each model can fit a small fixed batch: the wiring learns, not only computes.</summary>
public class LearningTests
{
    static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => new Mlp(new MlpOptions { Sizes = [64, 32, 4], BatchNorm = true })), new long[] { 16, 1, 8, 8 }, false).SetArgDisplayNames("Mlp");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => new Cnn(new CnnOptions { Channels = [4, 8], KernelSize = 3, InputSize = (12, 12), Classes = 4 })), new long[] { 16, 1, 12, 12 }, false).SetArgDisplayNames("Cnn");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => ResNet.Cifar(8, residual: true, inChannels: 1, classes: 4)), new long[] { 16, 1, 12, 12 }, false).SetArgDisplayNames("ResNet");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => ResNet.Cifar(8, residual: false, inChannels: 1, classes: 4)), new long[] { 16, 1, 12, 12 }, false).SetArgDisplayNames("PlainNet");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => new UNet(new UNetOptions { BaseWidth = 4, Depth = 2, Classes = 4 })), new long[] { 4, 1, 12, 12 }, true).SetArgDisplayNames("UNet");
    }

    [TestCaseSource(nameof(Models))]
    public void A_fixed_batch_is_fitted(Func<nn.Module<Tensor, Tensor>> create, long[] shape, bool perPixel)
    {
        manual_seed(11);
        var model = create();
        var x = randn(shape);
        var y = perPixel ? randint(4, [shape[0], shape[2], shape[3]]) : randint(4, [shape[0]]);
        var optimizer = optim.Adam(model.parameters(), lr: 0.01);
        model.train();
        float Loss() => nn.functional.cross_entropy(model.call(x), y).item<float>();
        var first = Loss();
        for (var step = 0; step < 40; step++)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
        Assert.That(Loss(), Is.LessThan(0.5 * first), $"from {first}");
    }
}
