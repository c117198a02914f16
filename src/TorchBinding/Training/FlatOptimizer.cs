using System.Runtime.CompilerServices;
using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace TorchBinding.Training;

/// <summary>
/// An optimizer whose parameters live in flat buffers (<see cref="FlatParameterBuffer"/>, one per parameter group, dtype
/// and device): a step is a handful of whole-buffer kernels whatever the number of parameter tensors, and
/// <see cref="zero_grad"/> is one fill per buffer — where TorchSharp's optimizers launch several kernels per tensor. The
/// arithmetic is TorchSharp's (and PyTorch's) per element, so trajectories agree with theirs.
/// </summary>
/// <remarks>
/// Parameters in bfloat16 or float16 (<see cref="MixedPrecision"/>) get fp32 master weights: the update runs on the fp32
/// copy (state in fp32 too), and the result is copied back into the low-precision parameters in one kernel per buffer.
/// As PyTorch, parameters that do not require gradients are left out (frozen layers); since the buffers are laid out
/// once, a step refuses (with a message) a parameter frozen after the optimizer was made, which the whole-buffer update
/// would still move, and one unfrozen afterwards, which it would never train: make the optimizer after freezing. Unlike PyTorch's default
/// <c>zero_grad(set_to_none=True)</c>, gradients stay allocated (zeros) between steps: that is what keeps them views
/// into the buffer, so a trainable parameter that took no part in a step gets a zero gradient rather than being skipped
/// (as with TorchSharp's <c>zero_grad</c>, which zeroes in place). A parameter that has no gradient at all — none has
/// reached it yet, e.g. an unused layer — is skipped as PyTorch skips it: values and state stay as they are (no weight
/// decay). The step count (Adam's bias correction) is one per buffer, though: a parameter reached only later starts
/// with the buffer's count, where PyTorch would start its own at 1.
/// The state saves and loads through TorchSharp's optimizer format (and so through TorchBinding's checkpoints).
/// </remarks>
public abstract class FlatOptimizer : OptimizerHelper
{
    readonly List<(ParamGroup Group, List<FlatParameterBuffer> Buffers)> _layout = [];
    readonly Dictionary<FlatParameterBuffer, BufferState> _states = [];
    readonly Dictionary<(FlatParameterBuffer, int), Tensor> _scratch = [];
    readonly Dictionary<(FlatParameterBuffer, double), Tensor> _constants = [];
    readonly List<(int Group, int Index, Parameter Parameter)> _leftOut = [];

    /// <summary>Lays the groups' parameters out in flat buffers, after checking every group's hyperparameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its valid range (the message names it, its value and the range).</exception>
    /// <exception cref="ArgumentException">A group has no options or no learning rate, or no parameter requires a gradient.</exception>
    protected FlatOptimizer(IEnumerable<ParamGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        // Start the runtime here, outside the buffers' no_grad: its start-up self-check runs backward passes.
        TorchRuntime.EnsureInitialized();
        // Every check before the first buffer is made: laying parameters out swaps their storage.
        var checkedGroups = groups.ToList();
        for (var g = 0; g < checkedGroups.Count; g++)
        {
            // The parameters as they are now: a lazy model.parameters() would otherwise be read again later, and after a
            // change of the model (ReplaceHead) name parameters that are not in the buffers.
            checkedGroups[g].Parameters = checkedGroups[g].Parameters.ToList();
            var options = checkedGroups[g].Options ?? throw new ArgumentException($"{GetType().Name}: parameter group {g} needs its options.", nameof(groups));
            var rate = options.LearningRate ?? throw new ArgumentException($"{GetType().Name}: parameter group {g} needs a learning rate.", nameof(groups));
            CheckRange(g, "learning rate", "learningRate", rate, rate >= 0, "[0, ∞)");
            CheckOptions(options, g);
        }
        if (!checkedGroups.SelectMany(g => g.Parameters).Any(p => p.requires_grad))
            throw new ArgumentException($"{GetType().Name} was given no parameter that requires a gradient.", nameof(groups));
        _parameter_groups = [];
        foreach (var group in checkedGroups)
        {
            var options = group.Options;
            options.InitialLearningRate = options.LearningRate!.Value;
            _parameter_groups.Add(group);
            var trainable = group.Parameters.Where(p => p.requires_grad).ToList();
            _leftOut.AddRange(group.Parameters.Select((p, i) => (_parameter_groups.Count - 1, i, p)).Where(m => !m.p.requires_grad));
            var buffers = trainable.GroupBy(p => (p.dtype, p.device_type, p.device_index)).Select(g => new FlatParameterBuffer(g.ToList())).ToList();
            _layout.Add((group, buffers));
            foreach (var buffer in buffers)
            {
                var state = CreateState(buffer, options);
                if (IsReducedPrecision(buffer.Dtype))
                    state["master"] = buffer.Values.to(float32);
                _states[buffer] = state;
                for (var i = 0; i < buffer.Count; i++)
                    _state[buffer.Parameters.ElementAt(i).Handle] = new SliceState(buffer.Parameters.ElementAt(i), buffer, i, state);
            }
        }
    }

