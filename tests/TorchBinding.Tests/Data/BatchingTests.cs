using TorchBinding.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data;

public class BatchingTests
{
    /// <summary>A data set whose input k is the number k and whose target is k mod 3, so batches reveal their samples.</summary>
    static InMemoryDataset Numbered(int n) =>
        new(arange(n, dtype: float32).reshape(n, 1), arange(n, dtype: int64).remainder(3), "numbered");

    static List<long[]> Epoch(BatchLoader loader)
    {
        using var scope = NewDisposeScope(); // the test's own reads make tensors too
        return loader.Select(b => b.Inputs.flatten().to(int64).data<long>().ToArray()).ToList();
    }

    [TestCase(100, 32, false)]
    [TestCase(100, 25, false)]
    [TestCase(101, 10, true)]
    public void Each_sample_is_visited_exactly_once_per_epoch(int n, int batch, bool shuffle)
    {
        using var data = Numbered(n);
        using var loader = data.Batches(batch, new BatchOptions { Shuffle = shuffle, Seed = 1 });
        for (var epoch = 0; epoch < 3; epoch++)
        {
            var batches = Epoch(loader);
            Assert.Multiple(() =>
            {
                Assert.That(batches, Has.Count.EqualTo(loader.Count).And.Count.EqualTo((n + batch - 1) / batch));
                Assert.That(batches.SelectMany(b => b).Order(), Is.EqualTo(Enumerable.Range(0, n).Select(i => (long)i)));
                Assert.That(batches.Take(batches.Count - 1).Select(b => b.Length), Has.All.EqualTo(batch));
            });
        }
    }

    [Test]
    public void Targets_travel_with_their_inputs()
    {
        using var data = Numbered(50);
        using var loader = data.Batches(7, new BatchOptions { Seed = 3 });
        foreach (var (x, y) in loader)
            Assert.That(x.flatten().to(int64).remainder(3).equal(y).all().item<bool>(), Is.True);
    }

    [Test]
    public void Drop_last_leaves_out_the_short_batch()
    {
        using var data = Numbered(103);
        using var loader = data.Batches(10, new BatchOptions { DropLast = true, Seed = 2 });
        var batches = Epoch(loader);
        Assert.Multiple(() =>
        {
            Assert.That(loader.Count, Is.EqualTo(10));
            Assert.That(loader.SampleCount, Is.EqualTo(100));
            Assert.That(batches, Has.Count.EqualTo(10));
            Assert.That(batches.Select(b => b.Length), Has.All.EqualTo(10));
            Assert.That(batches.SelectMany(b => b).Distinct().Count(), Is.EqualTo(100));
        });
    }

    [Test]
    public void Order_is_reproducible_under_a_seed_and_changes_between_epochs()
    {
        using var data = Numbered(64);
        using var a = data.Batches(16, new BatchOptions { Seed = 11 });
        using var b = data.Batches(16, new BatchOptions { Seed = 11 });
        using var c = data.Batches(16, new BatchOptions { Seed = 12 });
        var (a1, a2) = (Epoch(a).SelectMany(x => x).ToArray(), Epoch(a).SelectMany(x => x).ToArray());
        var (b1, b2) = (Epoch(b).SelectMany(x => x).ToArray(), Epoch(b).SelectMany(x => x).ToArray());
        var c1 = Epoch(c).SelectMany(x => x).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(b1, Is.EqualTo(a1));
            Assert.That(b2, Is.EqualTo(a2));
            Assert.That(a2, Is.Not.EqualTo(a1), "a new order each epoch");
            Assert.That(c1, Is.Not.EqualTo(a1), "another seed, another order");
        });
    }

    [Test]
    public void Unshuffled_batches_are_in_order()
    {
        using var data = Numbered(10);
        using var loader = data.Batches(4, new BatchOptions { Shuffle = false });
        Assert.That(Epoch(loader).SelectMany(b => b), Is.EqualTo(Enumerable.Range(0, 10).Select(i => (long)i)));
    }

    [Test]
    public void Batches_are_made_on_the_requested_device()
    {
        var device = cuda.is_available() ? CUDA : CPU;
        using var data = Numbered(20);
        using var loader = data.Batches(8, new BatchOptions { Device = device, Seed = 1 });
        foreach (var (x, y) in loader)
            Assert.That((x.device_type, y.device_type), Is.EqualTo((device.type, device.type)));
    }

    [Test]
    public void Batches_are_released_as_the_epoch_moves_on()
    {
        using var data = Numbered(1000);
        using var loader = data.Batches(10, new BatchOptions { Seed = 1 });
        _ = Epoch(loader); // warm-up: allocations of the first epoch
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        _ = Epoch(loader);
        Assert.That(DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before), "no batch tensor outlives its epoch");
    }

    [Test]
    public void Non_positive_batch_size_is_refused()
    {
        using var data = Numbered(5);
        Assert.That(() => data.Batches(0), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("batch size"));
    }
}

public class BatchTransformTests
{
    [Test]
    public void A_transform_is_applied_to_every_batch_and_leaves_no_tensor_behind()
    {
        using var data = new InMemoryDataset(ones(40, 1, 4, 4), zeros(40, dtype: int64), "ones");
        using var loader = data.Batches(16, new BatchOptions { Seed = 1, Transform = new TorchBinding.Data.Augmentation.RandomBrightness(2, 2, clamp: false, seed: 1) });
        using (NewDisposeScope())
            _ = loader.Select(b => b.Inputs.sum().item<float>()).ToList(); // warm-up
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        List<float> sums;
        using (NewDisposeScope())
            sums = loader.Select(b => b.Inputs.mean().item<float>()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(sums, Has.All.EqualTo(2f), "every input doubled");
            Assert.That(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before));
        });
    }
}
