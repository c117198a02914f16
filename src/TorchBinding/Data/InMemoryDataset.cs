using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Data;

/// <summary>
/// A data set held as two tensors: inputs <c>[N, ...]</c> and targets <c>[N]</c> (class indices) or
/// <c>[N, ...]</c> (regression, masks). Batching selects rows by index from the whole tensor
/// (<see cref="Batches"/>), which costs almost nothing next to a model step, unlike per-sample collation.
/// The data set owns its tensors (they survive the dispose scope it was made in) until disposed.
/// </summary>
public sealed class InMemoryDataset : IDisposable
{
    /// <summary>Creates a data set from inputs and targets with the same first dimension.</summary>
    /// <param name="inputs">Inputs, <c>[N, ...]</c>.</param>
    /// <param name="targets">Targets, <c>[N]</c> or <c>[N, ...]</c>.</param>
    /// <param name="name">A name for messages and reports.</param>
    /// <param name="classNames">Class names when the targets are class indices.</param>
    /// <exception cref="ArgumentException">The first dimensions differ, or the data set is empty.</exception>
    public InMemoryDataset(Tensor inputs, Tensor targets, string name = "dataset", IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        TorchRuntime.EnsureInitialized();
        if (inputs.IsInvalid || targets.IsInvalid)
            throw new ObjectDisposedException(name, $"{name}: the {(inputs.IsInvalid ? "inputs" : "targets")} tensor given to the data set was already disposed.");
        if (inputs.dim() == 0 || targets.dim() == 0 || inputs.shape[0] != targets.shape[0])
            throw new ArgumentException($"{name}: inputs {Shapes.Format(inputs)} and targets {Shapes.Format(targets)} must have the same first (sample) dimension.");
        if (inputs.shape[0] == 0)
            throw new ArgumentException($"{name}: the data set is empty (inputs {Shapes.Format(inputs)}).");
        _inputs = inputs.DetachFromDisposeScope();
        _targets = targets.DetachFromDisposeScope();
        Name = name;
        ClassNames = classNames;
    }

    readonly Tensor _inputs, _targets;
    bool _disposed;

    /// <summary>The inputs, <c>[N, ...]</c>.</summary>
    /// <exception cref="ObjectDisposedException">The data set, or this tensor, was disposed.</exception>
    public Tensor Inputs => Alive(_inputs, "inputs");

    /// <summary>The targets, <c>[N]</c> or <c>[N, ...]</c>.</summary>
    /// <exception cref="ObjectDisposedException">The data set, or this tensor, was disposed.</exception>
    public Tensor Targets => Alive(_targets, "targets");

    // A disposed tensor would otherwise fail later, deep in libtorch, as "empty handle".
    Tensor Alive(Tensor tensor, string what) =>
        _disposed ? throw new ObjectDisposedException(Name, $"The data set '{Name}' was disposed (e.g. by a using block that ended); it can no longer be read.")
        : tensor.IsInvalid ? throw new ObjectDisposedException(Name, $"The {what} tensor of data set '{Name}' was disposed by someone else; the data set can no longer be read.")
        : tensor;

    /// <summary>The name used in messages.</summary>
    public string Name { get; }

    /// <summary>Class names (index = class), when the targets are classes.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>Number of samples.</summary>
    public int Count => checked((int)Inputs.shape[0]);

    /// <summary>The shape of one input (without the sample dimension).</summary>
    public long[] InputShape => Inputs.shape[1..];

    /// <summary>The device the tensors are on.</summary>
    public Device Device => Inputs.device;

    /// <summary>The samples at <paramref name="indices"/>, as a new data set.</summary>
    public InMemoryDataset Subset(IReadOnlyList<long> indices, string? name = null)
    {
        using var scope = NewDisposeScope();
        using var index = tensor(indices.ToArray(), dtype: int64, device: Inputs.device);
        return new InMemoryDataset(Inputs.index_select(0, index), Targets.index_select(0, index.to(Targets.device)), name ?? Name, ClassNames);
    }

    /// <summary>The first <paramref name="count"/> samples (all, if there are fewer), as a new data set: a quick subset for fast runs.</summary>
    public InMemoryDataset Take(int count, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var n = Math.Min(count, Count);
        using var scope = NewDisposeScope();
        return new InMemoryDataset(Inputs.narrow(0, 0, n).clone(), Targets.narrow(0, 0, n).clone(), name ?? $"{Name}[:{n}]", ClassNames);
    }

    /// <summary>A copy with new inputs (same targets), e.g. normalised; the caller's tensor is taken over.</summary>
    public InMemoryDataset WithInputs(Tensor inputs, string? name = null) =>
        new(inputs, Targets.clone(), name ?? Name, ClassNames);

    /// <summary>A copy on <paramref name="device"/>.</summary>
    public InMemoryDataset To(Device device) => new(Inputs.to(device), Targets.to(device), Name, ClassNames);

    /// <summary>The targets as class indices on the CPU (throws for non-class targets).</summary>
    public long[] ClassLabels()
    {
        if (Targets.dim() != 1 || Targets.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new InvalidOperationException($"{Name}: targets {Shapes.Format(Targets)} of {Targets.dtype} are not class indices.");
        using var cpu = Targets.to(int64).cpu();
        return cpu.data<long>().ToArray();
    }

    /// <summary>
    /// Batches over this data set, reusable across epochs: each enumeration is one epoch (reshuffled when
    /// <see cref="BatchOptions.Shuffle"/> is set). See <see cref="BatchLoader"/>.
    /// </summary>
    public BatchLoader Batches(int batchSize, BatchOptions? options = null)
    {
        _ = Alive(_inputs, "inputs");
        return new(this, batchSize, options ?? new BatchOptions());
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _disposed = true;
        _inputs.Dispose();
        _targets.Dispose();
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Count} samples, inputs {Shapes.Format(Inputs)} {Inputs.dtype}, targets {Shapes.Format(Targets)} {Targets.dtype}";
}
