using TorchBinding.Analysis.Interpretability;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Tests.Interpretability;

/// <summary>
/// The attribution methods: where a model provably looks (the left-half model), exact values on a linear model, the
/// completeness of Integrated Gradients on a nonlinear CNN, and clear errors for bad input.
/// </summary>
public class AttributionTests
{
    [SetUp]
    public void Seed() => TestModels.Seed(7);

    [Test]
    public void Saliency_integrated_gradients_and_grad_cam_put_their_mass_in_the_half_the_model_uses()
    {
        using var scope = NewDisposeScope();
        var model = new LeftHalfNet();
        var images = TestModels.Images(6, 32, 32, seed: 1);
        var targets = zeros(6, dtype: int64);                         // class 0: positive head weights, a non-empty Grad-CAM
        var saliency = Attribution.Gradient(model, images, targets);
        var ig = Attribution.IntegratedGradients(model, images, targets);
        var cam = GradCam.Compute(model, "features", images, targets);
        Assert.Multiple(() =>
        {
            Assert.That(cam.shape, Is.EqualTo(new long[] { 6, 32, 32 }));
            Assert.That(cam.sum().item<float>(), Is.GreaterThan(0), "Grad-CAM map is not empty");
            Assert.That(TestModels.LeftMass(saliency), Is.GreaterThanOrEqualTo(0.95), "saliency");
            Assert.That(TestModels.LeftMass(ig.Attributions), Is.GreaterThanOrEqualTo(0.95), "integrated gradients");
            // The 16x16 map is stretched to 32x32 bilinearly: column 16 takes a quarter of column 7, the only spill.
            Assert.That(TestModels.LeftMass(cam), Is.GreaterThanOrEqualTo(0.95), "Grad-CAM");
            Assert.That(TestModels.LeftMass(Attribution.SmoothGrad(model, images, targets, new() { Seed = 1, Samples = 8 })), Is.GreaterThanOrEqualTo(0.95), "SmoothGrad");
            Assert.That(TestModels.LeftMass(Attribution.GradientTimesInput(model, images, targets)), Is.GreaterThanOrEqualTo(0.95), "gradient x input");
        });
    }