    /// <summary>
    /// Checks one group's hyperparameters other than the learning rate, before anything is laid out: throw (e.g. through
    /// <see cref="CheckRange"/>) for a value outside its range.
    /// </summary>
    protected abstract void CheckOptions(OptimizerOptions options, int group);

    /// <summary>
    /// Refuses <paramref name="value"/> unless it is finite and <paramref name="valid"/>: a NaN, an infinity or an
    /// out-of-range value would turn the parameters into NaN within a few steps, far from its cause.
    /// </summary>
    /// <param name="group">The parameter group's index.</param>
    /// <param name="what">The hyperparameter as the message names it (e.g. "β₁ (Beta1)").</param>
    /// <param name="parameter">The constructor parameter it comes from.</param>
    /// <param name="value">Its value.</param>
    /// <param name="valid">Whether it is in range (NaN compares false, so a plain comparison refuses it).</param>
    /// <param name="range">The valid range, as the message shows it (e.g. "[0, 1)").</param>
    protected void CheckRange(int group, string what, string parameter, double value, bool valid, string range)
    {
        if (!valid || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(parameter, value,
                $"{GetType().Name}, parameter group {group}: the {what} is {value}; it must be a finite number in {range}.");
    }

    /// <summary>The flat buffers, over all groups.</summary>
    public IEnumerable<FlatParameterBuffer> Buffers => _layout.SelectMany(l => l.Buffers);

    /// <inheritdoc/>
    public override Tensor step(Func<Tensor>? closure = null)
    {
        Tensor? loss = null;
        if (closure is not null)
        {
            using (enable_grad())
                loss = closure();
        }
        CheckLeftOut();
        using (no_grad())
        using (NewDisposeScope())
        {
            foreach (var (group, buffers) in _layout)
            {
                foreach (var buffer in buffers)
                {
                    buffer.EnsureViews();
                    var state = _states[buffer];
                    state.Step++;
                    var target = state["master"] ?? buffer.Values;
                    using var kept = Keep(buffer, target, state);
                    if (state["master"] is { } master)
                    {
                        Update(master, Scratch(buffer, 2).copy_(buffer.Gradients), buffer, group.Options, state);
                        kept?.Restore();
                        buffer.Values.copy_(master);
                    }
                    else
                    {
                        Update(buffer.Values, buffer.Gradients, buffer, group.Options, state);
                        kept?.Restore();
                    }
                }
            }
        }
        return loss!;
    }

    /// <summary>
    /// The values and state of the buffer's parameters that have no gradient, to put back after the whole-buffer update
    /// (null when every parameter has one). PyTorch's optimizers skip such a parameter; the update would otherwise move it
    /// by weight decay (AdamW's θ(1 − ηλ), L2's λθ) or momentum, and give it state it never earned.
    /// </summary>
    static SkippedSlices? Keep(FlatParameterBuffer buffer, Tensor values, BufferState state)
    {
        if (buffer.WithoutGradient.Count == 0)
            return null;
        var saved = new List<(Func<Tensor?> Get, int Index, Tensor? Copy)>();
        foreach (var index in buffer.WithoutGradient)
        {
            saved.Add((() => values, index, buffer.SliceOf(values, index).clone()));
            foreach (var name in state.Names.Where(n => n != "master"))
                saved.Add((() => state[name], index, state[name] is { } t ? buffer.SliceOf(t, index).clone() : null));
        }
        return new SkippedSlices(buffer, saved);
    }

    /// <summary>Saved slices of parameters skipped by a step; a state tensor the step made fresh gets zeros in their place.</summary>
    sealed class SkippedSlices(FlatParameterBuffer buffer, List<(Func<Tensor?> Get, int Index, Tensor? Copy)> saved) : IDisposable
    {
        public void Restore()
        {
            foreach (var (get, index, copy) in saved)
            {
                if (get() is not { } flat)
                    continue;
                using var slice = buffer.SliceOf(flat, index);
                if (copy is null)
                    slice.zero_();
                else
                    slice.copy_(copy);
            }
        }

        public void Dispose()
        {
            foreach (var (_, _, copy) in saved)
                copy?.Dispose();
        }
    }

    // Parameters that TransferLearning.ReplaceHead took out of a model, with the layer's name; weak, so they can go.
    static readonly ConditionalWeakTable<Parameter, string> Replaced = new();
    static int _replacedCount;

    /// <summary>
    /// Notes that <paramref name="removed"/> (a layer's parameters) left their model and <paramref name="inserted"/> took
    /// their place, so that a flat optimizer made before the swap refuses to go on training the old layer.
    /// </summary>
    internal static void NoteReplaced(IEnumerable<Parameter> removed, IEnumerable<Parameter> inserted, string layer)
    {
        foreach (var parameter in inserted)
            Replaced.Remove(parameter);
        foreach (var parameter in removed)
        {
            Replaced.AddOrUpdate(parameter, layer);
            Interlocked.Increment(ref _replacedCount);
        }
    }

    /// <summary>
    /// Refuses a step when the parameters are no longer those the buffers were laid out for: one frozen when the optimizer
    /// was made (and so left out) has been unfrozen since, and would silently never be trained; or a layer in the buffers
    /// was swapped out of its model by <c>TransferLearning.ReplaceHead</c>, so the new layer would never be trained.
    /// </summary>
    void CheckLeftOut()
    {
        if (Volatile.Read(ref _replacedCount) > 0)
        {
            foreach (var (group, buffers) in _layout.Select((l, g) => (g, l.Buffers)))
            {
                foreach (var parameter in buffers.SelectMany(b => b.Parameters))
                {
                    if (Replaced.TryGetValue(parameter, out var layer))
                        throw new InvalidOperationException($"{GetType().Name}: a parameter {Shapes.Format(parameter.shape)} of group {group} belongs to the layer '{layer}' " +
                            "that TransferLearning.ReplaceHead took out of the model after the optimizer was made: the optimizer would go on training the old " +
                            "layer and never the new one. Create the optimizer after ReplaceHead.");
                }
            }
        }
        foreach (var (group, index, parameter) in _leftOut)
        {
            if (!parameter.IsInvalid && parameter.requires_grad)
                throw new InvalidOperationException($"{GetType().Name}: parameter {index} {Shapes.Format(parameter.shape)} of group {group} did not require a gradient " +
                    "when the optimizer was made, so it is not in the flat buffers, but it requires one now (unfrozen afterwards) and would never be " +
                    "updated. Create a new optimizer after unfreezing (as for gradual unfreezing), or use TorchSharp's optimizers (OptimizerSettings.Flat = false).");
        }
    }

    /// <summary>Zeroes every gradient: one fill per buffer.</summary>
    public override void zero_grad()
    {
        foreach (var buffer in Buffers)
            buffer.ZeroGradients();
    }

    /// <summary>
    /// Rescales all gradients so that their global <paramref name="normType"/>-norm is at most <paramref name="maxNorm"/>,
    /// computed over the buffers (one norm per buffer, not per tensor), as <c>clip_grad_norm_</c> does; returns the norm
    /// before clipping.
    /// </summary>
    public double ClipGradientNorm(double maxNorm, double normType = 2)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var buffer in Buffers)
            buffer.EnsureViews();
        var norms = Buffers.Select(b => linalg.vector_norm(b.Gradients.to(UpdateType(b)), normType).to(float64).cpu()).ToList();
        var total = double.IsPositiveInfinity(normType) ? stack(norms).max() : linalg.vector_norm(stack(norms), normType);
        var norm = total.item<double>();
        var coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
        {
            foreach (var buffer in Buffers)
                buffer.Gradients.mul_(coefficient);
        }
        return norm;
    }

    /// <summary>Clamps every gradient entry to [−<paramref name="maxValue"/>, <paramref name="maxValue"/>]: one kernel per buffer.</summary>
    public void ClipGradientValue(double maxValue)
    {
        using var noGrad = no_grad();
        foreach (var buffer in Buffers)
        {
            buffer.EnsureViews();
            buffer.Gradients.clamp_(-maxValue, maxValue);
        }
    }

    static bool IsReducedPrecision(ScalarType dtype) => dtype is ScalarType.BFloat16 or ScalarType.Float16;

    /// <summary>The dtype updates and state are computed in: the buffer's, or float32 for bfloat16/float16 parameters.</summary>
    protected static ScalarType UpdateType(FlatParameterBuffer buffer) => IsReducedPrecision(buffer.Dtype) ? ScalarType.Float32 : buffer.Dtype;

    /// <summary>Zeros laid out like the buffer, in the update dtype (for state tensors).</summary>
    protected static Tensor StateZeros(FlatParameterBuffer buffer) => zeros(buffer.ElementCount, dtype: UpdateType(buffer), device: buffer.Device);

    /// <summary>
    /// A work tensor laid out like <paramref name="buffer"/> in the update dtype, made once and reused at every step: a step
    /// allocates nothing (large allocations are fresh pages from the system each time, which costs more than the arithmetic).
    /// </summary>
    protected Tensor Scratch(FlatParameterBuffer buffer, int slot = 0)
    {
        if (!_scratch.TryGetValue((buffer, slot), out var scratch))
            _scratch[(buffer, slot)] = scratch = empty(buffer.ElementCount, dtype: UpdateType(buffer), device: buffer.Device).DetachFromDisposeScope();
        return scratch;
    }

    /// <summary>A 0-dimensional tensor of <paramref name="value"/> on the buffer's device in the update dtype, made once (for ops that take a tensor weight).</summary>
    protected Tensor Constant(FlatParameterBuffer buffer, double value)
    {
        if (!_constants.TryGetValue((buffer, value), out var constant))
            _constants[(buffer, value)] = constant = tensor(value, dtype: UpdateType(buffer), device: buffer.Device).DetachFromDisposeScope();
        return constant;
    }

    /// <summary>The gradient with L2 weight decay added, <c>g + λθ</c>, in a scratch tensor (the gradients themselves stay as autograd left them).</summary>
    protected Tensor WithWeightDecay(FlatParameterBuffer buffer, Tensor parameters, Tensor gradients, double weightDecay) =>
        weightDecay == 0 ? gradients : Scratch(buffer, 1).copy_(gradients).add_(parameters, alpha: weightDecay);

    /// <summary>The state of one buffer (its moments, momentum, ...), made before the first step.</summary>
    protected abstract BufferState CreateState(FlatParameterBuffer buffer, OptimizerOptions options);

    /// <summary>
    /// One update of one buffer with its group's options: <paramref name="parameters"/> and <paramref name="gradients"/> are
    /// the buffer's (or its fp32 master copy and the gradients in fp32); <see cref="BufferState.Step"/> already counts this step.
    /// </summary>
    protected abstract void Update(Tensor parameters, Tensor gradients, FlatParameterBuffer buffer, OptimizerOptions options, BufferState state);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var state in _states.Values)
                state.Dispose();
            foreach (var scratch in _scratch.Values.Concat(_constants.Values))
                scratch.Dispose();
            foreach (var buffer in Buffers)
                buffer.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// The per-buffer state of an algorithm: named flat tensors laid out like the buffer (moments, momentum), some made
    /// only at the first step, and the step count.
    /// </summary>
    protected sealed class BufferState : IDisposable
    {
        readonly SortedDictionary<string, Tensor?> _tensors = new(StringComparer.Ordinal);

        /// <summary>Steps taken.</summary>
        public long Step { get; set; }

        /// <summary>The named tensor (null until made).</summary>
        public Tensor? this[string name]
        {
            get => _tensors.TryGetValue(name, out var t) ? t : null;
            set
            {
                if (_tensors.TryGetValue(name, out var old) && old is not null && !ReferenceEquals(old, value))
                    old.Dispose();
                _tensors[name] = value?.DetachFromDisposeScope();
            }
        }

        /// <summary>The names of the state's tensors (made or not).</summary>
        public IEnumerable<string> Names => _tensors.Keys;

        /// <summary>Declares a tensor that is made later (so checkpoints list it from the start).</summary>
        public void Declare(string name) => _tensors.TryAdd(name, null);

        /// <inheritdoc/>
        public void Dispose()
        {
            foreach (var t in _tensors.Values)
                t?.Dispose();
        }
    }

    /// <summary>
    /// One parameter's share of a buffer's state, in TorchSharp's per-parameter state format: the step count and, for each
    /// state tensor, the parameter's slice of it (or its absence). Saving writes the slices; loading copies them back in.
    /// </summary>
    sealed class SliceState(Parameter parameter, FlatParameterBuffer buffer, int index, BufferState state) : OptimizerState(parameter)
    {
        public override void SaveStateDict(BinaryWriter writer)
        {
            writer.Write(state.Step);
            foreach (var name in state.Names)
            {
                // The view and its contiguous copy are two handles: both are disposed (a checkpoint per epoch would leak otherwise).
                using var view = state[name] is { } flat ? buffer.SliceOf(flat, index) : null;
                using var slice = view?.contiguous();
                SaveConditionalStateTensor(writer, slice!);
            }
        }

        public override void LoadStateDict(BinaryReader reader)
        {
            state.Step = reader.ReadInt64();
            foreach (var name in state.Names.ToList())
            {
                Tensor? loaded = null;
                LoadConditionalStateTensor(reader, ref loaded!, buffer.Device);
                using (loaded)
                {
                    if (loaded is null)
                        continue;
                    state[name] ??= StateZeros(buffer);
                    using var noGrad = no_grad();
                    using var slice = buffer.SliceOf(state[name]!, index);
                    slice.copy_(loaded);
                }
            }
        }

        public override void LoadStateDict(OptimizerState source)
        {
            if (source is not SliceState other)
                throw new ArgumentException($"A flat optimizer's state cannot be loaded from a {source.GetType().Name}.", nameof(source));
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true))
                other.SaveStateDict(writer);
            stream.Position = 0;
            using var reader = new BinaryReader(stream);
            LoadStateDict(reader);
        }

        public override void Initialize(OptimizerOptions options) { }
    }
}
