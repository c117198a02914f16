using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

public class AutocastTests
{
    [Test]
    public void Inside_the_scope_convolutions_and_linear_layers_compute_in_bf16_and_the_weights_stay_float32()
    {
        torch.manual_seed(2);
        var model = nn.Sequential(("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("flatten", nn.Flatten()), ("linear", nn.Linear(4 * 8 * 8, 3)));
        using var x = randn(5, 1, 8, 8);
        using var noGrad = no_grad();
        using var reference = model.call(x);
        var weights = model.parameters().Select(p => p.clone()).ToList();
        Tensor inside;
        using (Autocast.Enable(DeviceType.CPU))
        {
            Assert.That(Autocast.IsEnabled(DeviceType.CPU), Is.True);
            inside = model.call(x);
        }
        using (inside)
        {
            Assert.Multiple(() =>
            {
                Assert.That(Autocast.IsAvailable, Is.True, "the bundled libtorch 2.10 exports autocast");
                Assert.That(inside.dtype, Is.EqualTo(ScalarType.BFloat16), "the linear layer's output");
                Assert.That(inside.to(float32).sub(reference).abs().max().item<float>(), Is.GreaterThan(0f).And.LessThan(0.05f), "bf16 rounding, no more");
                Assert.That(model.parameters().Select(p => p.dtype), Is.All.EqualTo(ScalarType.Float32));
                Assert.That(model.parameters().Zip(weights).All(w => w.First.allclose(w.Second, 0, 0)), Is.True, "the weights are untouched");
                Assert.That(Autocast.IsEnabled(DeviceType.CPU), Is.False, "off after the scope");
            });
        }
        using var after = model.call(x);
        Assert.That(after.allclose(reference, 0, 0), Is.True, "float32 again, exactly");
        weights.ForEach(w => w.Dispose());
    }

    [Test]
    public void Nested_scopes_restore_the_state_they_found()
    {
        var outer = Autocast.Enable(DeviceType.CPU);
        var inner = Autocast.Enable(DeviceType.CPU, ScalarType.BFloat16);
        inner.Dispose();
        Assert.That(Autocast.IsEnabled(DeviceType.CPU), Is.True, "the outer scope still holds");
        outer.Dispose();
        outer.Dispose();
        Assert.That(Autocast.IsEnabled(DeviceType.CPU), Is.False);
    }
}
