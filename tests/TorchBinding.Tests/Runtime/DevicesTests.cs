using TorchBinding.Runtime;
using TorchSharp;

namespace TorchBinding.Tests.Runtime;

public class DevicesTests
{
    [TestCase("auto", DeviceKind.Auto, null)]
    [TestCase("cpu", DeviceKind.Cpu, null)]
    [TestCase(" CPU ", DeviceKind.Cpu, null)]
    [TestCase("cuda", DeviceKind.Cuda, null)]
    [TestCase("cuda:0", DeviceKind.Cuda, 0)]
    [TestCase("cuda:3", DeviceKind.Cuda, 3)]
    public void Accepted_forms_parse(string text, DeviceKind kind, int? index)
    {
        Assert.That(Devices.Parse(text), Is.EqualTo(new DeviceRequest(kind, index)));
    }

    [TestCase("tpu")]
    [TestCase("cuda:")]
    [TestCase("cuda:-1")]
    [TestCase("cuda:x")]
    [TestCase("cuda0")]
    [TestCase("")]
    public void Other_forms_are_refused_with_the_accepted_ones_listed(string text)
    {
        Assert.That(() => Devices.Parse(text), Throws.ArgumentException.With.Message.Contain("auto, cpu, cuda, cuda:N"));
    }

    [Test]
    public void Requests_print_as_they_are_written()
    {
        Assert.That(new[] { "auto", "cpu", "cuda", "cuda:2" }.Select(t => Devices.Parse(t).ToString()), Is.EqualTo(new[] { "auto", "cpu", "cuda", "cuda:2" }));
    }

    [Test]
    public void Cpu_and_auto_resolve_here()
    {
        Assert.Multiple(() =>
        {
            Assert.That(Devices.Resolve("cpu").type, Is.EqualTo(DeviceType.CPU));
            Assert.That(Devices.Resolve("auto").type, Is.EqualTo(torch.cuda.is_available() ? DeviceType.CUDA : DeviceType.CPU));
        });
    }

    [Test]
    public void Cuda_that_the_machine_cannot_give_is_refused_not_replaced_by_the_cpu()
    {
        if (torch.cuda.is_available())
        {
            var count = torch.cuda.device_count();
            Assert.That(() => Devices.Resolve($"cuda:{count}"), Throws.InvalidOperationException.With.Message.Contain($"only {count} CUDA device(s)"));
        }
        else
        {
            Assert.That(() => Devices.Resolve("cuda"), Throws.InvalidOperationException.With.Message.Contain("CUDA is not available").And.Message.Contain("--device cpu"));
        }
    }
}
