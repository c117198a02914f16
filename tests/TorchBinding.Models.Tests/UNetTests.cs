using TorchBinding.Data.Synthetic;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

public class UNetTests
{
    [SetUp]
    public void Seed() => manual_seed(7);

    [Test]
    public void The_default_unet_has_three_levels_skip_connections_and_its_counted_parameters()
    {
        var model = new UNet(inChannels: 1, classes: 4);
        Assert.That(Children(model), Is.EqualTo(new[]
        {
            "enc1:DoubleConv", "enc2:DoubleConv", "enc3:DoubleConv", "pool:MaxPool2d", "bottleneck:DoubleConv",
            "up3:ConvTranspose2d", "dec3:DoubleConv", "up2:ConvTranspose2d", "dec2:DoubleConv", "up1:ConvTranspose2d", "dec1:DoubleConv", "head:Conv2d",
        }));
        // A DoubleConv in→out is 3x3 in·out + BN 2·out + 3x3 out·out + BN 2·out (no conv bias before batch norm).
        static long DoubleConv(long i, long o) => 9 * i * o + 2 * o + 9 * o * o + 2 * o;
        // An up-convolution is a 2x2 transposed conv in→out with bias: 4·in·out + out.
        static long Up(long i, long o) => 4 * i * o + o;
        long expected =
            DoubleConv(1, 16) + DoubleConv(16, 32) + DoubleConv(32, 64)        //  2,512 + 13,952 + 55,552 (encoder)
            + DoubleConv(64, 128)                                              // 221,696 (bottleneck)
            + Up(128, 64) + DoubleConv(128, 64)                                //  32,832 + 110,848 (dec3 sees 64 + 64 channels)
            + Up(64, 32) + DoubleConv(64, 32)                                  //   8,224 + 27,776
            + Up(32, 16) + DoubleConv(32, 16)                                  //   2,064 + 6,976
            + (16 * 4 + 4);                                                    //      68 (1x1 head)
        Assert.That(model.ParameterCount(), Is.EqualTo(expected).And.EqualTo(482_500));
        Assert.That(model.call(Images(2, 1, 64, 64)).shape, Is.EqualTo(new long[] { 2, 4, 64, 64 }));
    }

    [Test]
    public void Depth_width_and_bilinear_upsampling_are_configurable_and_any_multiple_of_2_to_the_depth_fits()
    {
        var model = new UNet(new UNetOptions { InChannels = 3, Classes = 2, Depth = 2, BaseWidth = 8, Upsampling = UNetUpsampling.Bilinear });
        Assert.That(Children(model), Is.EqualTo(new[]
        {
            "enc1:DoubleConv", "enc2:DoubleConv", "pool:MaxPool2d", "bottleneck:DoubleConv", "up2:Sequential", "dec2:DoubleConv", "up1:Sequential", "dec1:DoubleConv", "head:Conv2d",
        }));
        Assert.That(model.SizeMultiple, Is.EqualTo(4));
        Assert.That(model.call(Images(2, 3, 12, 20)).shape, Is.EqualTo(new long[] { 2, 2, 12, 20 }));
        var deep = new UNet(new UNetOptions { Depth = 4, BaseWidth = 4, BatchNorm = false });
        Assert.That(deep.call(Images(1, 1, 32, 16)).shape, Is.EqualTo(new long[] { 1, 2, 32, 16 }));
    }

    [Test]
    public void A_bad_input_size_is_refused_with_the_size_and_2_to_the_depth()
    {
        var model = new UNet(inChannels: 1, classes: 4);
        Assert.Multiple(() =>
        {
            Assert.That(() => model.call(Images(2, 1, 60, 64)),
                Throws.ArgumentException.With.Message.StartWith("unet of depth 3 expects height and width divisible by 2^3 = 8, got 60x64: input [2, 1, 60, 64]; pad the images to 64x64 or crop them to 56x64."));
            Assert.That(() => new UNet(new UNetOptions { Depth = 4 }).call(Images(2, 1, 40, 40)),
                Throws.ArgumentException.With.Message.Contain("2^4 = 16, got 40x40"));
            Assert.That(() => model.call(Images(2, 3, 64, 64)),
                Throws.ArgumentException.With.Message.StartWith("unet.enc1.conv1 expects 1 input channel(s), got 3: input [2, 3, 64, 64]."));
            Assert.That(() => model.call(Images(1, 1, 8, 8)), Throws.ArgumentException.With.Message.Contain("too few for batch norm"));
            Assert.That(() => new DoubleConv(32, 16).call(Images(1, 16, 8, 8)), Throws.ArgumentException.With.Message.StartWith("DoubleConv.conv1 expects a batch of feature maps [N, 32, H, W], got [1, 16, 8, 8]."));
        });
    }

    [Test]
    public void It_takes_the_lecture_shapes_data_and_its_masks_fit_the_loss()
    {
        using var data = ShapesSegmentation.Generate(4, size: 64, seed: 3);
        var model = new UNet(new UNetOptions { Classes = ShapesSegmentation.ClassNames.Count });
        var logits = model.call(data.Inputs);
        Assert.That(logits.shape, Is.EqualTo(new long[] { 4, 4, 64, 64 }));
        var loss = nn.functional.cross_entropy(logits, data.Targets).item<float>();
        Assert.That(loss, Is.GreaterThan(0.5f).And.LessThan(5f), "about ln 4 at the start");
    }

    [Test]
    public void Gradients_reach_every_parameter()
    {
        var target = randint(3, [2, 16, 16]);
        GradientsReachEveryParameter(new UNet(new UNetOptions { Classes = 3, BaseWidth = 4 }), Images(2, 1, 16, 16), target);
        GradientsReachEveryParameter(new UNet(new UNetOptions { Classes = 3, BaseWidth = 4, Upsampling = UNetUpsampling.Bilinear, BatchNorm = false }), Images(2, 1, 16, 16), target);
    }
}
