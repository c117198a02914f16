using TorchBinding.Data.Augmentation;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchBinding.Tests.Data.Augmentation.AugmentationTestData;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Augmentation;

/// <summary>What every batch transform promises: seeded reproducibility, shape/dtype/device kept, clear refusals, no leaks.</summary>
public class AugmentationContractTests
{
    /// <summary>Each transform, made from a seed, with settings under which it always changes a random batch.</summary>
    static IEnumerable<TestCaseData> Transforms()
    {
        yield return Case("horizontal flip", seed => new RandomHorizontalFlip(0.5, seed));
        yield return Case("vertical flip", seed => new RandomVerticalFlip(0.5, seed));
        yield return Case("rotation", seed => new RandomRotation(20, seed: seed));
        yield return Case("translation", seed => new RandomTranslation(3, 3, seed));
        yield return Case("crop", seed => new RandomCrop(4, seed: seed));
        yield return Case("crop, reflect", seed => new RandomCrop(2, PaddingModes.Reflect, seed));
        yield return Case("brightness", seed => new RandomBrightness(0.6, 1.4, seed: seed));
        yield return Case("contrast", seed => new RandomContrast(0.6, 1.4, seed: seed));
        yield return Case("noise", seed => new GaussianNoise(0.1, seed: seed));
        yield return Case("erasing", seed => new RandomErasing(p: 0.5, seed: seed));
        yield return Case("compose", seed => new Compose(new RandomCrop(2, seed: seed), new RandomHorizontalFlip(seed: seed + 1), new GaussianNoise(0.05, seed: seed + 2)));

        static TestCaseData Case(string name, Func<int, IBatchTransform> make) => new TestCaseData(make).SetArgDisplayNames(name);
    }

    [TestCaseSource(nameof(Transforms))]
    public void Same_seed_gives_the_same_batches_and_another_seed_others(Func<int, IBatchTransform> make)
    {
        using var scope = NewDisposeScope();
        var (a, b, c) = (make(11), make(11), make(12));
        for (var step = 0; step < 3; step++)
        {
            var batch = RandomBatch(n: 16, seed: step);
            var (outA, outB, outC) = (a.Apply(batch), b.Apply(batch), c.Apply(batch));
            Assert.That(Same(outA, outB), Is.True, $"step {step}: same seed");
            Assert.That(Same(outA, outC), Is.False, $"step {step}: different seed");
        }
    }

