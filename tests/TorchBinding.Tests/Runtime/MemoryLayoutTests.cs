using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

public class MemoryLayoutTests
{
    [SetUp]
    public void Start() => TorchRuntime.EnsureInitialized();

    [TestCase(1)]
    [TestCase(3)]
    public void Channels_last_keeps_shape_and_values_and_puts_each_pixels_channels_side_by_side(int channels)
    {
        using var scope = NewDisposeScope();
        var images = rand(2, channels, 5, 4);
        var last = images.ToChannelsLast();
        Assert.Multiple(() =>
        {
            Assert.That(last.shape, Is.EqualTo(images.shape));
            Assert.That(last.equal(images).all().item<bool>(), Is.True);
            Assert.That(last.stride(), Is.EqualTo(new long[] { 5 * 4 * channels, 1, 4 * channels, channels }));
            Assert.That(last.IsChannelsLast(), Is.True);
            Assert.That(images.IsChannelsLast(), Is.False, "a contiguous NCHW tensor, one channel included");
        });
    }

    [Test]
    public void A_slice_of_a_batch_converts_its_own_images()
    {
        using var scope = NewDisposeScope();
        var images = rand(6, 1, 3, 3);
        var slice = images[2..4];
        Assert.That(slice.ToChannelsLast().equal(slice).all().item<bool>(), Is.True);
    }

    [Test]
    public void Convolutions_of_a_channels_last_input_compute_in_that_layout_and_agree_with_channels_first()
    {
        using var scope = NewDisposeScope();
        var images = randn(4, 1, 12, 12);
        var weight = randn(8, 1, 3, 3);
        var first = nn.functional.conv2d(images, weight, padding: [1, 1]);
        var last = nn.functional.conv2d(images.ToChannelsLast(), weight, padding: [1, 1]);
        Assert.Multiple(() =>
        {
            Assert.That(first.IsChannelsLast(), Is.False);
            Assert.That(last.IsChannelsLast(), Is.True, "libtorch took the channels-last path");
            Assert.That(last.allclose(first, rtol: 1e-5, atol: 1e-5), Is.True);
        });
    }

    [Test]
    public void Arrange_converts_only_where_the_layout_asks_for_it()
    {
        using var scope = NewDisposeScope();
        var images = rand(2, 3, 4, 4);
        Assert.Multiple(() =>
        {
            Assert.That(MemoryLayout.Arrange(images, ActivationLayout.ChannelsFirst), Is.SameAs(images));
            Assert.That(MemoryLayout.Arrange(images, ActivationLayout.Auto).IsChannelsLast(), Is.True, "Auto on the CPU");
            Assert.That(MemoryLayout.Arrange(images, ActivationLayout.ChannelsLast).IsChannelsLast(), Is.True);
            Assert.That(ActivationLayout.Auto.UsesChannelsLast(DeviceType.CUDA), Is.False, "Auto leaves other devices' inputs as they are");
            var already = images.ToChannelsLast();
            Assert.That(MemoryLayout.Arrange(already, ActivationLayout.Auto), Is.SameAs(already));
        });
    }

    [Test]
    public void Anything_but_images_is_refused_with_its_shape()
    {
        using var scope = NewDisposeScope();
        var ex = Assert.Throws<ArgumentException>(() => rand(2, 3, 4).ToChannelsLast());
        Assert.That(ex!.Message, Does.Contain("[N, C, H, W]").And.Contain("[2, 3, 4]"));
        Assert.That(rand(2, 3, 4).IsChannelsLast(), Is.False);
    }
}
