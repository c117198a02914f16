using TorchBinding.Activations;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

public class CnnTests
{
    [SetUp]
    public void Seed() => manual_seed(7);

    [Test]
    public void The_course_cnn_has_the_lecture_layers_and_its_hand_counted_parameters()
    {
        var model = new Cnn();
        Assert.That(Children(model), Is.EqualTo(new[]
        {
            "conv1:Conv2d", "act1:ReLU", "pool1:MaxPool2d", "conv2:Conv2d", "act2:ReLU", "pool2:MaxPool2d", "flatten:Flatten", "fc1:Linear",
        }));
        // conv1 = 16·1·5·5 + 16        =    416
        // conv2 = 32·16·5·5 + 32       = 12,832
        // fc1   = (7·7·32)·10 + 10     = 15,690   (28 → pool → 14 → pool → 7; k5 p2 keeps the size)
        // total                        = 28,938
        Assert.That(model.ParameterCount(), Is.EqualTo(416 + 12_832 + 15_690).And.EqualTo(28_938));
        Assert.That(model.call(Images(3, 1, 28, 28)).shape, Is.EqualTo(new long[] { 3, 10 }));
        Assert.That(model.Features(Images(3, 1, 28, 28)).shape, Is.EqualTo(new long[] { 3, 32, 7, 7 }));
    }

