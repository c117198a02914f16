using TorchBinding.Data.Augmentation;
using static TorchBinding.Tests.Data.Augmentation.AugmentationTestData;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Augmentation;

public class PhotometricTests
{
    static Tensor Factors(IReadOnlyList<double> factors) => tensor(factors.ToArray(), dtype: float32).view(-1, 1, 1, 1);

    [Test]
    public void Brightness_multiplies_each_image_by_its_factor_and_clamps()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 16);
        var brightness = new RandomBrightness(0.5, 1.5, seed: 1);
        var output = brightness.Apply(batch);
        Assert.That(brightness.LastFactors, Has.Count.EqualTo(16).And.All.InRange(0.5, 1.5));
        Assert.That(brightness.LastFactors.Max(), Is.GreaterThan(1.1), "some images brighter");
        TensorAssert.AreClose(output, (batch * Factors(brightness.LastFactors)).clamp(0, 1), rtol: 1e-6, atol: 1e-6);
    }

    [Test]
    public void Brightness_without_clamping_is_the_plain_product()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 16);
        var brightness = new RandomBrightness(1.5, 2, clamp: false, seed: 2);
        var output = brightness.Apply(batch);
        Assert.Multiple(() =>
        {
            TensorAssert.AreClose(output, batch * Factors(brightness.LastFactors), rtol: 1e-6, atol: 1e-6);
            Assert.That(output.max().item<float>(), Is.GreaterThan(1f));
        });
    }

    [Test]
    public void Contrast_blends_each_image_with_its_mean()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 16);
        var contrast = new RandomContrast(0.2, 1.8, seed: 3);
        var output = contrast.Apply(batch);
        var f = Factors(contrast.LastFactors);
        var mean = batch.mean([1, 2, 3], keepdim: true);
        Assert.That(contrast.LastFactors, Has.Count.EqualTo(16).And.All.InRange(0.2, 1.8));
        TensorAssert.AreClose(output, (f * batch + (1 - f) * mean).clamp(0, 1), rtol: 1e-5, atol: 1e-6);
    }

    [Test]
    public void Contrast_factor_zero_gives_the_flat_mean_image()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 4);
        var output = new RandomContrast(0, 0, seed: 4).Apply(batch);
        TensorAssert.AreClose(output, batch.mean([1, 2, 3], keepdim: true).expand_as(batch), rtol: 1e-5, atol: 1e-6);
    }

    [Test]
    public void Noise_has_the_requested_standard_deviation_and_mean_zero()
    {
        using var scope = NewDisposeScope();
        var batch = full(64, 3, 32, 32, 0.5f);
        var noise = new GaussianNoise(0.1, clamp: false, seed: 5).Apply(batch) - batch;
        Assert.Multiple(() =>
        {
            Assert.That(noise.std().item<float>(), Is.EqualTo(0.1).Within(5).Percent);
            Assert.That(noise.mean().item<float>(), Is.EqualTo(0).Within(0.002));
        });
    }

    [Test]
    public void Clamped_noise_stays_in_the_unit_interval()
    {
        using var scope = NewDisposeScope();
        var output = new GaussianNoise(0.5, seed: 6).Apply(RandomBatch());
        Assert.Multiple(() =>
        {
            Assert.That(output.min().item<float>(), Is.EqualTo(0f));
            Assert.That(output.max().item<float>(), Is.EqualTo(1f));
        });
    }
}
