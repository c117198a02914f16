using TorchBinding.Data.Augmentation;
using TorchSharp;
using static TorchBinding.Tests.Data.Augmentation.AugmentationTestData;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchBinding.Tests.Data.Augmentation;

public class ShiftTests
{
    [Test]
    public void Translation_moves_a_bright_pixel_by_the_drawn_shift()
    {
        using var scope = NewDisposeScope();
        var batch = zeros(32, 1, 9, 11);
        batch[.., .., 4, 5] = tensor(1f);
        var translation = new RandomTranslation(maxDx: 3, maxDy: 2, seed: 5);
        var output = translation.Apply(batch);
        Assert.That(translation.LastShifts, Has.Count.EqualTo(32));
        Assert.That(translation.LastShifts.Select(s => s.Dx).Distinct().Count(), Is.GreaterThan(3), "several shifts drawn");
        for (var i = 0; i < 32; i++)
        {
            var (dx, dy) = translation.LastShifts[i];
            Assert.Multiple(() =>
            {
                Assert.That(dx, Is.InRange(-3, 3));
                Assert.That(dy, Is.InRange(-2, 2));
                Assert.That(output[i, 0, 4 + dy, 5 + dx].item<float>(), Is.EqualTo(1f), $"image {i}, shift ({dx}, {dy})");
                Assert.That(output[i].sum().item<float>(), Is.EqualTo(1f), $"image {i}: one bright pixel, nothing else");
            });
        }
    }

    [Test]
    public void Translation_pads_with_zeros()
    {
        using var scope = NewDisposeScope();
        var (h, w) = (10, 12);
        var translation = new RandomTranslation(maxDx: 4, maxDy: 4, seed: 6);
        var output = translation.Apply(ones(16, 2, h, w));
        for (var i = 0; i < 16; i++)
        {
            var (dx, dy) = translation.LastShifts[i];
            var expected = ones(2, h, w);
            // The rows and columns that came in from outside are zero.
            expected[.., dy > 0 ? TensorIndex.Slice(0, dy) : TensorIndex.Slice(h + dy, h), ..] = tensor(0f);
            expected[.., .., dx > 0 ? TensorIndex.Slice(0, dx) : TensorIndex.Slice(w + dx, w)] = tensor(0f);
            Assert.That(Same(output[i], expected), Is.True, $"image {i}, shift ({dx}, {dy})");
        }
    }

    [Test]
    public void Crop_with_padding_keeps_the_shape_and_cuts_a_shifted_window()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 16, c: 3, h: 12, w: 10);
        var crop = new RandomCrop(padding: 3, seed: 7);
        var output = crop.Apply(batch);
        var padded = F.pad(batch, [3, 3, 3, 3]);
        Assert.That(output.shape, Is.EqualTo(batch.shape));
        Assert.That(crop.LastOffsets.Select(o => o.Top).Distinct().Count(), Is.GreaterThan(2), "several offsets drawn");
        for (var i = 0; i < 16; i++)
        {
            var (top, left) = crop.LastOffsets[i];
            Assert.Multiple(() =>
            {
                Assert.That(top, Is.InRange(0, 6));
                Assert.That(left, Is.InRange(0, 6));
                Assert.That(Same(output[i], padded[i, .., TensorIndex.Slice(top, top + 12), TensorIndex.Slice(left, left + 10)]), Is.True, $"image {i}");
            });
        }
    }

    [Test]
    public void Crop_with_reflect_padding_cuts_from_the_reflected_image()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 8, c: 1, h: 8, w: 8);
        var crop = new RandomCrop(padding: 2, PaddingModes.Reflect, seed: 8);
        var output = crop.Apply(batch);
        var padded = F.pad(batch, [2, 2, 2, 2], PaddingModes.Reflect);
        for (var i = 0; i < 8; i++)
        {
            var (top, left) = crop.LastOffsets[i];
            Assert.That(Same(output[i], padded[i, .., TensorIndex.Slice(top, top + 8), TensorIndex.Slice(left, left + 8)]), Is.True, $"image {i}");
        }
    }

    [Test]
    public void Zero_padding_crop_and_zero_translation_are_identity()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch();
        Assert.Multiple(() =>
        {
            Assert.That(Same(new RandomCrop(0, seed: 1).Apply(batch), batch), Is.True);
            Assert.That(Same(new RandomTranslation(0, 0, seed: 1).Apply(batch), batch), Is.True);
        });
    }

    [Test]
    public void Reflect_padding_larger_than_the_image_is_refused()
    {
        using var batch = RandomBatch(h: 4, w: 4);
        Assert.That(() => new RandomCrop(4, PaddingModes.Reflect, seed: 1).Apply(batch),
            Throws.ArgumentException.With.Message.Contain("Reflect").And.Message.Contain("[8, 3, 4, 4]"));
    }
}
