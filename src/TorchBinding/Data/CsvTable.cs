using System.Globalization;
using System.IO.Compression;
using static TorchSharp.torch;

namespace TorchBinding.Data;

/// <summary>
/// Numeric tables in CSV form: feature columns and one label column (Iris, the digits, wine, ...).
/// Every bad cell is an <see cref="InvalidDataException"/> naming the source, line and column: a ragged row, a
/// cell that is not a finite number (NaN and infinities included), a feature beyond float32's range, a label that
/// is not a class index (a whole number from 0 to 2³¹ − 1), an empty table. Without <c>hasHeader</c>, the first
/// line is a header when none of its cells is a number (column names); a first line with numbers is data, so a
/// mistyped cell in it is reported, not skipped as a "header".
/// </summary>
public static class CsvTable
{
    /// <summary>Reads a CSV file (a <c>.gz</c> one is decompressed) into a data set.</summary>
    /// <param name="path">The file.</param>
    /// <param name="labelColumn">Index of the label column; negative counts from the end (-1 = last).</param>
    /// <param name="hasHeader">Whether the first line holds column names (null: it does when none of its cells is a number).</param>
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
    /// <param name="hasHeader">Whether the first line holds column names (null: it does when none of its cells is a number).</param>
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
                var looksLikeHeader = !cells.Any(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
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
                string Where() => $"{source}, line {lineNumber}, column {c + 1}";
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                    throw new InvalidDataException($"{Where()}: '{cells[c]}' is not a number.");
                if (!double.IsFinite(value))
                    throw new InvalidDataException($"{Where()}: '{cells[c]}' is not a finite number.");
                if (c == label)
                {
                    if (value != Math.Floor(value) || value < 0 || value > int.MaxValue)
                        throw new InvalidDataException($"{Where()}: label '{cells[c]}' is not a class index (a whole number from 0 to {int.MaxValue}).");
                    labels.Add((long)value);
                }
                else
                {
                    var single = (float)value;
                    if (!float.IsFinite(single))
                        throw new InvalidDataException($"{Where()}: '{cells[c]}' is beyond the range of float32 features (±{float.MaxValue:G3}).");
                    features.Add(single);
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
