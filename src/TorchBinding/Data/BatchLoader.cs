using System.Collections;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Data;

/// <summary>How a <see cref="BatchLoader"/> walks its data set.</summary>
public sealed record BatchOptions
{
    /// <summary>Visit the samples in a new random order each epoch (default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Leave out the last, smaller batch (default false).</summary>
    public bool DropLast { get; init; }

    /// <summary>Seed of the shuffling generator; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</summary>
    public int? Seed { get; init; }

    /// <summary>
    /// The device batches are produced on (the model's). The data set is copied there once, so that the
    /// per-batch gather runs on that device; null keeps the data set's device.
    /// </summary>
    public Device? Device { get; init; }

    /// <summary>An augmentation applied to every batch's inputs on the device (training batches only, typically).</summary>
    public Augmentation.IBatchTransform? Transform { get; init; }

    /// <summary>The dtype floating-point inputs are converted to, once, with the copy to the device (null: as stored).</summary>
    public ScalarType? InputType { get; init; }
}

/// <summary>One batch: inputs and targets, and its place in the epoch.</summary>
/// <param name="Inputs">Inputs, <c>[B, ...]</c>.</param>
/// <param name="Targets">Targets, <c>[B]</c> or <c>[B, ...]</c>.</param>
/// <param name="Index">The batch number within the epoch (0-based).</param>
public sealed record Batch(Tensor Inputs, Tensor Targets, int Index) : IDisposable
{
    /// <summary>Number of samples in the batch.</summary>
    public int Size => checked((int)Inputs.shape[0]);

    /// <summary>Deconstructs into inputs and targets: <c>foreach (var (x, y) in loader)</c>.</summary>
    public void Deconstruct(out Tensor inputs, out Tensor targets) => (inputs, targets) = (Inputs, Targets);

    /// <inheritdoc/>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// Mini-batches of an <see cref="InMemoryDataset"/> by index: one permutation per epoch from a seeded
/// generator, then <c>index_select</c> of each batch's rows from the whole tensor on the target device.
/// Each enumeration is one epoch. A batch is owned by the enumeration and disposed when the next one is
/// produced (or the enumeration ends), so memory stays flat without any scope in the caller; clone a
/// batch's tensors to keep them longer.
/// </summary>
public sealed class BatchLoader : IEnumerable<Batch>, IDisposable
{
    readonly InMemoryDataset _dataset;
    readonly BatchOptions _options;
    readonly Generator _generator;
    Tensor? _inputs, _targets; // the data set on the target device, made on first use

    internal BatchLoader(InMemoryDataset dataset, int batchSize, BatchOptions options)
    {
        if (batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"{dataset.Name}: the batch size must be positive.");
        _dataset = dataset;
        _options = options;
        BatchSize = batchSize;
        _generator = new Generator((ulong)(options.Seed ?? Runtime.Seeding.NextSeed()));
    }

    /// <summary>Samples per batch (the last batch may be smaller unless <see cref="BatchOptions.DropLast"/>).</summary>
    public int BatchSize { get; }

    /// <summary>The data set batched.</summary>
    public InMemoryDataset Dataset => _dataset;

    /// <summary>Batches per epoch.</summary>
    public int Count => _options.DropLast ? _dataset.Count / BatchSize : (int)(((long)_dataset.Count + BatchSize - 1) / BatchSize);

    /// <summary>Samples per epoch (fewer than the data set's when the last batch is dropped).</summary>
    public int SampleCount => _options.DropLast ? Count * BatchSize : _dataset.Count;

    /// <summary>The device batches are produced on.</summary>
    public Device Device => _options.Device ?? _dataset.Device;

    /// <summary>The state of the shuffling generator, for checkpoints.</summary>
    public Tensor GeneratorState => _generator.get_state();

    /// <summary>Restores the shuffling generator from a checkpoint.</summary>
    public void RestoreGeneratorState(Tensor state) => _generator.set_state(state);

    /// <inheritdoc/>
    public IEnumerator<Batch> GetEnumerator()
    {
        var (inputs, targets) = OnDevice();
        var n = _dataset.Count;
        using var order = EpochOrder(n, inputs.device);
        Batch? current = null;
        try
        {
            for (var b = 0; b < Count; b++)
            {
                current?.Dispose();
                var start = b * BatchSize;
                using var index = order.narrow(0, start, Math.Min(BatchSize, n - start));
                // Owned by this enumeration, not by whatever dispose scope the caller has open.
                current = new Batch(Gather(inputs, index), targets.index_select(0, index).DetachFromDisposeScope(), b);
                yield return current;
            }
        }
        finally
        {
            current?.Dispose();
        }
    }

    Tensor Gather(Tensor inputs, Tensor index)
    {
        using var scope = NewDisposeScope();
        var batch = inputs.index_select(0, index);
        if (_options.Transform is { } transform)
            batch = transform.Apply(batch);
        return batch.DetachFromDisposeScope();
    }

    Tensor EpochOrder(int n, Device device)
    {
        if (!_options.Shuffle)
            return arange(n, dtype: int64, device: device).DetachFromDisposeScope();
        var permutation = randperm(n, generator: _generator).DetachFromDisposeScope();
        if (SameDevice(device, permutation.device))
            return permutation;
        using (permutation)
            return permutation.to(device).DetachFromDisposeScope();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    (Tensor Inputs, Tensor Targets) OnDevice()
    {
        var device = Device;
        var convert = _options.InputType is { } type && _dataset.Inputs.is_floating_point() && _dataset.Inputs.dtype != type;
        if (SameDevice(device, _dataset.Device) && !convert)
            return (_dataset.Inputs, _dataset.Targets);
        _inputs ??= (convert ? _dataset.Inputs.to(_options.InputType!.Value, device) : _dataset.Inputs.to(device)).DetachFromDisposeScope();
        _targets ??= _dataset.Targets.to(device).DetachFromDisposeScope();
        return (_inputs, _targets);
    }

    static bool SameDevice(Device a, Device b) => a.type == b.type && Math.Max(a.index, 0) == Math.Max(b.index, 0);

    /// <inheritdoc/>
    public void Dispose()
    {
        _inputs?.Dispose();
        _targets?.Dispose();
        _generator.Dispose();
    }
}
