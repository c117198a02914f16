using TorchBinding.Data;
using TorchBinding.Metrics;
using TorchBinding.Models.Evaluation;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Evaluation;

/// <summary>
/// The MNIST feature network behind the classifier FID/KID: its cache key, its accuracy, and that the distances
/// it gives are about zero between real digits and grow as the digits are degraded. The first run on a machine
/// trains the network (about a minute on two cores) into the user's cache; later runs load it.
/// </summary>
[Category("Slow")]
public class MnistFeatureExtractorTests
{
    [Test]
    public void The_recipe_hash_names_the_recipe()
    {
        var recipe = new MnistFeatureRecipe();
        Assert.Multiple(() =>
        {
            Assert.That(recipe.Hash, Has.Length.EqualTo(16).And.Match("^[0-9a-f]+$"));
            Assert.That(new MnistFeatureRecipe().Hash, Is.EqualTo(recipe.Hash), "the same recipe, the same key");
            Assert.That((recipe with { Epochs = 3 }).Hash, Is.Not.EqualTo(recipe.Hash));
            Assert.That((recipe with { Network = recipe.Network with { Hidden = [64] } }).Hash, Is.Not.EqualTo(recipe.Hash));
            Assert.That(recipe.FeatureSize, Is.EqualTo(128));
            Assert.That(() => MnistFeatureExtractor.Load(new MnistFeatureOptions { Recipe = recipe with { Network = recipe.Network with { Hidden = [] } } }),
                Throws.ArgumentException.With.Message.Contain("hidden"));
        });
    }

    [Test]
    public void Real_digits_are_close_and_degraded_digits_move_away()
    {
        using var extractor = MnistFeatureExtractor.Load();
        using var test = Mnist.Load(DatasetPart.Test);
        using var scope = NewDisposeScope();
        // Even against odd test images: the first 5000 of MNIST's test set come from other writers (Census
        // employees) than the last 5000 (students), so the two halves are not one distribution.
        // 2000 of each keep the test short (the features of 14,000 images in all).
        var a = test.Inputs[TensorIndex.Slice(0, 4000, 2)];
        var b = test.Inputs[TensorIndex.Slice(1, 4000, 2)];
        manual_seed(1);
        var fid = new[] { 0.0, 0.1, 0.3 }.Select(s => extractor.FrechetDistance(a, (b + s * randn_like(b)).clamp(0, 1))).ToArray();
        var kid = extractor.KernelDistance(a, b, subsets: 20, subsetSize: 1000);
        var noisyKid = extractor.KernelDistance(a, (b + 0.2 * randn_like(b)).clamp(0, 1), subsets: 20, subsetSize: 1000);
        var blurred = nn.functional.avg_pool2d(b, 3, stride: 1, padding: 1);
        var predicted = extractor.Logits(b).argmax(1);
        TestContext.Out.WriteLine($"test accuracy {extractor.TestAccuracy:P2}; FID {string.Join(", ", fid.Select(f => f.ToString("F3")))}; KID {kid.Mean:F5} ± {kid.StandardDeviation:F5}, noisy {noisyKid.Mean:F5}");
        Assert.Multiple(() =>
        {
            // A small CNN of this kind reaches 99 % on MNIST's test set; 98.5 % leaves room for other libtorch builds.
            Assert.That(extractor.TestAccuracy, Is.GreaterThan(0.985));
            Assert.That(predicted.eq(test.Targets[TensorIndex.Slice(1, 4000, 2)]).to(float32).mean().item<float>(), Is.GreaterThan(0.985), "the loaded network classifies as stored");
            Assert.That(extractor.Features(a[..3]).shape, Is.EqualTo(new long[] { 3, 128 }));
            Assert.That(extractor.Features(a[..3].reshape(3, 784)), Is.EqualTo(extractor.Features(a[..3])).Using<Tensor>((x, y) => x.allclose(y)), "[N, 784] is the same images");
            Assert.That(fid, Is.Ordered.Ascending);
            Assert.That(fid[1], Is.GreaterThan(2 * fid[0]), "noise of std 0.1 already shows");
            Assert.That(Math.Abs(kid.Mean), Is.LessThan(5 * kid.StandardDeviation + 1e-3), "two halves of the test set: KID about 0");
            Assert.That(noisyKid.Mean, Is.GreaterThan(10 * Math.Abs(kid.Mean) + 10 * kid.StandardDeviation));
            Assert.That(extractor.FrechetDistance(a, blurred), Is.GreaterThan(fid[0]), "blurred digits");
        });
    }

    [Test]
    public void A_second_load_comes_from_the_cache_and_leaves_the_random_state_alone()
    {
        using (MnistFeatureExtractor.Load()) { } // trains once if the cache has no weights yet
        manual_seed(5);
        using var first = MnistFeatureExtractor.Load();
        using var afterLoad = randn(4);
        manual_seed(5);
        using var expected = randn(4);
        using var second = MnistFeatureExtractor.Load();
        using var images = rand(6, 1, 28, 28);
        using var f1 = first.Features(images);
        using var f2 = second.Features(images);
        Assert.Multiple(() =>
        {
            Assert.That(first.TrainedNow, Is.False);
            Assert.That(File.Exists(first.CachePath), Is.True);
            Assert.That(Path.GetFileName(first.CachePath), Does.Contain(first.Recipe.Hash));
            Assert.That(afterLoad.equal(expected).all().item<bool>(), Is.True, "libtorch's generator continues as if nothing had happened");
            Assert.That(f1.equal(f2).all().item<bool>(), Is.True, "the same weights");
            Assert.That(() => first.Features(images.reshape(6, 28 * 28)[.., ..700]), Throws.ArgumentException.With.Message.Contain("28x28").And.Message.Contain("[6, 700]"));
            Assert.That(() => first.Features(images.to(uint8)), Throws.ArgumentException.With.Message.Contain("floating-point"));
        });
    }

    [Test]
    public void A_damaged_cache_file_is_replaced_by_a_freshly_trained_network()
    {
        // A tiny recipe (one 3x3 block of 4 channels, 16 features, one epoch) in a folder of its own: this test
        // trains every time, in a few seconds, and still learns the digits well (> 90 %).
        var folder = Path.Combine(Path.GetTempPath(), "tb-features-" + Guid.NewGuid().ToString("N"));
        try
        {
            var recipe = new MnistFeatureRecipe { Network = new CnnOptions { Channels = [4], KernelSize = 3, BatchNorm = true, Hidden = [16] }, Epochs = 1, BatchSize = 256 };
            var path = Path.Combine(folder, $"mnist-features-{recipe.Hash}.bin");
            Directory.CreateDirectory(folder);
            File.WriteAllText(path, "not a network");
            var output = new StringWriter();
            using (var extractor = MnistFeatureExtractor.Load(new MnistFeatureOptions { Recipe = recipe, CacheFolder = folder, Progress = output }))
            {
                Assert.Multiple(() =>
                {
                    Assert.That(extractor.TrainedNow, Is.True);
                    Assert.That(extractor.CachePath, Is.EqualTo(path));
                    Assert.That(extractor.TestAccuracy, Is.GreaterThan(0.9));
                    Assert.That(output.ToString(), Does.Contain("unreadable").And.Contain("Training the MNIST feature network"));
                });
            }
            using var again = MnistFeatureExtractor.Load(new MnistFeatureOptions { Recipe = recipe, CacheFolder = folder, Progress = TextWriter.Null });
            Assert.Multiple(() =>
            {
                Assert.That(again.TrainedNow, Is.False);
                Assert.That(Directory.GetFiles(folder), Has.Length.EqualTo(1), "no temporary file left behind");
            });
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
