namespace TorchBinding.Data;

/// <summary>Train / validation / test splits of an in-memory data set, seeded and optionally stratified.</summary>
public static class DatasetSplits
{
    /// <summary>
    /// Splits into a training and a held-out test part. With <paramref name="stratify"/>, each class is
    /// split in the same proportion (classes from the targets), so small test sets keep the class balance.
    /// </summary>
    public static (InMemoryDataset Train, InMemoryDataset Test) TrainTest(InMemoryDataset dataset, double testFraction, int seed, bool stratify = true)
    {
        var parts = Split(dataset, [1 - testFraction, testFraction], seed, stratify);
        return (parts[0], parts[1]);
    }

    /// <summary>
    /// Splits into a training part and a validation part held out of it: <see cref="TrainTest"/> with the second
    /// part named (and reported) as the validation part.
    /// </summary>
    public static (InMemoryDataset Train, InMemoryDataset Validation) TrainValidation(InMemoryDataset dataset, double validationFraction, int seed, bool stratify = true)
    {
        var parts = Split(dataset, [1 - validationFraction, validationFraction], seed, stratify, ["train", "validation"]);
        return (parts[0], parts[1]);
    }

    /// <summary>Splits into training, validation and test parts.</summary>
    public static (InMemoryDataset Train, InMemoryDataset Validation, InMemoryDataset Test) TrainValidationTest(
        InMemoryDataset dataset, double validationFraction, double testFraction, int seed, bool stratify = true)
    {
        var parts = Split(dataset, [1 - validationFraction - testFraction, validationFraction, testFraction], seed, stratify);
        return (parts[0], parts[1], parts[2]);
    }

    /// <summary>Splits by fractions that sum to 1; every part gets at least one sample.</summary>
    /// <param name="dataset">The data set.</param>
    /// <param name="fractions">Each part's share.</param>
    /// <param name="seed">The seed of the shuffle.</param>
    /// <param name="stratify">Split each class in the same proportions.</param>
    /// <param name="names">The parts' names, in messages and subset names (null: train/test, train/validation/test, or part0, part1, ...).</param>
    public static InMemoryDataset[] Split(InMemoryDataset dataset, IReadOnlyList<double> fractions, int seed, bool stratify = true, IReadOnlyList<string>? names = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        if (names is not null && names.Count != fractions.Count)
            throw new ArgumentException($"Split: {names.Count} part names for {fractions.Count} fractions.", nameof(names));
        if (fractions.Any(f => f <= 0 || f >= 1) || Math.Abs(fractions.Sum() - 1) > 1e-9)
            throw new ArgumentException($"Split fractions [{string.Join(", ", fractions)}] must each lie in (0, 1) and sum to 1.", nameof(fractions));
        var random = new Random(seed);
        var groups = stratify
            ? dataset.ClassLabels().Select((label, index) => (label, index: (long)index)).GroupBy(p => p.label).OrderBy(g => g.Key).Select(g => g.Select(p => p.index).ToArray()).ToList()
            : [Enumerable.Range(0, dataset.Count).Select(i => (long)i).ToArray()];
        var parts = fractions.Select(_ => new List<long>()).ToArray();
        foreach (var group in groups)
        {
            random.Shuffle(group);
            var start = 0;
            for (var p = 0; p < fractions.Count; p++)
            {
                var end = p == fractions.Count - 1 ? group.Length : start + (int)Math.Round(group.Length * fractions[p]);
                end = Math.Min(end, group.Length);
                parts[p].AddRange(group[start..end]);
                start = end;
            }
        }
        names ??= fractions.Count == 2 ? ["train", "test"] : fractions.Count == 3 ? ["train", "validation", "test"] : fractions.Select((_, i) => $"part{i}").ToArray();
        for (var p = 0; p < parts.Length; p++)
        {
            if (parts[p].Count == 0)
                throw new ArgumentException($"{dataset.Name}: split part '{names[p]}' ({fractions[p]:P0} of {dataset.Count} samples) would be empty.", nameof(fractions));
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(parts[p]));
        }
        return parts.Select((indices, p) => dataset.Subset(indices, $"{dataset.Name}/{names[p]}")).ToArray();
    }
}
