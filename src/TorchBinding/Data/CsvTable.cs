using System.Globalization;
using System.IO.Compression;
using static TorchSharp.torch;

namespace TorchBinding.Data;

/// <summary>
/// Numeric tables in CSV form: feature columns and one label column (Iris, the digits, wine, ...).
/// A ragged row, a non-numeric cell or an empty table is an <see cref="InvalidDataException"/> naming the
/// source, line and column.
/// </summary>
public static class CsvTable
{
    /// <summary>Reads a CSV file (a <c>.gz</c> one is decompressed) into a data set.</summary>
    /// <param name="path">The file.</param>
    /// <param name="labelColumn">Index of the label column; negative counts from the end (-1 = last).</param>
    /// <param name="hasHeader">Whether the first line holds column names (null: decided by whether it parses as numbers).</param>
    /// <param name="classNames">Class names, when the labels are class indices 0..K-1.</param>
    public static InMemoryDataset Load(string path, int labelColumn = -1, bool? hasHeader = null, IReadOnlyList<string>? classNames = null)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"CSV file '{path}' does not exist.", path);
        using var file = File.OpenRead(path);
        using var stream = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : (Stream)file;
        using var reader = new StreamReader(stream);
        return Read(reader, path, labelColumn, hasHeader, classNames);
    }

    /// <summary>Reads CSV text into a data set: features float32 <c>[N, D]</c>, labels int64 <c>[N]</c>.</summary>
    /// <param name="reader">The text.</param>
    /// <param name="source">Names the text in messages (a file name).</param>
    /// <param name="labelColumn">Index of the label column; negative counts from the end (-1 = last).</param>
    /// <param name="hasHeader">Whether the first line holds column names (null: decided by whether it parses as numbers).</param>
    /// <param name="classNames">Class names, when the labels are class indices 0..K-1.</param>
    public static InMemoryDataset Read(TextReader reader, string source, int labelColumn = -1, bool? hasHeader = null, IReadOnlyList<string>? classNames = null)
    {
        var features = new List<float>();
        var labels = new List<long>();
        int? width = null;
        var lineNumber = 0;
        var first = true;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var cells = line.Split(',');
            if (first)
            {
                first = false;
                var looksLikeHeader = cells.Any(c => !double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
                if (hasHeader ?? looksLikeHeader)
                    continue;
            }
            width ??= cells.Length;
            if (cells.Length != width)
                throw new InvalidDataException($"{source}, line {lineNumber}: {cells.Length} cells where the rows before have {width} (ragged row).");
            if (width < 2)
                throw new InvalidDataException($"{source}, line {lineNumber}: a row needs at least one feature and a label, found {width} cell(s).");
            var label = labelColumn < 0 ? width.Value + labelColumn : labelColumn;
            if (label < 0 || label >= width)
                throw new ArgumentOutOfRangeException(nameof(labelColumn), labelColumn, $"{source}: label column {labelColumn} is outside the {width} columns.");
            for (var c = 0; c < cells.Length; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw new InvalidDataException($"{source}, line {lineNumber}, column {c + 1}: '{cells[c]}' is not a number.");
                if (c == label)
                {
                    if (value != Math.Floor(value) || value < 0)
                        throw new InvalidDataException($"{source}, line {lineNumber}, column {c + 1}: label '{cells[c]}' is not a class index (a whole number >= 0).");
                    labels.Add((long)value);
                }
                else
                {
                    features.Add((float)value);
                }
            }
        }
        if (labels.Count == 0)
            throw new InvalidDataException($"{source}: the table has no data rows.");
        var inputs = tensor(features.ToArray(), [labels.Count, width!.Value - 1]);
        var targets = tensor(labels.ToArray(), [labels.Count]);
        return new InMemoryDataset(inputs, targets, Path.GetFileName(source), classNames);
    }
}
