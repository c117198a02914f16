using System.IO.Compression;
using static TorchSharp.torch;

namespace TorchBinding.Data;

/// <summary>
/// The UCI optical handwritten digits, embedded in the library: 1797 grey images of 8x8 pixels with
/// labels 0..9, the data set the quick start trains on without downloading anything. Attribution:
/// E. Alpaydin and C. Kaynak, UCI Machine Learning Repository (CC BY 4.0), see Data/Resources/ATTRIBUTION.md.
/// </summary>
public static class Digits
{
    /// <summary>Number of images.</summary>
    public const int Count = 1797;

    /// <summary>Images are <c>Size x Size</c> pixels.</summary>
    public const int Size = 8;

    /// <summary>
    /// Loads the digits with pixels scaled from 0..16 to [0, 1]: inputs float32 <c>[1797, 64]</c> when
    /// <paramref name="flatten"/>, else <c>[1797, 1, 8, 8]</c>; targets int64 <c>[1797]</c>.
    /// </summary>
    public static InMemoryDataset Load(bool flatten = true)
    {
        using var resource = typeof(Digits).Assembly.GetManifestResourceStream("TorchBinding.Data.digits.csv.gz")
            ?? throw new InvalidOperationException("The embedded digits resource is missing from the TorchBinding assembly.");
        using var gzip = new GZipStream(resource, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip);
        using var raw = CsvTable.Read(reader, "digits.csv.gz (embedded)", hasHeader: false,
            classNames: Enumerable.Range(0, 10).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray());
        if (raw.Count != Count || raw.InputShape[0] != Size * Size)
            throw new InvalidDataException($"The embedded digits hold {Shapes.Format(raw.Inputs)}, not [{Count}, {Size * Size}].");
        using var scope = NewDisposeScope();
        var scaled = raw.Inputs / 16f;
        var inputs = flatten ? scaled : scaled.reshape(Count, 1, Size, Size);
        return new InMemoryDataset(inputs, raw.Targets.clone(), "digits", raw.ClassNames);
    }
}
