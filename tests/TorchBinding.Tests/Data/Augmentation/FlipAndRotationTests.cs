using TorchBinding.Data.Augmentation;
using static TorchBinding.Tests.Data.Augmentation.AugmentationTestData;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Augmentation;

public class FlipAndRotationTests
{
    [Test]
    public void Flip_with_probability_one_is_torch_flip_and_twice_is_identity()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch();
        var horizontal = new RandomHorizontalFlip(p: 1, seed: 1).Apply(batch);
        var vertical = new RandomVerticalFlip(p: 1, seed: 1).Apply(batch);
        Assert.Multiple(() =>
        {
            Assert.That(Same(horizontal, batch.flip(3)), Is.True, "horizontal = flip(dim 3)");
            Assert.That(Same(vertical, batch.flip(2)), Is.True, "vertical = flip(dim 2)");
            Assert.That(Same(new RandomHorizontalFlip(p: 1, seed: 2).Apply(horizontal), batch), Is.True);
            Assert.That(Same(new RandomVerticalFlip(p: 1, seed: 2).Apply(vertical), batch), Is.True);
        });
    }

    [Test]
    public void Flip_with_probability_zero_is_identity()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch();
        Assert.Multiple(() =>
        {
            Assert.That(Same(new RandomHorizontalFlip(p: 0, seed: 1).Apply(batch), batch), Is.True);
            Assert.That(Same(new RandomVerticalFlip(p: 0, seed: 1).Apply(batch), batch), Is.True);
        });
    }

    [Test]
    public void Flip_mirrors_exactly_the_images_it_reports()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 32);
        var flip = new RandomHorizontalFlip(p: 0.5, seed: 3);
        var output = flip.Apply(batch);
        Assert.That(flip.LastFlipped, Has.Count.EqualTo(32));
        Assert.That(flip.LastFlipped, Does.Contain(true).And.Contain(false), "a fair coin over 32 images");
        for (var i = 0; i < 32; i++)
            Assert.That(Same(output[i], flip.LastFlipped[i] ? batch[i].flip(2) : batch[i]), Is.True, $"image {i}");
    }

    [Test]
    public void Rotation_by_zero_degrees_is_identity()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(h: 12, w: 20);
        var output = new RandomRotation(0, seed: 1).Apply(batch);
        TensorAssert.AreClose(output, batch, rtol: 0, atol: 1e-5);
    }

    [Test]
    public void Rotation_by_90_degrees_of_a_square_image_is_rot90_away_from_the_borders()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 2, h: 16, w: 16);
        var counterClockwise = RandomRotation.Rotate(batch, [90, 90], GridSampleMode.Bilinear);
        var clockwise = RandomRotation.Rotate(batch, [-90, -90], GridSampleMode.Bilinear);
        var inner = TensorIndex.Slice(1, -1);
        Assert.Multiple(() =>
        {
            // rot90(k = 1) over (H, W) turns the displayed image counter-clockwise.
            TensorAssert.AreClose(counterClockwise[.., .., inner, inner], batch.rot90(1, (2, 3))[.., .., inner, inner], rtol: 0, atol: 1e-5, what: "+90 = rot90(k=1)");
            TensorAssert.AreClose(clockwise[.., .., inner, inner], batch.rot90(-1, (2, 3))[.., .., inner, inner], rtol: 0, atol: 1e-5, what: "-90 = rot90(k=-1)");
        });
    }

    [Test]
    public void Rotation_by_180_degrees_of_a_non_square_image_is_a_double_flip()
    {
        // Rotation is done in pixel units: a 10×24 image turned half-way is not sheared.
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 2, h: 10, w: 24);
        var output = RandomRotation.Rotate(batch, [180, -180], GridSampleMode.Bilinear);
        TensorAssert.AreClose(output, batch.flip(2, 3), rtol: 0, atol: 1e-5);
    }

    [Test]
    public void Rotation_draws_angles_in_range_and_applies_them_with_zero_fill()
    {
        using var scope = NewDisposeScope();
        var batch = ones(16, 1, 15, 15);
        var rotation = new RandomRotation(30, seed: 4);
        var output = rotation.Apply(batch);
        Assert.That(rotation.LastAngles, Has.Count.EqualTo(16).And.All.InRange(-30.0, 30.0));
        Assert.Multiple(() =>
        {
            TensorAssert.AreClose(output, RandomRotation.Rotate(batch, rotation.LastAngles, GridSampleMode.Bilinear));
            // The centre stays; a corner of a turned image reads from outside: zero (or partly, at a small angle).
            TensorAssert.AreClose(output[.., 0, 7, 7], ones(16), what: "centre");
            for (var i = 0; i < 16; i++)
                if (Math.Abs(rotation.LastAngles[i]) > 10)
                    Assert.That(output[i, 0, 0, 0].item<float>(), Is.LessThan(0.5f), $"corner of image {i}, turned {rotation.LastAngles[i]:F1}°");
        });
    }
}
