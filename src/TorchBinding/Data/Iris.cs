namespace TorchBinding.Data;

/// <summary>
/// Fisher's Iris data, embedded: 150 flowers with 4 measurements in cm (sepal length, sepal width, petal
/// length, petal width) and 3 balanced species. Inputs float32 <c>[150, 4]</c> (unscaled), targets int64
/// <c>[150]</c>. Attribution: R. A. Fisher (1936), UCI Machine Learning Repository (CC BY 4.0).
/// </summary>
public static class Iris
{
    /// <summary>The feature names, in column order.</summary>
    public static readonly IReadOnlyList<string> FeatureNames = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"];

    /// <summary>Loads the embedded table.</summary>
    public static InMemoryDataset Load()
    {
        using var resource = typeof(Iris).Assembly.GetManifestResourceStream("TorchBinding.Data.iris.csv")
            ?? throw new InvalidOperationException("The embedded iris resource is missing from the TorchBinding assembly.");
        using var reader = new StreamReader(resource);
        // scikit-learn's layout: the first line is "samples,features,class names...".
        var header = reader.ReadLine()?.Split(',') ?? throw new InvalidDataException("iris.csv (embedded) is empty.");
        var dataset = CsvTable.Read(reader, "iris.csv (embedded)", hasHeader: false, classNames: header[2..]);
        return dataset.Count == 150 ? dataset : throw new InvalidDataException($"iris.csv (embedded) holds {dataset.Count} rows, not 150.");
    }
}
