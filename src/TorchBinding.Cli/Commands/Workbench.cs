using TorchBinding.Data;
using TorchBinding.Models;
using static TorchSharp.torch;

namespace TorchBinding.Cli.Commands;

/// <summary>The parts of a run's data: training (limited, if asked), validation (held out of it, if asked) and test.</summary>
sealed class RunData(InMemoryDataset train, InMemoryDataset? validation, InMemoryDataset test, IReadOnlyList<IDisposable> owned) : IDisposable
{
    public InMemoryDataset Train { get; } = train;
    public InMemoryDataset? Validation { get; } = validation;
    public InMemoryDataset Test { get; } = test;

    public void Dispose()
    {
        foreach (var item in owned)
            item.Dispose();
    }
}

/// <summary>What train and evaluate share: loading a catalog data set and building a catalog model for it.</summary>
static class Workbench
{
    /// <summary>The training part (its first <paramref name="limit"/> samples), a seeded stratified validation split of it, and the test part.</summary>
    public static RunData Load(DatasetEntry dataset, int? limit, double validationFraction, int seed)
    {
        var owned = new List<IDisposable>();
        var train = dataset.Load(DatasetPart.Train);
        owned.Add(train);
        if (limit is { } n && n < train.Count)
        {
            train = train.Take(n);
            owned.Add(train);
        }
        InMemoryDataset? validation = null;
        if (validationFraction > 0)
        {
            InMemoryDataset rest, held;
            try
            {
                (rest, held) = DatasetSplits.TrainValidation(train, validationFraction, seed);
            }
            catch (ArgumentException e) when (e.ParamName == "fractions")
            {
                foreach (var part in owned)
                    part.Dispose();
                var options = limit is { } l ? $"--limit {l} with --validation {validationFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}" : $"--validation {validationFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
                throw new UsageException($"{options}: {Guard.Message(e)} Give more training samples (--limit) or set --validation 0.");
            }
            owned.Add(rest);
            owned.Add(held);
            (train, validation) = (rest, held);
        }
        var test = dataset.Load(DatasetPart.Test);
        owned.Add(test);
        return new RunData(train, validation, test, owned);
    }

    /// <summary>The model for the data set's inputs and classes; a model that cannot take the data is a usage mistake.</summary>
    public static nn.Module<Tensor, Tensor> CreateModel(ModelEntry entry, DatasetEntry dataset, IReadOnlyList<int>? hidden)
    {
        try
        {
            return entry.Create(new ModelRequest(dataset.InputShape, dataset.Classes, hidden));
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"{entry.Name} cannot be built for {dataset.Name} (inputs [{string.Join(", ", dataset.InputShape)}], {dataset.Classes} classes): {e.Message}");
        }
    }
}
