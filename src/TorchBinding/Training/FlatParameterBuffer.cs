using TorchBinding.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>
/// Parameters of one dtype on one device as views into one contiguous buffer, and their gradients as views into a
/// second one. Autograd accumulates into a gradient that already exists in place, so after <c>backward()</c> the
/// gradient buffer holds every gradient, and an optimizer updates all the parameters with a few whole-buffer kernels
/// whatever their number; zeroing the gradients is one fill.
/// </summary>
/// <remarks>
/// The parameters stay the module's own tensors (their storage is swapped for the buffer's, under <c>no_grad</c>), so
/// the module, its state dict and its checkpoints see them as before. Moving the module to another device or dtype
/// after the buffer was made replaces that storage: make the optimizer after <c>model.to(...)</c> (as in PyTorch);
/// an update refuses parameters that have left their buffer.
/// </remarks>
public sealed class FlatParameterBuffer : IDisposable
{
    readonly Member[] _members;

    sealed record Member(Parameter Parameter, long Offset, long Count, long[] Shape, IntPtr Values, IntPtr Gradient);

    /// <summary>Moves <paramref name="parameters"/> (one dtype, one device, all requiring gradients) into one buffer.</summary>
    /// <exception cref="ArgumentException">The list is empty, or mixes dtypes or devices.</exception>
    public FlatParameterBuffer(IReadOnlyList<Parameter> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Count == 0)
            throw new ArgumentException("A flat buffer needs at least one parameter.", nameof(parameters));
        var (dtype, device) = (parameters[0].dtype, parameters[0].device);
        if (parameters.FirstOrDefault(p => p.dtype != dtype || p.device_type != device.type || p.device_index != parameters[0].device_index) is { } odd)
            throw new ArgumentException($"One flat buffer holds parameters of one dtype on one device: {dtype} on {device}, then {odd.dtype} on {odd.device}.", nameof(parameters));
        Dtype = dtype;
        Device = device;
        ElementCount = parameters.Sum(p => p.numel());
        using var noGrad = no_grad();
        Values = empty(ElementCount, dtype: dtype, device: device).DetachFromDisposeScope();
        Gradients = zeros(ElementCount, dtype: dtype, device: device).DetachFromDisposeScope();
        _members = new Member[parameters.Count];
        long offset = 0;
        for (var i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            var count = p.numel();
            var shape = p.shape;
            using (var values = View(Values, offset, count, shape))
            {
                values.copy_(p);
                p.set_(values);
            }
            using (var gradient = View(Gradients, offset, count, shape))
            {
                // A parameter without a gradient keeps none: if no backward ever reaches it, the step skips it (as
                // PyTorch's optimizers skip a None gradient); once autograd gives it one, EnsureViews brings that in.
                using (var existing = p.grad)
                {
                    if (existing is not null)
                    {
                        gradient.copy_(existing);
                        p.grad = gradient;
                    }
                }
                _members[i] = new Member(p, offset, count, shape, TensorMemory.DataPointer(p), TensorMemory.DataPointer(gradient));
            }
            offset += count;
        }
    }

    /// <summary>The parameters' values, one after another, flattened.</summary>
    public Tensor Values { get; }

    /// <summary>The parameters' gradients, in the same order.</summary>
    public Tensor Gradients { get; }

    /// <summary>The parameters' dtype.</summary>
    public ScalarType Dtype { get; }

    /// <summary>The parameters' device.</summary>
    public Device Device { get; }

    /// <summary>The number of values in the buffer.</summary>
    public long ElementCount { get; }

    /// <summary>The parameters, in buffer order.</summary>
    public IEnumerable<Parameter> Parameters => _members.Select(m => m.Parameter);

    /// <summary>The number of parameters.</summary>
    public int Count => _members.Length;

    /// <summary>Where parameter <paramref name="index"/>'s values are in the buffer.</summary>
    public (long Offset, long Count, long[] Shape) Slice(int index) => (_members[index].Offset, _members[index].Count, _members[index].Shape);

    /// <summary>A view of <paramref name="flat"/> (a tensor laid out like this buffer) shaped as parameter <paramref name="index"/>.</summary>
    public Tensor SliceOf(Tensor flat, int index) => View(flat, _members[index].Offset, _members[index].Count, _members[index].Shape);

    /// <summary>Zeroes every gradient: one fill (a gradient replaced meanwhile is brought back by <see cref="EnsureViews"/>).</summary>
    public void ZeroGradients() => Gradients.zero_();

    readonly List<int> _withoutGradient = [];

    /// <summary>
    /// The parameters (by index) that had no gradient at the last <see cref="EnsureViews"/>: none has reached them yet
    /// (or user code removed it). Updates leave them, and their optimizer state, as they are.
    /// </summary>
    public IReadOnlyList<int> WithoutGradient => _withoutGradient;

    /// <summary>
    /// Before an update: checks that every parameter still lives in the buffer and still requires a gradient, and brings back into the buffer any
    /// gradient that is not a view of it — the first one autograd made, one replaced by user code, or one made by a backward pass that
    /// builds a graph (<c>create_graph</c>) — copying its values in. A parameter without a gradient gets zeros in the buffer and is
    /// listed in <see cref="WithoutGradient"/>. Native calls, and a fill or copy only for the gradients brought back.
    /// </summary>
    /// <returns>How many gradients had to be brought back.</returns>
    /// <exception cref="InvalidOperationException">A parameter no longer uses the buffer's storage (e.g. the model was moved with <c>.to()</c> afterwards),
    /// or no longer requires a gradient (frozen after the buffer was made).</exception>
    public int EnsureViews()
    {
        var repaired = 0;
        _withoutGradient.Clear();
        for (var i = 0; i < _members.Length; i++)
        {
            var member = _members[i];
            // Moving a module (.to(device), .to(dtype)) disposes its old parameters; the address check catches a set_ elsewhere.
            if (member.Parameter.IsInvalid || TensorMemory.DataPointer(member.Parameter) != member.Values)
                throw new InvalidOperationException($"Parameter {i} {Shapes.Format(member.Shape)} of a flat optimizer no longer lives in its buffer: the model was moved " +
                    "(.to(device) or .to(dtype)) or its parameters replaced after the optimizer was made. Create the optimizer after moving the model.");
            // A parameter frozen after the buffer was made would still be moved by the whole-buffer update (momentum,
            // weight decay, Adam's moments): refuse rather than let a frozen layer drift.
            if (!member.Parameter.requires_grad)
                throw new InvalidOperationException($"Parameter {i} {Shapes.Format(member.Shape)} of a flat optimizer no longer requires a gradient: it was frozen " +
                    "after the optimizer was made, and the whole-buffer update would still move it (momentum, weight decay). Freeze first " +
                    "(e.g. TransferLearning.Freeze), then create the optimizer, which leaves frozen parameters out.");
            if (TensorMemory.GradientDataPointer(member.Parameter) == member.Gradient)
                continue;
            using var gradient = member.Parameter.grad;
            using var view = SliceOf(Gradients, i);
            if (gradient is null)
            {
                // Zeros, so whole-buffer norms and clipping see none; no view, so the parameter stays without one.
                view.zero_();
                _withoutGradient.Add(i);
                continue;
            }
            view.copy_(gradient);
            member.Parameter.grad = view;
            repaired++;
        }
        return repaired;
    }

    static Tensor View(Tensor flat, long offset, long count, long[] shape)
    {
        // The narrowed handle is an intermediate: disposed here, or every call outside a dispose scope would leave one live.
        using var narrowed = flat.narrow(0, offset, count);
        return narrowed.view(shape);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Values.Dispose();
        Gradients.Dispose();
    }
}
