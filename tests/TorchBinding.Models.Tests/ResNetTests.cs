using System.Diagnostics;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

public class ResNetTests
{
    [SetUp]
    public void Seed() => manual_seed(7);

    [Test]
    public void The_course_resnet_has_the_lecture_layers_and_its_hand_counted_parameters()
    {
        var model = new ResNet();
        Assert.That(Children(model), Is.EqualTo(new[] { "conv1:Conv2d", "bn1:BatchNorm2d", "layer1:Sequential", "layer2:Sequential", "avgpool:AdaptiveAvgPool2d", "fc:Linear" }));
        // stem:    conv1 = 16·1·3·3 (no bias)                                       =    144, bn1 = 2·16 = 32
        // layer1:  2 blocks × (2 convs 16·16·3·3 = 2,304 + 2 BN 2·16 = 32), identity  = 2 × 4,672 =  9,344
        // layer2.0: conv 16→32 stride 2: 32·16·9 = 4,608, BN 64; conv 32·32·9 = 9,216, BN 64;
        //          projection 1x1: 32·16 = 512, BN 64                               = 14,528
        // layer2.1: 2 × 9,216 + 2 × 64                                              = 18,560
        // fc:      32·10 + 10                                                       =    330
        // total    176 + 9,344 + 14,528 + 18,560 + 330                              = 42,938
        Assert.That(model.ParameterCount(), Is.EqualTo(176 + 9_344 + 14_528 + 18_560 + 330).And.EqualTo(42_938));
        Assert.That(model.Depth, Is.EqualTo(10));
        Assert.That(model.call(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 10 }));
        Assert.That(model.Features(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 32, 14, 14 }));

        var blocks = model.Stages.SelectMany(s => s.children()).Cast<BasicBlock>().Select(b => b.Shape).ToList();
        Assert.That(blocks.Select(b => (b.InChannels, b.OutChannels, b.Stride, b.IsIdentity)), Is.EqualTo(new[]
        {
            (16, 16, 1, true), (16, 16, 1, true), (16, 32, 2, false), (32, 32, 1, true),
        }));
        Assert.That(model.state_dict().Keys, Does.Contain("layer2.0.downsample.0.weight").And.Contain("layer2.0.downsample.1.running_var").And.No.Contain("layer1.0.downsample.0.weight"));
    }

    [Test]
    public void ResNet18_for_224_has_torchvisions_11_689_512_parameters_and_names()
    {
        var clock = Stopwatch.StartNew();
        var model = ResNet.ResNet18();
        Assert.That(model.ParameterCount(), Is.EqualTo(11_689_512));
        Assert.That(model.Depth, Is.EqualTo(18));
        Assert.That(Children(model), Is.EqualTo(new[]
        {
            "conv1:Conv2d", "bn1:BatchNorm2d", "maxpool:MaxPool2d", "layer1:Sequential", "layer2:Sequential", "layer3:Sequential",
            "layer4:Sequential", "avgpool:AdaptiveAvgPool2d", "fc:Linear",
        }));
        // torchvision's resnet18 has 62 parameter tensors: conv1 + bn1 (3), 8 blocks × 6, 3 projections × 3, fc (2).
        var names = model.named_parameters().Select(p => p.name).ToList();
        Assert.That(names, Has.Count.EqualTo(3 + 48 + 9 + 2));
        Assert.That(names, Does.Contain("layer4.1.bn2.bias").And.Contain("layer3.0.downsample.0.weight").And.Contain("fc.weight"));
        // With 20 batch norms' running_mean, running_var and num_batches_tracked, its state dict has 122 entries.
        var state = model.state_dict();
        Assert.That(state, Has.Count.EqualTo(62 + 20 * 3));
        Assert.That(state.Keys, Does.Contain("layer1.0.bn1.num_batches_tracked").And.Contain("bn1.running_mean"));
        model.eval();
        using (no_grad())
            Assert.That(model.call(Images(1, 3, 224, 224)).shape, Is.EqualTo(new long[] { 1, 1000 }));
        TestContext.Out.WriteLine($"ResNet-18 at 224: built and one image forward in {clock.ElapsedMilliseconds} ms");
    }

    [Test]
    public void ResNet18_for_32x32_uses_the_cifar_stem()
    {
        var model = ResNet.ResNet18(classes: 10, stem: ResNetStem.Cifar);
        // The 3x3 stem 3·64·9 = 1,728 replaces the 7x7 one 3·64·49 = 9,408; fc 512·10 + 10 replaces 512·1000 + 1000.
        Assert.That(model.ParameterCount(), Is.EqualTo(11_689_512 - 9_408 + 1_728 - 513_000 + 5_130).And.EqualTo(11_173_962));
        Assert.That(Children(model), Does.Not.Contain("maxpool:MaxPool2d"));
        Assert.That(model.Features(Images(1, 3, 32, 32)).shape, Is.EqualTo(new long[] { 1, 512, 4, 4 }), "32 → 32 → 16 → 8 → 4");
        Assert.That(model.call(Images(2, 3, 32, 32)).shape, Is.EqualTo(new long[] { 2, 10 }));
    }

    [Test]
    public void Deeper_torchvision_layouts_have_their_published_counts()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ResNet.ResNet34().ParameterCount(), Is.EqualTo(21_797_672));
            var resnet50 = ResNet.ResNet50();
            Assert.That(resnet50.ParameterCount(), Is.EqualTo(25_557_032));
            Assert.That(resnet50.Depth, Is.EqualTo(50));
            Assert.That(resnet50.FeatureChannels, Is.EqualTo(2048));
        });
    }

    [Test]
    public void Bottleneck_blocks_expand_by_four()
    {
        var model = new ResNet(new ResNetOptions { InChannels = 3, Widths = [4, 8], Blocks = [1, 2], Block = ResNetBlock.Bottleneck, Classes = 5 });
        var blocks = model.Stages.SelectMany(s => s.children()).Cast<Bottleneck>().Select(b => b.Shape).ToList();
        Assert.That(blocks.Select(b => (b.InChannels, b.OutChannels, b.Stride)), Is.EqualTo(new[] { (4, 16, 1), (16, 32, 2), (32, 32, 1) }));
        // stem 3·4·9 + 8 = 116; layer1.0: 4·4 + 8, 4·4·9 + 8, 4·16 + 32, projection 4·16 + 32 = 368;
        // layer2.0: 16·8 + 16, 8·8·9 + 16, 8·32 + 64, projection 16·32 + 64 = 1,632; layer2.1: 32·8 + 16, 576 + 16, 256 + 64 = 1,184;
        // fc 32·5 + 5 = 165.
        Assert.That(model.ParameterCount(), Is.EqualTo(116 + 368 + 1_632 + 1_184 + 165));
        Assert.That(model.call(Images(2, 3, 16, 16)).shape, Is.EqualTo(new long[] { 2, 5 }));
        GradientsReachEveryParameter(model, Images(2, 3, 16, 16), Labels(2, 5));
    }

    [TestCase(8)]
    [TestCase(20)]
    [TestCase(56)]
    public void Cifar_resnets_have_depth_6n_plus_2_and_a_plain_twin(int depth)
    {
        var residual = ResNet.Cifar(depth, residual: true, inChannels: 1);
        var plain = ResNet.Cifar(depth, residual: false, inChannels: 1);
        var n = (depth - 2) / 6;
        Assert.Multiple(() =>
        {
            Assert.That(residual.Depth, Is.EqualTo(depth));
            Assert.That(plain.Depth, Is.EqualTo(depth));
            Assert.That(residual.Stages.Select(s => s.children().Count()), Is.EqualTo(new[] { n, n, n }));
            Assert.That(plain.GetName(), Is.EqualTo("plainnet"));
            // The plain twin has no shortcut at all (as in He et al.), so it lacks the two projections where the width
            // doubles: 1x1 conv 16→32 (512) + BN (64) and 1x1 conv 32→64 (2,048) + BN (128).
            Assert.That(residual.ParameterCount() - plain.ParameterCount(), Is.EqualTo(512 + 64 + 2_048 + 128));
            // Every other layer is the same, name for name and shape for shape.
            var plainShapes = plain.named_parameters().ToDictionary(p => p.name, p => Shapes.Format(p.parameter));
            var residualShapes = residual.named_parameters().Where(p => !p.name.Contains("downsample", StringComparison.Ordinal)).ToDictionary(p => p.name, p => Shapes.Format(p.parameter));
            Assert.That(residualShapes, Is.EqualTo(plainShapes));
        });
        // With He et al.'s parameter-free option A shortcuts, the twins have exactly the same parameters.
        var optionA = ResNet.Cifar(depth, residual: true, inChannels: 1, shortcut: Shortcut.ZeroPadding);
        Assert.That(optionA.ParameterCount(), Is.EqualTo(plain.ParameterCount()));
        if (depth == 20)
            Assert.That(ResNet.Cifar(20, inChannels: 3, shortcut: Shortcut.ZeroPadding).ParameterCount(), Is.EqualTo(269_722), "ResNet-20's 0.27M in He et al.'s table");
        if (depth <= 20)
        {
            Assert.That(residual.call(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 10 }));
            Assert.That(plain.call(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 10 }));
            Assert.That(optionA.call(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 10 }));
        }
    }

    [Test]
    public void With_identity_shortcuts_only_the_twins_have_exactly_the_same_parameters()
    {
        // One stage, no change of width or resolution: every shortcut is the identity, which has no parameters.
        var options = new ResNetOptions { Widths = [8], Blocks = [3] };
        var residual = new ResNet(options);
        var plain = new ResNet(options with { Residual = false });
        Assert.That(residual.ParameterCount(), Is.EqualTo(plain.ParameterCount()));
        // ... but they compute different functions: the same weights, with and without the additions.
        plain.load_state_dict(residual.state_dict());
        residual.eval();
        plain.eval();
        var x = Images(2, 1, 12, 12);
        Assert.That(residual.call(x).allclose(plain.call(x)), Is.False);
        // The course ResNet's one projection (1x1 conv 16→32 = 512, BN 64) is what its plain twin lacks.
        Assert.That(new ResNet().ParameterCount() - new ResNet(ResNetOptions.Course with { Residual = false }).ParameterCount(), Is.EqualTo(576));
    }

    [Test]
    public void Cifar_refuses_depths_that_are_not_6n_plus_2() =>
        Assert.That(() => ResNet.Cifar(10), Throws.ArgumentException.With.Message.Contain("6n+2").And.Message.Contain("got 10"));

    [Test]
    public void Bad_inputs_name_the_layer_and_both_shapes()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => ResNet.ResNet18(classes: 10, stem: ResNetStem.Cifar).call(Images(2, 1, 32, 32)),
                Throws.ArgumentException.With.Message.StartWith("resnet.conv1 expects 3 input channel(s), got 1: input [2, 1, 32, 32]."));
            Assert.That(() => ResNet.Cifar(8, residual: false).call(Images(2, 1, 32, 32)),
                Throws.ArgumentException.With.Message.StartWith("plainnet.conv1 expects 3 input channel(s), got 1"));
            Assert.That(() => new ResNet().call(randn(3, 28, 28)), Throws.ArgumentException.With.Message.Contain("[N, 1, H, W], got [3, 28, 28]"));
            Assert.That(() => new ResNet().call(Images(1, 1, 2, 2)), Throws.ArgumentException.With.Message.Contain("too few for batch norm"));
            Assert.That(() => new ResNet(new ResNetOptions { Widths = [16, 32], Blocks = [2] }), Throws.ArgumentException.With.Message.Contain("one entry per stage"));
            Assert.That(() => new BasicBlock(16, 32, stride: 2).call(Images(2, 8, 8, 8)),
                Throws.ArgumentException.With.Message.StartWith("BasicBlock.conv1 expects a batch of feature maps [N, 16, H, W], got [2, 8, 8, 8]."));
            Assert.That(() => new Bottleneck(64, 16, residual: false).call(Images(2, 16, 8, 8)),
                Throws.ArgumentException.With.Message.StartWith("PlainBottleneck.conv1 expects a batch of feature maps [N, 64, H, W]"));
        });
    }

    [Test]
    public void Gradients_reach_every_parameter()
    {
        GradientsReachEveryParameter(new ResNet(), Images(4, 1, 16, 16), Labels(4, 10));
        GradientsReachEveryParameter(ResNet.Cifar(8, residual: false, inChannels: 1), Images(4, 1, 16, 16), Labels(4, 10));
        GradientsReachEveryParameter(ResNet.Cifar(8, inChannels: 1, shortcut: Shortcut.ZeroPadding), Images(4, 1, 16, 16), Labels(4, 10));
    }

    [Test]
    public void Hooks_on_a_stage_and_on_a_block_fire_through_the_model()
    {
        var model = new ResNet();
        var shapes = new List<long[]>();
        var stage = model.Layer<TorchSharp.Modules.Sequential>("layer2");
        var block = model.Layer<BasicBlock>("layer2.1");
        var first = stage.register_forward_hook((_, _, output) => { shapes.Add(output.shape); return output; });
        var second = block.register_forward_hook((_, _, output) => { shapes.Add(output.shape); return output; });
        model.call(Images(2, 1, 28, 28));
        first.remove();
        second.remove();
        Assert.That(shapes, Is.EqualTo(new[] { new long[] { 2, 32, 14, 14 }, new long[] { 2, 32, 14, 14 } }));
    }
}
