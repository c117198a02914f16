using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Training.Checkpoints;

/// <summary>
/// Turns a running fit into checkpoint content and back: the model, each optimizer's state, libtorch's CPU
/// generator, the training order (through <see cref="EpochProgress"/>), the history and the callbacks' states.
/// A restored run continues bit for bit on the CPU, or is refused with the reason when it cannot.
/// </summary>
sealed class RunCheckpoint(nn.Module model, IReadOnlyList<optim.Optimizer> optimizers, EpochProgress progress) : ICheckpointWriter
{
    /// <summary>Writes the run's current state to <paramref name="path"/> (atomically): <see cref="TrainingContext.SaveCheckpoint"/>.</summary>
    public void Write(string path, TrainingContext context) => CheckpointFile.Write(path, Capture(context));

    /// <summary>The checkpoint content of the run as it is now.</summary>
    public CheckpointData Capture(TrainingContext context)
    {
        var midEpoch = progress.MidEpoch;
        var metadata = new JsonObject
        {
            ["format"] = "torchbinding-checkpoint",
            ["epoch"] = midEpoch ? context.Epoch - 1 : context.Epoch,
            ["batch_in_epoch"] = midEpoch ? progress.BatchesDone : 0,
            ["batch_size"] = progress.Loader.BatchSize,
            ["training_samples"] = progress.Loader.Dataset.Count,
            ["global_step"] = context.GlobalStep,
            ["epoch_loss_sum"] = midEpoch ? progress.LossSum : 0,
            ["epoch_samples"] = midEpoch ? progress.Samples : 0,
            ["epoch_value_sums"] = new JsonObject(midEpoch ? progress.ValueSums.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value)) : []),
            ["stop_reason"] = context.StopReason,
            ["parameters"] = Architecture.Describe(model),
            [OptimizerStates.Key] = OptimizerStates.Describe(optimizers),
            ["history"] = context.History.ToJson(),
            ["callbacks"] = CallbackStates(context.Callbacks),
        };
        using var modelState = new MemoryStream();
        model.save(modelState);
        var optimizerStates = optimizers.Select(o =>
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
                Checkpointable(o).save_state_dict(writer);
            return stream.ToArray();
        }).ToList();
        using var random = torch.random.get_rng_state();
        using var order = progress.CheckpointLoaderState();
        return new CheckpointData(metadata, modelState.ToArray(), optimizerStates, Bytes(random), Bytes(order));
    }

    /// <summary>
    /// Puts a checkpoint's state into the model, optimizers, generators, history and callbacks, after checking that
    /// it fits: the same architecture and optimizers, and — when it stopped inside an epoch — the same batch size and
    /// training set size (otherwise the rest of that epoch could not be replayed).
    /// </summary>
    /// <remarks>
    /// Learning rates: a group whose rate, as this run gives it, is the one the checkpoint's run was given (its initial
    /// rate) continues at the checkpoint's rate — where a schedule or a plateau had moved it, so the run resumes exactly.
    /// A group given another rate keeps that one, as its new initial rate (a schedule goes on from it): the user changed
    /// it on purpose. Lightning and PyTorch's <c>load_state_dict</c> always take the checkpoint's, silently.
    /// </remarks>
    /// <returns>A line for each group whose rate now differs from the one given, or was changed from the checkpoint's.</returns>
    public IReadOnlyList<string> Restore(string path, CheckpointData data, TrainingContext context, int plannedEpochs)
    {
        var metadata = data.Metadata;
        Architecture.Check(metadata["parameters"]?.AsArray(), model, path);
        if (data.Optimizers.Count != optimizers.Count)
            throw new InvalidDataException($"Checkpoint '{path}' holds {data.Optimizers.Count} optimizer state(s); this trainer has {optimizers.Count}.");
        var completed = (int)metadata["epoch"]!;
        var batchesDone = (int)metadata["batch_in_epoch"]!;
        if (completed > plannedEpochs || (completed == plannedEpochs && batchesDone > 0))
            throw new InvalidOperationException($"Checkpoint '{path}' has trained {completed} epoch(s){(batchesDone > 0 ? $" and {batchesDone} batch(es) of the next" : "")}, " +
                $"more than this run's Epochs = {plannedEpochs}: nothing would be trained. Set Epochs above {completed} to train on from it.");
        if (batchesDone > 0)
            RequireSameEpochShape(metadata, path, batchesDone);

        model.load(new MemoryStream(data.Model), strict: true);
        var notes = new List<string>();
        for (var i = 0; i < optimizers.Count; i++)
        {
            var given = optimizers[i].ParamGroups.Select(g => g.LearningRate).ToList();
            try
            {
                using var reader = new BinaryReader(new MemoryStream(data.Optimizers[i]));
                Checkpointable(optimizers[i]).load_state_dict(reader);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or EndOfStreamException or IOException)
            {
                throw new InvalidDataException($"Checkpoint '{path}': optimizer {i}'s state does not fit this trainer's {optimizers[i].GetType().Name} ({e.Message}).", e);
            }
            notes.AddRange(ReconcileLearningRates(path, i, optimizers[i], given));
        }
        using (var random = tensor(data.RandomState, dtype: ScalarType.Byte))
            torch.random.set_rng_state(random);
        if (data.LoaderState is { } loaderState)
        {
            using var state = tensor(loaderState, dtype: ScalarType.Byte);
            progress.Loader.RestoreGeneratorState(state);
        }
        context.Epoch = completed;
        context.GlobalStep = (long)metadata["global_step"]!;
        if (batchesDone > 0)
            progress.ResumeInside(batchesDone, (double)metadata["epoch_loss_sum"]!, (long)metadata["epoch_samples"]!,
                (metadata["epoch_value_sums"]?.AsObject() ?? []).Select(p => KeyValuePair.Create(p.Key, (double)p.Value!)));
        context.History.LoadJson(metadata["history"]!.AsObject());
        var states = metadata["callbacks"]?.AsObject();
        foreach (var callback in context.Callbacks)
        {
            if (callback.StateKey is { } key && states?[key] is { } state)
                callback.LoadState(state);
        }
        return notes;
    }

    /// <summary>
    /// After an optimizer's state was loaded: decides each group's learning rate (see <see cref="Restore"/>) and says so
    /// where it differs from the rate given.
    /// </summary>
    static IEnumerable<string> ReconcileLearningRates(string path, int index, optim.Optimizer optimizer, List<double> given)
    {
        var groups = optimizer.ParamGroups.ToList();
        var who = $"optimizer {index} ({optimizer.GetType().Name}){(groups.Count > 1 ? ", parameter group {0}" : "")}";
        for (var g = 0; g < groups.Count && g < given.Count; g++)
        {
            var (group, rate) = (groups[g], given[g]);
            var (initial, saved) = (group.InitialLearningRate, group.LearningRate);
            var name = string.Format(System.Globalization.CultureInfo.InvariantCulture, who, g);
            if (SameRate(rate, initial))
            {
                if (!SameRate(rate, saved))
                    yield return $"Resuming from '{path}': {name} continues at the checkpoint's learning rate {saved:G6} — its run, given {initial:G6} as this one is, had moved it there (a schedule or a plateau).";
                continue;
            }
            group.InitialLearningRate = rate;
            group.LearningRate = rate;
            yield return $"Resuming from '{path}': {name} uses the learning rate given, {rate:G6}, instead of the checkpoint's {saved:G6} (its run was given {initial:G6}); " +
                "a schedule goes on from the new rate. To continue at the checkpoint's rate, give the rate its run was given.";
        }
    }

    /// <summary>The same rate up to the last bits (a rate read back from a checkpoint is the double written).</summary>
    static bool SameRate(double a, double b) => a == b || Math.Abs(a - b) <= 1e-12 * Math.Max(Math.Abs(a), Math.Abs(b));

    void RequireSameEpochShape(JsonObject metadata, string path, int batchesDone)
    {
        var (savedBatch, savedSamples) = ((int?)metadata["batch_size"], (int?)metadata["training_samples"]);
        var (batch, samples) = (progress.Loader.BatchSize, progress.Loader.Dataset.Count);
        if ((savedBatch is { } b && b != batch) || (savedSamples is { } n && n != samples))
            throw new InvalidOperationException(
                $"Checkpoint '{path}' stopped inside an epoch after {batchesDone} batch(es) of {savedBatch} from {savedSamples} training samples; this run has batches of {batch} " +
                $"from {samples} samples, so the rest of that epoch cannot be replayed. Resume with BatchSize = {savedBatch} on the same training set " +
                "(a checkpoint written at the end of an epoch resumes with any batch size).");
    }

    static JsonObject CallbackStates(IReadOnlyList<TrainingCallback> callbacks)
    {
        var states = new JsonObject();
        foreach (var callback in callbacks)
        {
            if (callback.StateKey is { } key && callback.SaveState() is { } state)
                states[key] = state;
        }
        return states;
    }

    static TorchSharp.Modules.OptimizerHelper Checkpointable(optim.Optimizer optimizer) =>
        optimizer as TorchSharp.Modules.OptimizerHelper
        ?? throw new NotSupportedException($"Optimizers of type {optimizer.GetType().Name} cannot be checkpointed (TorchSharp's built-in optimizers can).");

    static byte[] Bytes(Tensor state)
    {
        using var cpu = state.cpu();
        return cpu.data<byte>().ToArray();
    }
}
