using TorchBinding.Data.Synthetic;
using static TorchBinding.Tests.Data.Synthetic.TensorValues;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Synthetic;

public class PatternDetectionTests
{
    [Test]
    public void Plus_and_minus_patterns_have_their_pixels_and_the_target_marks_plus_centres_only()
    {
        const int size = 32;
        using var pattern = PatternDetection.PlusMinusImage(size, plusCount: 4, minusCount: 5, seed: 3);
        var image = Floats(pattern.Image);
        var target = Floats(pattern.Target);
        float Pixel(int r, int c) => image[r * size + c];
        Assert.Multiple(() =>
        {
            Assert.That(pattern.Image.shape, Is.EqualTo(new long[] { 1, 1, size, size }));
            Assert.That(pattern.Target.shape, Is.EqualTo(new long[] { 1, 1, size - 2, size - 2 }));
            Assert.That(pattern.Image.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(pattern.PlusCenters, Has.Count.EqualTo(4));
            Assert.That(pattern.MinusCenters, Has.Count.EqualTo(5));
            Assert.That(image, Is.All.EqualTo(0f).Or.EqualTo(1f));
            Assert.That(image.Sum(), Is.EqualTo(5 * 4 + 3 * 5), "5 pixels per plus, 3 per minus");
            Assert.That(target, Is.All.EqualTo(-1f).Or.EqualTo(1f));
            Assert.That(target.Count(t => t == 1), Is.EqualTo(4));
            foreach (var (r, c) in pattern.PlusCenters)
            {
                Assert.That(target[(r - 1) * (size - 2) + c - 1], Is.EqualTo(1f), $"target at plus ({r}, {c})");
                Assert.That(new[] { Pixel(r, c), Pixel(r - 1, c), Pixel(r + 1, c), Pixel(r, c - 1), Pixel(r, c + 1) }, Is.All.EqualTo(1f));
                Assert.That(new[] { Pixel(r - 1, c - 1), Pixel(r - 1, c + 1), Pixel(r + 1, c - 1), Pixel(r + 1, c + 1) }, Is.All.EqualTo(0f));
            }
            foreach (var (r, c) in pattern.MinusCenters)
            {
                Assert.That(new[] { Pixel(r, c - 1), Pixel(r, c), Pixel(r, c + 1) }, Is.All.EqualTo(1f), $"minus ({r}, {c})");
                Assert.That(new[] { Pixel(r - 1, c), Pixel(r + 1, c) }, Is.All.EqualTo(0f));
            }
            // Inside the image, and every two 3x3 boxes at least one pixel apart.
            var centers = pattern.PlusCenters.Concat(pattern.MinusCenters).ToArray();
            Assert.That(centers.SelectMany(p => new[] { p.Row, p.Column }), Is.All.InRange(1, size - 2));
            for (var i = 0; i < centers.Length; i++)
                for (var j = i + 1; j < centers.Length; j++)
                    Assert.That(Math.Max(Math.Abs(centers[i].Row - centers[j].Row), Math.Abs(centers[i].Column - centers[j].Column)), Is.GreaterThanOrEqualTo(4));
        });
    }

    [Test]
    public void The_plus_shaped_filter_with_bias_minus_four_and_a_half_reproduces_the_target_signs()
    {
        using var pattern = PatternDetection.PlusMinusImage(plusCount: 6, minusCount: 6, seed: 9);
        using var scope = NewDisposeScope();
        var filter = tensor(new float[] { 0, 1, 0, 1, 1, 1, 0, 1, 0 }, [1, 1, 3, 3]);
        var response = nn.functional.conv2d(pattern.Image, filter) - 4.5f; // 5 - 4.5 at a plus; at most 3 - 4.5 elsewhere
        Assert.That(response.sign().equal(pattern.Target).all().item<bool>(), Is.True);
    }

    [Test]
    public void As_many_patterns_as_the_grid_holds_still_fit_and_one_more_is_refused()
    {
        // size 11: centres 1, 5, 9 on each axis, 9 patterns at most.
        using var full = PatternDetection.PlusMinusImage(11, plusCount: 5, minusCount: 4, seed: 1);
        Assert.Multiple(() =>
        {
            Assert.That(Floats(full.Image).Sum(), Is.EqualTo(5 * 5 + 4 * 3));
            Assert.That(() => PatternDetection.PlusMinusImage(11, plusCount: 5, minusCount: 5, seed: 1),
                Throws.ArgumentException.With.Message.Contain("cannot fit").And.Message.Contain("at most 9"));
        });
    }
}
