using TorchSharp;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

public class DeviceTests
{
    static IEnumerable<TestCaseData> Models()
    {
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => new Mlp(784, 64, 10)), new long[] { 4, 1, 28, 28 }).SetArgDisplayNames("Mlp");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => Cnn.Small()), new long[] { 4, 1, 28, 28 }).SetArgDisplayNames("Cnn");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => new ResNet()), new long[] { 4, 1, 28, 28 }).SetArgDisplayNames("ResNet");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => ResNet.Cifar(8, inChannels: 1, shortcut: Shortcut.ZeroPadding)), new long[] { 4, 1, 28, 28 }).SetArgDisplayNames("ResNetOptionA");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => new UNet(new UNetOptions { Upsampling = UNetUpsampling.Bilinear })), new long[] { 2, 1, 32, 32 }).SetArgDisplayNames("UNet");
        yield return new TestCaseData((Func<nn.Module<Tensor, Tensor>>)(() => TorchBinding.Models.Transformers.VisionTransformer.Course()), new long[] { 4, 1, 28, 28 }).SetArgDisplayNames("VisionTransformer");
    }

    [TestCaseSource(nameof(Models))]
    public void A_model_moved_to_cuda_keeps_working(Func<nn.Module<Tensor, Tensor>> create, long[] shape)
    {
        if (!cuda.is_available())
            Assert.Ignore("CUDA is not available here (libtorch comes from the CPU package); this test runs on a CUDA machine.");
        manual_seed(3);
        var model = create();
        model.eval();
        var x = randn(shape);
        using var expected = model.call(x);
        model.to(CUDA);
        using var onCuda = model.call(x.cuda());
        Assert.That(onCuda.device_type, Is.EqualTo(DeviceType.CUDA));
        TensorAssert.AreClose(onCuda.cpu(), expected, rtol: 1e-3, atol: 1e-3, what: "CUDA computes what the CPU computed");
        Assert.That(() => model.call(x), Throws.ArgumentException.With.Message.Contain("but the input is on cpu").And.Message.Contain("input.to(device)"));
        model.train();
        var target = model is UNet ? randint(2, [shape[0], shape[2], shape[3]]) : randint(2, [shape[0]]);
        GradientsReachEveryParameter(model, randn(shape).cuda(), target.cuda());
        model.to(CPU);
        model.eval();
        TensorAssert.AreClose(model.call(x), expected, rtol: 1e-3, atol: 1e-3, what: "and back on the CPU");
    }

    [Test]
    public void Input_on_another_device_than_the_model_is_named_before_libtorch_sees_it()
    {
        // The meta device holds shapes without data: enough to put the model "elsewhere" on a machine without CUDA.
        var model = new Cnn();
        model.to(new Device(DeviceType.META));
        Assert.That(() => model.call(Images(2, 1, 28, 28)), Throws.ArgumentException.With.Message.StartWith("cnn is on meta but the input is on cpu: input [2, 1, 28, 28]"));
    }
}
