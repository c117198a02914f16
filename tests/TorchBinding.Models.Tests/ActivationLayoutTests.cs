using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

/// <summary>The convolutional models lay out feature maps channels-last on the CPU by default, with the same results.</summary>
public class ActivationLayoutTests
{
    static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData(new Func<ActivationLayout, nn.Module<Tensor, Tensor>>(l => new Cnn(CnnOptions.Small with { Layout = l })), "conv2", 28, true).SetName("small CNN");
        yield return new TestCaseData(new Func<ActivationLayout, nn.Module<Tensor, Tensor>>(l => new ResNet(ResNetOptions.Course with { Layout = l })), "layer2.0.conv1", 28, true).SetName("course ResNet");
        yield return new TestCaseData(new Func<ActivationLayout, nn.Module<Tensor, Tensor>>(l => new UNet(new UNetOptions { Layout = l })), "dec1.conv1", 16, true).SetName("U-Net");
        yield return new TestCaseData(new Func<ActivationLayout, nn.Module<Tensor, Tensor>>(l => new UNet(new UNetOptions { Layout = l, Normalization = UNetNormalization.GroupNorm })), "dec1.conv1", 16, false)
            .SetName("U-Net with group norm (slower channels-last, so Auto keeps channels-first)");
    }

    [TestCaseSource(nameof(Models))]
    public void Auto_computes_channels_last_on_the_cpu_with_the_same_outputs_and_gradients(Func<ActivationLayout, nn.Module<Tensor, Tensor>> build, string layer, int size, bool autoIsChannelsLast)
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var first = build(ActivationLayout.ChannelsFirst);
        var auto = build(ActivationLayout.Auto);
        auto.load_state_dict(first.state_dict());
        var images = rand(4, 1, size, size);
        bool? seenChannelsLast = null;
        var layerModule = (nn.Module<Tensor, Tensor>)auto.named_modules().Single(m => m.name == layer).module;
        var hook = layerModule.register_forward_hook((_, input, output) => { seenChannelsLast = input.IsChannelsLast(); return output; });

        var outputs = new List<Tensor>();
        foreach (var model in new[] { first, auto })
        {
            model.train();
            manual_seed(5);                     // the same dropout masks
            var output = model.call(images);
            output.square().mean().backward();
            outputs.Add(output);
        }
        hook.remove();
        Assert.Multiple(() =>
        {
            Assert.That(seenChannelsLast, Is.EqualTo(autoIsChannelsLast), $"{layer}'s input layout under Auto");
            Assert.That(outputs[1].allclose(outputs[0], rtol: 1e-4, atol: 1e-5), Is.True, "outputs");
            foreach (var ((name, a), (_, b)) in first.named_parameters().Zip(auto.named_parameters()))
                Assert.That(b.grad!.allclose(a.grad!, rtol: 1e-3, atol: 1e-5), Is.True, $"gradient of {name}");
        });
    }
}