    [Test]
    public void Transforms_without_a_seed_follow_the_library_seed()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 16);
        Seeding.SeedEverything(21);
        var first = new RandomCrop(4).Apply(batch);
        Seeding.SeedEverything(21);
        var second = new RandomCrop(4).Apply(batch);
        Assert.That(Same(first, second), Is.True);
    }

    [TestCaseSource(nameof(Transforms))]
    public void Output_keeps_shape_dtype_and_device(Func<int, IBatchTransform> make)
    {
        using var scope = NewDisposeScope();
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.Float64, ScalarType.Float16 })
        {
            var batch = RandomBatch(n: 4, c: 3, h: 10, w: 14, dtype: dtype);
            var output = make(1).Apply(batch);
            Assert.Multiple(() =>
            {
                Assert.That(output.shape, Is.EqualTo(batch.shape), dtype.ToString());
                Assert.That(output.dtype, Is.EqualTo(dtype));
                Assert.That(output.device_type, Is.EqualTo(DeviceType.CPU));
            });
        }
    }

    [TestCaseSource(nameof(Transforms))]
    public void An_empty_batch_gives_an_empty_batch(Func<int, IBatchTransform> make)
    {
        using var scope = NewDisposeScope();
        var output = make(1).Apply(zeros(0, 3, 8, 8));
        Assert.That(output.shape, Is.EqualTo(new long[] { 0, 3, 8, 8 }));
    }

    [TestCaseSource(nameof(Transforms))]
    public void Output_stays_on_a_cuda_device(Func<int, IBatchTransform> make)
    {
        if (!cuda.is_available())
            Assert.Ignore("CUDA is not available.");
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 4).cuda();
        var output = make(1).Apply(batch);
        var onCpu = make(1).Apply(batch.cpu());
        Assert.Multiple(() =>
        {
            Assert.That(output.device_type, Is.EqualTo(DeviceType.CUDA));
            Assert.That(output.shape, Is.EqualTo(batch.shape));
            // Parameters (and noise) are drawn on the CPU: the same seed does the same on every device.
            TensorAssert.AreClose(output.cpu(), onCpu, rtol: 1e-4, atol: 1e-5, what: "same result as on the CPU");
        });
    }

    [TestCaseSource(nameof(Transforms))]
    public void A_call_leaves_only_its_result_alive(Func<int, IBatchTransform> make)
    {
        using var batch = RandomBatch(n: 8);
        var transform = make(3);
        transform.Apply(batch).Dispose(); // first call: any one-time set-up
        var before = LiveTensors;
        for (var i = 0; i < 5; i++)
        {
            using var output = transform.Apply(batch);
            Assert.That(LiveTensors, Is.EqualTo(before + 1), $"call {i}: the result only");
        }
        Assert.That(LiveTensors, Is.EqualTo(before));
    }

    [Test]
    public void Mixup_leaves_only_its_result_alive()
    {
        using var inputs = RandomBatch(n: 8);
        using var labels = zeros(8, dtype: int64);
        var mixup = new Mixup(10, seed: 1);
        var before = LiveTensors;
        using (mixup.Apply(inputs, labels))
            Assert.That(LiveTensors, Is.EqualTo(before + 2), "inputs and targets");
        Assert.That(LiveTensors, Is.EqualTo(before));
    }

    [TestCaseSource(nameof(Transforms))]
    public void Batches_that_are_not_float_images_are_refused_with_their_shape(Func<int, IBatchTransform> make)
    {
        var transform = make(1);
        using var flat = zeros(3, 8, 8);
        using var integers = zeros([2, 1, 4, 4], dtype: int64);
        Assert.Multiple(() =>
        {
            Assert.That(() => transform.Apply(flat), Throws.ArgumentException.With.Message.Contain("[N, C, H, W]").And.Message.Contain("[3, 8, 8]"));
            Assert.That(() => transform.Apply(integers), Throws.ArgumentException.With.Message.Contain("floating").And.Message.Contain("Int64"));
        });
    }

    [Test]
    public void Out_of_range_settings_are_refused()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new RandomHorizontalFlip(1.5), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("[0, 1]"));
            Assert.That(() => new RandomVerticalFlip(-0.1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("[0, 1]"));
            Assert.That(() => new RandomErasing(p: double.NaN), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new RandomRotation(200), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("180"));
            Assert.That(() => new RandomTranslation(-1, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new RandomCrop(-2), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new RandomBrightness(1.5, 0.5), Throws.ArgumentException.With.Message.Contain("[1.5, 0.5]"));
            Assert.That(() => new RandomContrast(-1, 1), Throws.ArgumentException.With.Message.Contain("min"));
            Assert.That(() => new GaussianNoise(-0.1), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new RandomErasing(minArea: 0, maxArea: 0.2), Throws.ArgumentException.With.Message.Contain("(0, 1]"));
            Assert.That(() => new RandomErasing(minArea: 0.3, maxArea: 0.2), Throws.ArgumentException.With.Message.Contain("area"));
            Assert.That(() => new RandomErasing(minAspect: 2, maxAspect: 1), Throws.ArgumentException.With.Message.Contain("aspect"));
            Assert.That(() => new Compose(new RandomCrop(1), null!), Throws.ArgumentException);
        });
    }

    [Test]
    public void Compose_runs_its_transforms_in_order()
    {
        using var scope = NewDisposeScope();
        var batch = RandomBatch(n: 8);
        var composed = new Compose(new RandomCrop(3, seed: 1), new RandomHorizontalFlip(seed: 2), new RandomBrightness(0.5, 1.5, seed: 3)).Apply(batch);
        var byHand = new RandomBrightness(0.5, 1.5, seed: 3).Apply(new RandomHorizontalFlip(seed: 2).Apply(new RandomCrop(3, seed: 1).Apply(batch)));
        Assert.Multiple(() =>
        {
            Assert.That(Same(composed, byHand), Is.True);
            Assert.That(Same(new Compose().Apply(batch), batch), Is.True, "an empty pipeline is identity");
        });
    }
}
