using TorchBinding.Data;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>
/// How far the current epoch has come, and what a checkpoint needs to continue it: the batches done, the
/// running loss sum, and the shuffling generator's state at the epoch's start (a resumed run replays that
/// epoch's order and skips the batches already trained). The one owner of the resume bookkeeping.
/// </summary>
sealed class EpochProgress(BatchLoader loader) : IDisposable
{
    Tensor? _orderState; // the generator state that produced this epoch's order

    /// <summary>The training batches.</summary>
    public BatchLoader Loader { get; } = loader;

    /// <summary>Batches trained in this epoch (before and after a resume).</summary>
    public int BatchesDone { get; private set; }

    /// <summary>Batches of this epoch trained before the checkpoint a run resumed from (skipped when replayed).</summary>
    public int ResumeAfter { get; private set; }

    /// <summary>The sum of the per-sample losses trained in this epoch.</summary>
    public double LossSum { get; private set; }

    /// <summary>Samples trained in this epoch.</summary>
    public long Samples { get; private set; }

    /// <summary>The sums (per sample) of a custom step's further values in this epoch (a GAN's d_loss, a VAE's kl).</summary>
    public Dictionary<string, double> ValueSums { get; } = new(StringComparer.Ordinal);

    /// <summary>Whether the run stopped inside this epoch (a checkpoint then resumes after <see cref="BatchesDone"/>).</summary>
    public bool MidEpoch { get; private set; }

    /// <summary>The mean training loss of the epoch so far.</summary>
    public double MeanLoss => Samples > 0 ? LossSum / Samples : double.NaN;

    /// <summary>Starts an epoch (a resumed one keeps its restored position and sums); its order comes from the generator's state now.</summary>
    public void BeginEpoch()
    {
        MidEpoch = false;
        _orderState?.Dispose();
        _orderState = Loader.GeneratorState;
        if (ResumeAfter == 0)
        {
            (BatchesDone, LossSum, Samples) = (0, 0, 0);
            ValueSums.Clear();
        }
    }

    /// <summary>Counts a trained batch: its loss and its other values.</summary>
    public void Record(IReadOnlyDictionary<string, double> values, int samples)
    {
        BatchesDone++;
        LossSum += values["loss"] * samples;
        Samples += samples;
        foreach (var (name, value) in values)
        {
            if (name != "loss")
                ValueSums[name] = ValueSums.GetValueOrDefault(name) + value * samples;
        }
    }

    /// <summary>The epoch ended before its last batch (cancelled or stopped).</summary>
    public void Interrupt() => MidEpoch = true;

    /// <summary>The epoch's batches were all visited: the next starts afresh.</summary>
    public void EndEpoch() => ResumeAfter = 0;

    /// <summary>The generator state a checkpoint stores: the current epoch's start when stopped inside it, else the current one.</summary>
    public Tensor CheckpointLoaderState() => MidEpoch && _orderState is not null ? _orderState.clone() : Loader.GeneratorState;

    /// <summary>Continues an epoch a checkpoint stopped inside: replays its order and skips <paramref name="batchesDone"/> batches.</summary>
    public void ResumeInside(int batchesDone, double lossSum, long samples, IEnumerable<KeyValuePair<string, double>> valueSums)
    {
        (ResumeAfter, BatchesDone, LossSum, Samples) = (batchesDone, batchesDone, lossSum, samples);
        ValueSums.Clear();
        foreach (var (name, sum) in valueSums)
            ValueSums[name] = sum;
    }

    /// <inheritdoc/>
    public void Dispose() => _orderState?.Dispose();
}