    [Test]
    public void The_small_cnn_stays_under_100k_parameters()
    {
        var model = Cnn.Small();
        // conv1 16·1·3·3 = 144 (+ bn 2·16 = 32), conv2 32·16·9 = 4,608 (+ 64), conv3 64·32·9 = 18,432 (+ 128): no conv bias
        // before batch norm; 28 → 14 → 7 → 3, so fc1 = (64·3·3)·64 + 64 = 36,928 and fc2 = 64·10 + 10 = 650.
        Assert.That(model.ParameterCount(), Is.EqualTo(176 + 4_672 + 18_560 + 36_928 + 650).And.EqualTo(60_986).And.LessThan(100_000));
        Assert.That(model.call(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 10 }));
    }

    [Test]
    public void The_conv_stack_is_configurable_for_other_image_sizes()
    {
        var options = new CnnOptions
        {
            InChannels = 3, Classes = 5, InputSize = (32, 32), Channels = [8, 16, 16], KernelSize = 3, Stride = 1,
            Pooling = Pooling.Average, BatchNorm = true, ConvDropout = 0.1, Hidden = [12], Dropout = 0.2, Activation = Activation.ELU,
        };
        var model = new Cnn(options);
        Assert.That(Children(model), Is.EqualTo(new[]
        {
            "conv1:Conv2d", "bn1:BatchNorm2d", "act1:ELU", "pool1:AvgPool2d", "drop1:Dropout2d",
            "conv2:Conv2d", "bn2:BatchNorm2d", "act2:ELU", "pool2:AvgPool2d", "drop2:Dropout2d",
            "conv3:Conv2d", "bn3:BatchNorm2d", "act3:ELU", "pool3:AvgPool2d", "drop3:Dropout2d",
            "flatten:Flatten", "fc_drop1:Dropout", "fc1:Linear", "fc_act1:ELU", "fc_drop2:Dropout", "fc2:Linear",
        }));
        Assert.That(model.call(Images(2, 3, 32, 32)).shape, Is.EqualTo(new long[] { 2, 5 }));
        Assert.That(model.Features(Images(2, 3, 32, 32)).shape, Is.EqualTo(new long[] { 2, 16, 4, 4 }));

        // Stride instead of pooling, and an explicit padding: 20 → (20 + 2 − 3)/2 + 1 = 10 → 5.
        var strided = new Cnn(new CnnOptions { Channels = [4, 4], KernelSize = 3, Padding = 1, Stride = 2, Pooling = Pooling.None, InputSize = (20, 20) });
        Assert.That(strided.Features(Images(1, 1, 20, 20)).shape, Is.EqualTo(new long[] { 1, 4, 5, 5 }));
        Assert.That(strided.ParameterCount(), Is.EqualTo((4 * 9 + 4) + (4 * 4 * 9 + 4) + (4 * 5 * 5 * 10 + 10)));
    }

    [Test]
    public void Adaptive_pooling_accepts_any_image_size()
    {
        var model = new Cnn(new CnnOptions { Channels = [8, 16], KernelSize = 3, AdaptivePoolSize = 1, Pooling = Pooling.Max });
        Assert.That(Children(model), Does.Contain("adaptive_pool:AdaptiveAvgPool2d"));
        Assert.That(model.ParameterCount(), Is.EqualTo((8 * 9 + 8) + (16 * 8 * 9 + 16) + (16 * 10 + 10)), "global average pooling: the head sees 16 features");
        foreach (var size in new[] { 12, 28, 45 })
            Assert.That(model.call(Images(2, 1, size, size)).shape, Is.EqualTo(new long[] { 2, 10 }));
    }

    [Test]
    public void Bad_channel_counts_name_the_layer()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new Cnn().call(Images(8, 3, 28, 28)),
                Throws.ArgumentException.With.Message.StartWith("cnn.conv1 expects 1 input channel(s), got 3: input [8, 3, 28, 28]."));
            Assert.That(() => Cnn.Course(inChannels: 3).call(Images(8, 1, 28, 28)),
                Throws.ArgumentException.With.Message.StartWith("cnn.conv1 expects 3 input channel(s), got 1: input [8, 1, 28, 28]."));
        });
    }

    [Test]
    public void Other_predictable_mistakes_are_explained()
    {
        var model = new Cnn();
        Assert.Multiple(() =>
        {
            Assert.That(() => model.call(randn(8, 28, 28)),
                Throws.ArgumentException.With.Message.Contain("cnn expects a batch of images [N, 1, H, W], got [8, 28, 28]").And.Message.Contain("unsqueeze(1)"));
            Assert.That(() => model.call(Images(2, 1, 32, 32)),
                Throws.ArgumentException.With.Message.Contain("cnn.fc1 expects 1568 features (32x7x7, from 28x28 images), got 32x8x8 = 2048")
                    .And.Message.Contain("InputSize = (32, 32)").And.Message.Contain("AdaptivePoolSize"));
            Assert.That(() => model.call(Images(2, 1, 2, 2)), Throws.ArgumentException.With.Message.Contain("shrinks to nothing at pool2"));
            Assert.That(() => model.call(ones(2, 1, 28, 28, dtype: ScalarType.Byte)), Throws.ArgumentException.With.Message.Contain("floating-point"));
            Assert.That(() => new Cnn(new CnnOptions { Channels = [8, 8, 8, 8, 8], InputSize = (28, 28) }),
                Throws.ArgumentException.With.Message.Contain("28x28 input shrinks to nothing at pool5"));
            Assert.That(() => new Cnn(new CnnOptions { Channels = [] }), Throws.ArgumentException.With.Message.Contain("at least one block"));
        });
    }

    [Test]
    public void Batch_norm_uses_batch_statistics_in_training_and_running_statistics_in_evaluation()
    {
        var model = new Cnn(CnnOptions.Small with { Dropout = 0 }); // batch norm alone: no random units
        var x = Images(6, 1, 28, 28) * 3 + 1;
        var bn1 = model.Layer<TorchSharp.Modules.BatchNorm2d>("bn1");
        var before = bn1.running_mean!.clone();

        model.eval();
        var alone = model.call(x[..1]);
        var together = model.call(x)[..1];
        TensorAssert.AreClose(alone, together, rtol: 1e-4, atol: 1e-5, what: "evaluation: a sample's output does not depend on its batch");
        Assert.That(bn1.running_mean!.eq(before).all().item<bool>(), Is.True, "evaluation leaves the running statistics alone");

        model.train();
        using (no_grad())
            model.call(x);
        Assert.That(bn1.running_mean!.eq(before).all().item<bool>(), Is.False, "training updates the running statistics");
        // Training normalises with the batch's own statistics: the same sample's output changes with its batch.
        var trainAlone = model.call(x[..2])[..1];
        var trainTogether = model.call(x)[..1];
        Assert.That(trainAlone.allclose(trainTogether, rtol: 1e-4, atol: 1e-5), Is.False);
    }

    [Test]
    public void Gradients_reach_every_parameter()
    {
        GradientsReachEveryParameter(new Cnn(), Images(4, 1, 28, 28), Labels(4, 10));
        GradientsReachEveryParameter(Cnn.Small(), Images(4, 1, 28, 28), Labels(4, 10));
    }

    [Test]
    public void Forward_hooks_on_a_named_layer_fire_through_the_model()
    {
        var model = new Cnn();
        Tensor? seen = null;
        var conv2 = model.Layer<TorchSharp.Modules.Conv2d>("conv2");
        var handle = conv2.register_forward_hook((_, _, output) => { seen = output.detach(); return output; });
        model.call(Images(2, 1, 28, 28));
        handle.remove();
        Assert.That(seen?.shape, Is.EqualTo(new long[] { 2, 32, 14, 14 }));
        Assert.That(() => model.Layer<TorchSharp.Modules.Linear>("conv1"), Throws.ArgumentException.With.Message.Contain("is a Conv2d, not a Linear"));
        Assert.That(() => model.Layer("conv9"), Throws.ArgumentException.With.Message.Contain("no layer 'conv9'").And.Message.Contain("conv1, act1, pool1"));
    }

    [Test]
    public void The_summary_shows_where_the_parameters_are()
    {
        var summary = new Cnn().Summary();
        TestContext.Out.WriteLine(summary);
        Assert.That(summary, Does.Contain("conv2").And.Contain("12,832").And.Contain("15,690").And.Contain("total").And.Contain("28,938"));
    }
}
