using TorchBinding.Analysis.Interpretability;
using TorchBinding.Models.Transfer;
using static TorchBinding.Models.Tests.ModelAssertions;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests;

/// <summary>Grad-CAM on the course's models by layer name, and their replaceable heads for transfer learning.</summary>
public class InterpretabilityModelTests
{
    [SetUp]
    public void Seed() => manual_seed(17);

    [TestCase("conv2")]
    [TestCase("act2")]
    public void Grad_cam_works_on_the_course_cnn(string layer)
    {
        using var scope = NewDisposeScope();
        var model = Cnn.Course();
        var images = Images(4, 1, 28, 28);
        var targets = tensor(new long[] { 0, 3, 5, 9 });
        var cam = GradCam.Compute(model, layer, images, targets);
        var coarse = GradCam.Compute(model, layer, images, targets, new() { Upsample = false });
        Assert.Multiple(() =>
        {
            Assert.That(cam.shape, Is.EqualTo(new long[] { 4, 28, 28 }));
            Assert.That(coarse.shape, Is.EqualTo(new long[] { 4, 14, 14 }), "conv2 runs at 14x14");
            Assert.That(cam.min().item<float>(), Is.GreaterThanOrEqualTo(0), "ReLU of the weighted sum");
            Assert.That(model.training, Is.True, "the model's mode is restored");
        });
    }

    [TestCase("layer2")]
    [TestCase("layer2.0")]
    [TestCase("layer2.1.conv2")]
    [TestCase("layer1.1.bn2")]
    public void Grad_cam_works_inside_the_course_resnets_sequential_stages(string layer)
    {
        using var scope = NewDisposeScope();
        var model = ResNet.Course();
        var images = Images(3, 1, 28, 28);
        // layer2.0's output is disposed by its Sequential once layer2.1 has used it: Grad-CAM must keep its own handle.
        var cam = GradCam.Compute(model, layer, images, tensor(new long[] { 1, 2, 3 }));
        Assert.That(cam.shape, Is.EqualTo(new long[] { 3, 28, 28 }));
        Assert.That(float.IsFinite(cam.sum().item<float>()), Is.True);
    }

    [Test]
    public void Grad_cam_explains_a_unet_class_through_its_encoder_and_refuses_the_shared_pool()
    {
        using var scope = NewDisposeScope();
        var model = new UNet(inChannels: 1, classes: 4);
        var images = Images(2, 1, 32, 32);
        var targets = tensor(new long[] { 1, 3 });
        foreach (var layer in new[] { "enc1", "enc3", "bottleneck" })
        {
            // The default score of a dense output: the class's mean logit over all pixels.
            var cam = GradCam.Compute(model, layer, images, targets);
            Assert.That(cam.shape, Is.EqualTo(new long[] { 2, 32, 32 }), layer);
        }
        var shared = Assert.Throws<ArgumentException>(() => GradCam.Compute(model, "pool", images, targets))!;
        Assert.That(shared.Message, Does.Contain("'pool' ran 3 times in one forward pass"));
        var unknown = Assert.Throws<ArgumentException>(() => GradCam.Compute(model, "encoder3", images, targets))!;
        Assert.That(unknown.Message, Does.Contain("no layer 'encoder3'; its layers are: enc1,").And.Contain("bottleneck"));
    }

    [Test]
    public void The_cnn_head_can_be_replaced_for_a_new_task_and_the_body_frozen()
    {
        using var scope = NewDisposeScope();
        var model = Cnn.Small();
        var conv1 = model.Layer<TorchSharp.Modules.Conv2d>("conv1").weight!.detach().clone();
        Assert.That((model.HeadName, model.HeadInputFeatures), Is.EqualTo(("fc2", 64L)));
        var head = TransferLearning.ReplaceHead(model, classes: 3);
        Assert.Multiple(() =>
        {
            Assert.That(model.call(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 3 }));
            Assert.That(model.Head, Is.SameAs(head));
            Assert.That(model.named_parameters().Select(p => p.name), Does.Contain("fc2.weight"));
            Assert.That(model.named_parameters().Single(p => p.name == "fc2.weight").parameter.shape, Is.EqualTo(new long[] { 3, 64 }));
            Assert.That(model.ParameterCount(), Is.EqualTo(93_482 - 650 + 64 * 3 + 3));
            Assert.That(model.Layer<TorchSharp.Modules.Conv2d>("conv1").weight!.equal(conv1).all().item<bool>(), Is.True, "the body is kept");
        });
        var frozen = TransferLearning.Freeze(model, except: [model.HeadName]);
        Assert.That(frozen.Trainable, Is.EqualTo(new[] { "fc2.weight", "fc2.bias" }));
        Assert.That(model.ParameterCount(trainableOnly: true), Is.EqualTo(64 * 3 + 3));
    }

    [Test]
    public void The_resnet_head_can_be_replaced_by_any_module()
    {
        using var scope = NewDisposeScope();
        var model = ResNet.Course();
        var old = TransferLearning.ReplaceHead(model, nn.Sequential(nn.Linear(32, 16), nn.ReLU(), nn.Linear(16, 2)));
        Assert.That(old, Is.InstanceOf<TorchSharp.Modules.Linear>());
        Assert.That(model.call(Images(2, 1, 28, 28)).shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(model.named_parameters().Select(p => p.name), Does.Contain("fc.2.weight").And.Not.Contain("fc.weight"));
    }
}
