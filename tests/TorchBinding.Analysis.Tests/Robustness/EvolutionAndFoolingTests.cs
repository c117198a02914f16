using TorchBinding.Analysis.Robustness;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Tests.Robustness;

/// <summary>The one-pixel attack (differential evolution) and fooling images (gradient ascent from noise).</summary>
public class EvolutionAndFoolingTests
{
    [SetUp]
    public void Seed() => TestModels.Seed(31);

    [Test]
    public void The_one_pixel_attack_finds_the_pixel_that_decides_and_changes_only_it()
    {
        using var scope = NewDisposeScope();
        // A linear model on 8x8 images: class 1 wins when pixel (5, 2) is bright. Its weight for class 1 grows towards
        // that pixel (so the evolution has a slope to follow), and the bias favours class 0 on the dark image.
        var model = TestModels.Linear(8, 8, classes: 2);
        var fc = (Linear)model[1];
        using (no_grad())
        {
            fc.weight!.zero_();
            for (var r = 0; r < 8; r++)
                for (var c = 0; c < 8; c++)
                    fc.weight![1, r * 8 + c] = 3.0 / (1 + Math.Abs(r - 5) + Math.Abs(c - 2));
            fc.bias![0] = 2;
            fc.bias![1] = 0;
        }
        var image = zeros(1, 8, 8);
        var result = OnePixelAttack.Attack(model, image, label: 0, new OnePixelOptions { Population = 40, Generations = 30, Seed = 1 });
        var changed = result.Image.ne(image).sum().item<long>();
        Assert.Multiple(() =>
        {
            Assert.That(result.Success, Is.True);
            Assert.That(result.PredictedClass, Is.EqualTo(1));
            Assert.That(changed, Is.EqualTo(1), "exactly one pixel differs");
            Assert.That(Math.Abs(result.Pixels[0].Row - 5) + Math.Abs(result.Pixels[0].Column - 2), Is.LessThanOrEqualTo(1), "at (or next to) the deciding pixel");
            Assert.That(result.LabelProbability, Is.LessThan(0.5));
            using var noGrad = no_grad();
            Assert.That(model.call(result.Image.unsqueeze(0)).argmax(1).item<long>(), Is.EqualTo(1), "the returned image is misclassified");
        });
    }

    [Test]
    public void The_one_pixel_attack_reports_failure_when_no_pixel_can_flip_the_class()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.Linear(8, 8, classes: 2);
        using (no_grad())
        {
            ((Linear)model[1]).weight!.zero_();
            ((Linear)model[1]).bias![0] = 5;
        }
        var result = OnePixelAttack.Attack(model, zeros(1, 8, 8), label: 0, new OnePixelOptions { Population = 10, Generations = 5, Seed = 1 });
        Assert.That(result.Success, Is.False);
        Assert.That(result.Generations, Is.EqualTo(5));
        Assert.Throws<ArgumentException>(() => OnePixelAttack.Attack(model, zeros(1, 1, 8, 8), 0));
    }

    [Test]
    public void Fooling_images_from_noise_reach_ninety_nine_percent_for_every_class_and_stay_pixels()
    {
        using var scope = NewDisposeScope();
        // Random weights scaled up so that logits far apart are reachable within [0, 1] (as in a trained network).
        var model = TestModels.SmallCnn();
        using (no_grad())
        {
            foreach (var p in model.parameters())
                p.mul_(3);
        }
        var result = FoolingImages.Generate(model, [0, 1, 2], [1, 16, 16], new FoolingImageOptions { Seed = 1, StepSize = 0.05 });
        using var noGrad = no_grad();
        var probabilities = model.call(result.Images).softmax(1);
        Assert.Multiple(() =>
        {
            Assert.That(result.Images.shape, Is.EqualTo(new long[] { 3, 1, 16, 16 }));
            for (var c = 0; c < 3; c++)
            {
                Assert.That(result.Probabilities[c], Is.GreaterThan(0.99), $"class {c}");
                Assert.That(probabilities[c, c].item<float>(), Is.GreaterThan(0.99), $"class {c}, recomputed");
            }
            Assert.That(result.Images.min().item<float>(), Is.GreaterThanOrEqualTo(0));
            Assert.That(result.Images.max().item<float>(), Is.LessThanOrEqualTo(1));
        });
        Assert.Throws<ArgumentOutOfRangeException>(() => FoolingImages.Generate(model, [0], [1, 16, 16], new FoolingImageOptions { Threshold = 1.5 }));
    }
}
