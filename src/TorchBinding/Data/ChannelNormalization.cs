using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Data;

/// <summary>
/// Per-channel standardisation, x' = (x − mean_c) / std_c, with the statistics of one data set (fit it
/// on the training split only, then apply it to every split, so no test information leaks into training).
/// Channels are dimension 1 of the inputs (<c>[N, C, ...]</c>); for flat inputs <c>[N, D]</c> each feature is
/// a channel.
/// </summary>
public sealed class ChannelNormalization
{
    ChannelNormalization(double[] mean, double[] std) => (Mean, Std) = (mean, std);

    /// <summary>Per-channel means.</summary>
    public IReadOnlyList<double> Mean { get; }

    /// <summary>Per-channel standard deviations (population; channels with zero spread get 1).</summary>
    public IReadOnlyList<double> Std { get; }

    /// <summary>Known statistics, e.g. MNIST's 0.1307 / 0.3081.</summary>
    public static ChannelNormalization FromStatistics(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        if (mean.Count == 0 || mean.Count != std.Count)
            throw new ArgumentException($"Normalisation needs one mean and one std per channel; got {mean.Count} means and {std.Count} stds.");
        if (std.Any(s => !(s > 0)))
            throw new ArgumentException($"Normalisation std values must be positive; got [{string.Join(", ", std)}].");
        return new ChannelNormalization(mean.ToArray(), std.ToArray());
    }

    /// <summary>Computes the statistics of <paramref name="training"/>'s inputs.</summary>
    public static ChannelNormalization Fit(InMemoryDataset training)
    {
        ArgumentNullException.ThrowIfNull(training);
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var x = training.Inputs.to(float64);
        if (x.dim() < 2)
            throw new ArgumentException($"{training.Name}: inputs {Shapes.Format(x)} have no channel dimension.");
        var perChannel = x.transpose(0, 1).reshape(x.shape[1], -1);
        var mean = perChannel.mean([1]).cpu().data<double>().ToArray();
        var std = perChannel.std(1, unbiased: false).cpu().data<double>().ToArray().Select(s => s > 1e-12 ? s : 1.0).ToArray();
        return new ChannelNormalization(mean, std);
    }

    /// <summary>Standardises a batch or a whole input tensor <c>[N, C, ...]</c>.</summary>
    public Tensor Apply(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.dim() < 2 || inputs.shape[1] != Mean.Count)
            throw new ArgumentException($"Normalisation for {Mean.Count} channel(s) cannot apply to inputs {Shapes.Format(inputs)} (channels are dimension 1).");
        using var scope = NewDisposeScope();
        var shape = Enumerable.Repeat(1L, (int)inputs.dim()).ToArray();
        shape[1] = Mean.Count;
        var mean = tensor(Mean.ToArray(), dtype: inputs.dtype, device: inputs.device).reshape(shape);
        var std = tensor(Std.ToArray(), dtype: inputs.dtype, device: inputs.device).reshape(shape);
        return ((inputs - mean) / std).MoveToOuterDisposeScope();
    }

    /// <summary>A standardised copy of a data set (targets unchanged).</summary>
    public InMemoryDataset Apply(InMemoryDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return dataset.WithInputs(Apply(dataset.Inputs));
    }
}
