using TorchBinding.Data.Synthetic;
using static TorchBinding.Tests.Data.Synthetic.TensorValues;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Synthetic;

public class ShapesSegmentationTests
{
    [Test]
    public void Clean_images_are_grey_exactly_where_the_mask_has_a_shape()
    {
        const int n = 20, size = 64;
        using var shapes = ShapesSegmentation.Generate(n, size, noise: 0, seed: 1);
        var image = Floats(shapes.Inputs);
        var mask = Longs(shapes.Targets);
        var pixels = size * size;
        Assert.Multiple(() =>
        {
            Assert.That(shapes.Inputs.shape, Is.EqualTo(new long[] { n, 1, size, size }));
            Assert.That(shapes.Inputs.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(shapes.Targets.shape, Is.EqualTo(new long[] { n, size, size }));
            Assert.That(shapes.Targets.dtype, Is.EqualTo(ScalarType.Int64));
            Assert.That(shapes.ClassNames, Is.EqualTo(new[] { "background", "circle", "rectangle", "triangle" }));
            Assert.That(mask, Is.All.InRange(0L, 3L));
            Assert.That(mask.Distinct().Order(), Is.EqualTo(new long[] { 0, 1, 2, 3 }), "every class occurs in 20 images");
            Assert.That(image.Where((_, i) => mask[i] > 0), Is.All.InRange(0.5f, 1f));
            Assert.That(image.Where((_, i) => mask[i] == 0), Is.All.EqualTo(0f));
            for (var k = 0; k < n; k++)
            {
                var foreground = mask.Skip(k * pixels).Take(pixels).Count(m => m > 0);
                // At least one shape; at most three boxes of 24x24.
                Assert.That(foreground, Is.InRange(3, 3 * 24 * 24), $"image {k}");
            }
        });
    }

    [Test]
    public void Noise_changes_the_pixels_but_not_the_shapes()
    {
        using var clean = ShapesSegmentation.Generate(4, size: 32, noise: 0, seed: 2);
        using var noisy = ShapesSegmentation.Generate(4, size: 32, seed: 2); // default noise 0.05
        var residual = Floats(noisy.Inputs).Zip(Floats(clean.Inputs), (a, b) => (double)a - b).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(TensorValues.Identical(clean.Targets, noisy.Targets), Is.True);
            Assert.That(Math.Sqrt(residual.Average(r => r * r)), Is.EqualTo(0.05).Within(0.005));
        });
    }
}
