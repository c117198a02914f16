using TorchBinding.Data.Augmentation;
using static TorchBinding.Tests.Data.Augmentation.AugmentationTestData;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Augmentation;

public class RandomErasingTests
{
    [Test]
    public void Erasing_fills_one_rectangle_per_image_with_an_area_in_range()
    {
        using var scope = NewDisposeScope();
        var (h, w) = (40, 48);
        var batch = RandomBatch(n: 32, c: 3, h: h, w: w); // values in [0, 1): -1 marks erased pixels
        var erasing = new RandomErasing(p: 1, minArea: 0.1, maxArea: 0.2, minAspect: 0.5, maxAspect: 2, fill: -1, seed: 1);
        var output = erasing.Apply(batch);
        Assert.That(erasing.LastRegions, Has.Count.EqualTo(32).And.All.Not.Null);
        for (var i = 0; i < 32; i++)
        {
            var region = erasing.LastRegions[i]!.Value;
            var erased = output[i].eq(-1f);
            var fraction = erased[0].sum().item<long>() / (double)(h * w);
            var expected = zeros(h, w, dtype: ScalarType.Bool);
            expected[TensorIndex.Slice(region.Top, region.Top + region.Height), TensorIndex.Slice(region.Left, region.Left + region.Width)] = tensor(true);
            Assert.Multiple(() =>
            {
                // Sides are whole pixels: allow the rounding of each side by half a pixel.
                Assert.That(fraction, Is.InRange(0.1 * 0.9, 0.2 * 1.1), $"image {i}: {region}");
                Assert.That(Same(erased, expected.expand(3, h, w)), Is.True, $"image {i}: the fill covers exactly {region} in every channel");
                Assert.That(Same(output[i].masked_select(erased.logical_not()), batch[i].masked_select(erased.logical_not())), Is.True, $"image {i}: the rest is unchanged");
            });
        }
    }

    [Test]
    public void Erasing_with_probability_zero_is_identity()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch();
        var erasing = new RandomErasing(p: 0, seed: 2);
        Assert.Multiple(() =>
        {
            Assert.That(Same(erasing.Apply(batch), batch), Is.True);
            Assert.That(erasing.LastRegions, Has.All.Null);
        });
    }

    [Test]
    public void Erasing_with_probability_one_half_erases_about_half_of_the_images()
    {
        using var scope = NewDisposeScope();
        var erasing = new RandomErasing(seed: 3); // torchvision's defaults: p 0.5, area 0.02..0.33, aspect 0.3..3.3
        erasing.Apply(RandomBatch(n: 200, c: 1, h: 32, w: 32));
        Assert.That(erasing.LastRegions.Count(r => r is not null), Is.InRange(70, 130));
    }
}
