using TorchBinding.Data.Files;

namespace TorchBinding.Data;

/// <summary>
/// A classification data set known by name (for configurations and the command line): what it holds and how to load
/// its training and test parts. Data sets without a fixed division (the embedded digits and iris) are split into
/// 80 % training and 20 % test by a fixed seed, stratified, so every caller gets the same two parts.
/// </summary>
/// <param name="Name">The name, e.g. <c>mnist</c>.</param>
/// <param name="Description">One line on what it is.</param>
/// <param name="InputShape">The shape of one input, e.g. <c>[1, 28, 28]</c> (images are <c>[C, H, W]</c>).</param>
/// <param name="Classes">The number of classes.</param>
/// <param name="Files">The files it is read from (null: embedded in the library).</param>
/// <param name="Loader">Loads a part.</param>
public sealed record DatasetEntry(
    string Name,
    string Description,
    IReadOnlyList<long> InputShape,
    int Classes,
    DatasetDefinition? Files,
    Func<DatasetPart, DataLocation?, CancellationToken, InMemoryDataset> Loader)
{
    /// <summary>Whether the inputs are images <c>[C, H, W]</c>.</summary>
    public bool IsImages => InputShape.Count == 3;

    /// <summary>Loads the training or the test part (files are found or fetched as <see cref="DatasetFiles"/> describes).</summary>
    public InMemoryDataset Load(DatasetPart part, DataLocation? location = null, CancellationToken cancellation = default) => Loader(part, location, cancellation);

    /// <summary>Where its files are on this machine without downloading anything (empty for embedded data), or null when some are missing.</summary>
    public IReadOnlyList<string>? FindLocally(DataLocation? location = null)
    {
        if (Files is null)
            return [];
        var local = (location ?? new DataLocation()) with { AllowDownload = false, Progress = new Progress<DownloadProgress>() };
        var paths = new List<string>();
        foreach (var file in Files.Files)
        {
            try
            {
                paths.Add(DatasetFiles.Locate(Files, file.Name, local).Path);
            }
            catch (FileNotFoundException)
            {
                return null;
            }
        }
        return paths;
    }
}

/// <summary>
/// The data sets by name: <c>digits</c> and <c>iris</c> (embedded), <c>mnist</c> and <c>fashion-mnist</c> (found or fetched).
/// Add an entry to <see cref="All"/> to make another one available to the command line.
/// </summary>
public static class DatasetCatalog
{
    /// <summary>The seed of the fixed train/test split of data sets that have none of their own.</summary>
    public const int SplitSeed = 0;

    /// <summary>Every data set, by name.</summary>
    public static IReadOnlyList<DatasetEntry> All { get; } =
    [
        new("digits", "UCI optical digits, 1797 grey 8x8 images, 10 classes (embedded)", [1, 8, 8], 10, null,
            (part, _, _) => Fixed(Digits.Load(flatten: false), part)),
        new("iris", "Fisher's iris, 150 flowers, 4 measurements, 3 species (embedded)", [4], 3, null,
            (part, _, _) => Fixed(Iris.Load(), part)),
        new("mnist", "MNIST handwritten digits, 60000 + 10000 grey 28x28 images, 10 classes", [1, 28, 28], 10, Mnist.Definition,
            (part, location, cancellation) => Mnist.Load(part, location, cancellation)),
        new("fashion-mnist", "Fashion-MNIST articles, 60000 + 10000 grey 28x28 images, 10 classes", [1, 28, 28], 10, FashionMnist.Definition,
            (part, location, cancellation) => FashionMnist.Load(part, location, cancellation)),
    ];

    /// <summary>The names, in catalog order.</summary>
    public static IReadOnlyList<string> Names => All.Select(e => e.Name).ToList();

    /// <summary>A data set by name (case-insensitive; <c>_</c> and <c>-</c> alike).</summary>
    /// <exception cref="ArgumentException">No data set has that name; the message lists the names.</exception>
    public static DatasetEntry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().Replace('_', '-');
        return All.FirstOrDefault(e => e.Name.Equals(key, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown data set '{name}'; the data sets are: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>The 80/20 stratified split with <see cref="SplitSeed"/>; the other part is disposed.</summary>
    static InMemoryDataset Fixed(InMemoryDataset all, DatasetPart part)
    {
        using (all)
        {
            var (train, test) = DatasetSplits.TrainTest(all, 0.2, SplitSeed);
            (part == DatasetPart.Train ? test : train).Dispose();
            return part == DatasetPart.Train ? train : test;
        }
    }
}