    [Test]
    public void On_a_linear_model_the_gradient_is_the_weight_row_and_gradient_times_input_integrated_gradients_and_occlusion_agree()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.Linear(5, 6, classes: 3);
        model.to(float64);
        var images = TestModels.Images(4, 5, 6, seed: 2).to(float64);
        var targets = tensor(new long[] { 0, 2, 1, 2 });
        var weights = ((Linear)model[1]).weight!.detach().index_select(0, targets).view(4, 1, 5, 6);
        var contribution = weights * images;                                              // w_i x_i: exact for a linear model
        TensorAssert.AreClose(Attribution.Gradient(model, images, targets), weights, what: "gradient");
        TensorAssert.AreClose(Attribution.GradientTimesInput(model, images, targets), contribution, what: "gradient x input");
        var ig = Attribution.IntegratedGradients(model, images, targets, new() { Steps = 3 });
        TensorAssert.AreClose(ig.Attributions, contribution, what: "integrated gradients");
        Assert.That(ig.MaxRelativeError, Is.LessThan(1e-10));
        // A 1x1 patch of zeros removes exactly w_i x_i from the logit.
        var occlusion = Occlusion.Map(model, images, targets, new() { PatchSize = 1, Stride = 1, Fill = 0 });
        TensorAssert.AreClose(occlusion, contribution.squeeze(1), rtol: 1e-9, atol: 1e-12, what: "occlusion");
    }

    [Test]
    public void Integrated_gradients_are_complete_to_within_one_percent_on_a_smooth_cnn()
    {
        using var scope = NewDisposeScope();
        // A CNN with smooth activations (tanh, average pooling): along the path the gradient is smooth, so the trapezoidal
        // rule's error falls as 1/steps². (A ReLU network's kinks make it fall only as 1/steps; the Interpretability
        // example measures completeness on the trained course CNN.)
        var model = nn.Sequential(
            ("conv1", nn.Conv2d(1, 4, 3, padding: 1)), ("tanh1", nn.Tanh()), ("pool1", nn.AvgPool2d(2)),
            ("conv2", nn.Conv2d(4, 8, 3, padding: 1)), ("tanh2", nn.Tanh()), ("pool2", nn.AvgPool2d(2)),
            ("flatten", nn.Flatten()), ("fc", nn.Linear(8 * 4 * 4, 3)));
        using (no_grad())
        {
            foreach (var p in model.parameters())
                p.mul_(4);                                                                    // logits that move by O(1)
        }
        var images = TestModels.Images(8, 16, 16, seed: 3);
        var targets = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 });
        var ig = Attribution.IntegratedGradients(model, images, targets);                   // 64 steps, trapezoid
        Assert.Multiple(() =>
        {
            Assert.That(ig.Attributions.shape, Is.EqualTo(images.shape));
            // Measured: the smallest |f(x) − f(0)| 0.62, the largest relative error 1.1e-4.
            Assert.That(ig.ScoreDifferences.Min(Math.Abs), Is.GreaterThan(0.05), "the score changes along the path");
            Assert.That(ig.MaxRelativeError, Is.LessThan(0.01));
        });
        // The check is real: one left Riemann step (the gradient at the black baseline only) misses by far more (measured 1.6).
        var crude = Attribution.IntegratedGradients(model, images, targets, new() { Steps = 1, Rule = IntegrationRule.Left });
        Assert.That(crude.MaxRelativeError, Is.GreaterThan(0.05));
    }

    [Test]
    public void Integrated_gradients_refine_the_samples_that_miss_the_completeness_target_on_a_relu_cnn()
    {
        using var scope = NewDisposeScope();
        // A ReLU CNN with max pooling: kinks along the path. Scaled weights make the logits move by O(1) (measured: at 64
        // steps the relative errors are 1–13 %, since the error of a kinked integrand falls only as 1/steps).
        var model = TestModels.SmallCnn();
        using (no_grad())
        {
            foreach (var p in model.parameters())
                p.mul_(3);
        }
        var images = TestModels.Images(8, 16, 16, seed: 3);
        var targets = tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 });
        var plain = Attribution.IntegratedGradients(model, images, targets);
        var refined = Attribution.IntegratedGradients(model, images, targets, new() { TargetRelativeError = 0.01, MaxSteps = 4096 });
        Assert.Multiple(() =>
        {
            Assert.That(plain.MaxRelativeError, Is.GreaterThan(0.01), "64 steps are not enough here");
            Assert.That(refined.MaxRelativeError, Is.LessThan(0.01));
            Assert.That(refined.Steps.Max(), Is.GreaterThan(64), "some samples were refined");
            Assert.That(refined.Steps.Min(), Is.EqualTo(64).Or.GreaterThan(64));
        });
        // The refined samples' attributions are those of a plain run with their step count.
        var i = Enumerable.Range(0, 8).First(k => refined.Steps[k] > 64);
        var single = Attribution.IntegratedGradients(model, images[i..(i + 1)], targets[i..(i + 1)], new() { Steps = refined.Steps[i] });
        TensorAssert.AreClose(refined.Attributions[i..(i + 1)], single.Attributions, rtol: 1e-4, atol: 1e-6);
        Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.IntegratedGradients(model, images, targets, new() { TargetRelativeError = 0 }));
    }

    [Test]
    public void SmoothGrad_without_noise_is_the_gradient_and_is_reproducible_with_a_seed()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(3, 16, 16, seed: 4);
        var targets = tensor(new long[] { 0, 1, 2 });
        TensorAssert.AreClose(Attribution.SmoothGrad(model, images, targets, new() { NoiseLevel = 0, Samples = 4 }), Attribution.Gradient(model, images, targets), rtol: 1e-5, atol: 1e-7);
        var a = Attribution.SmoothGrad(model, images, targets, new() { Seed = 5, Samples = 6 });
        var b = Attribution.SmoothGrad(model, images, targets, new() { Seed = 5, Samples = 6, BatchSize = 7 });
        TensorAssert.AreClose(a, b, rtol: 1e-5, atol: 1e-7, what: "same seed, other batch size");
    }

    [Test]
    public void Methods_leave_the_models_modes_and_parameter_gradients_alone()
    {
        using var scope = NewDisposeScope();
        var model = nn.Sequential(("conv", nn.Conv2d(1, 2, 3, padding: 1)), ("bn", nn.BatchNorm2d(2)), ("flatten", nn.Flatten()), ("fc", nn.Linear(2 * 16 * 16, 3)));
        model.train();
        var images = TestModels.Images(2, 16, 16, seed: 6);
        var targets = tensor(new long[] { 1, 2 });
        Attribution.Gradient(model, images, targets);
        GradCam.Compute(model, "bn", images, targets);
        Assert.Multiple(() =>
        {
            Assert.That(model.modules().All(m => m.training), Is.True, "training mode restored");
            Assert.That(model.parameters().All(p => p.grad is null), Is.True, "no parameter gradient accumulated");
        });
    }

    [Test]
    public void Grad_cam_names_the_layers_when_one_does_not_exist_or_is_not_a_feature_map()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(2, 16, 16, seed: 8);
        var targets = tensor(new long[] { 0, 1 });
        var unknown = Assert.Throws<ArgumentException>(() => GradCam.Compute(model, "conv9", images, targets))!;
        Assert.That(unknown.Message, Does.Contain("no layer 'conv9'").And.Contain("conv1, relu1, pool1, conv2, relu2, pool2, flatten, fc"));
        var flat = Assert.Throws<ArgumentException>(() => GradCam.Compute(model, "fc", images, targets))!;
        Assert.That(flat.Message, Does.Contain("'fc' outputs [2, 3], not a feature map"));
    }

    [Test]
    public void Bad_arguments_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(2, 16, 16, seed: 9);
        var targets = tensor(new long[] { 0, 1 });
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.IntegratedGradients(model, images, targets, new() { Steps = 0 }))!.Message,
                Does.Contain("Steps must be at least 1, got 0"));
            Assert.That(Assert.Throws<ArgumentException>(() => Attribution.IntegratedGradients(model, images, targets, new() { Baseline = zeros(3, 3) }))!.Message,
                Does.Contain("baseline must have the inputs' shape [2, 1, 16, 16]"));
            Assert.That(Assert.Throws<ArgumentException>(() => Attribution.Gradient(model, images, tensor(new long[] { 0, 1, 2 })))!.Message,
                Does.Contain("one class index per input, [2]; got [3]"));
            Assert.That(Assert.Throws<ArgumentException>(() => Attribution.Gradient(model, images, tensor(new long[] { 0, 3 })))!.Message,
                Does.Contain("target label 3 is out of range for K = 3"));
            Assert.That(Assert.Throws<ArgumentException>(() => Occlusion.Map(model, images, targets, new() { PatchSize = 20 }))!.Message,
                Does.Contain("20x20 patch is larger than the 16x16 images"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Attribution.SmoothGrad(model, images, targets, new() { NoiseLevel = -1 }))!.Message,
                Does.Contain("NoiseLevel must be a finite number ≥ 0"));
        });
    }

    [Test]
    public void Occlusion_refuses_a_stride_larger_than_its_patch_and_covers_every_pixel_up_to_it()
    {
        // Refused, not handled: a stride past the patch skips pixels that no position covers, and their mean drop
        // was 0/0 (NaN holes in the map).
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(2, 16, 16, seed: 10);
        var targets = tensor(new long[] { 0, 1 });
        Assert.That(() => Occlusion.Map(model, images, targets, new() { PatchSize = 3, Stride = 5 }),
            Throws.ArgumentException.With.Message.StartWith("Occlusion: Stride 5 is larger than PatchSize 3, which leaves pixels no patch covers (NaN holes in the map); use a Stride of at most 3."));
        // A stride equal to the patch tiles the image (the last row and column moved in to end at the border): no holes.
        var map = Occlusion.Map(model, images, targets, new() { PatchSize = 3, Stride = 3 });
        Assert.That(map.shape, Is.EqualTo(new long[] { 2, 16, 16 }));
        Assert.That(map.isfinite().all().item<bool>(), Is.True, "every pixel is covered");
    }
}
