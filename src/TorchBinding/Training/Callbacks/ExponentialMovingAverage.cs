using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Training.Callbacks;

/// <summary>
/// An exponential moving average of a model's weights (Polyak averaging, as DDPM samples from; timm's <c>ModelEma</c>,
/// TensorFlow's <c>ExponentialMovingAverage</c>). After every optimizer step, average ← d · average + (1 − d) · weight for
/// every floating-point parameter and buffer (batch norm's running statistics too; integer buffers are copied). With
/// <see cref="Warmup"/>, d = min(<see cref="Decay"/>, (1 + n) / (10 + n)) after n updates, so that the first averages are
/// not held near the random initialisation for thousands of steps.
/// </summary>
/// <remarks>
/// Validation runs on the averaged weights (<see cref="EvaluateWithAverage"/>); the model trains on its own. After
/// training, <see cref="Apply"/> swaps the averages in for a block (sampling, evaluation) and <see cref="CopyTo"/> keeps
/// them. The averages and the update count are saved in the trainer's checkpoints (as the exact float bytes), so a
/// resumed run continues bit for bit. Swapping copies in place, so parameters stay where flat optimizers put them.
/// </remarks>
/// <example>
/// <code>
/// var ema = new ExponentialMovingAverage(model, decay: 0.999);
/// new Trainer(step, Optim.Adam(2e-3), new TrainerOptions { Callbacks = [ema] }).Fit(train);
/// using (ema.Apply())
///     samples = ddpm.Sample(model, 100);
/// </code>
/// </example>
public sealed class ExponentialMovingAverage : TrainingCallback, IDisposable
{
    readonly List<(string Name, Tensor Value)> _tracked;
    Dictionary<string, Tensor>? _averages;
    List<Tensor>? _swappedOut;

    /// <summary>Averages <paramref name="model"/>'s weights.</summary>
    /// <param name="model">The model being trained (the trainer's, or the one a custom step optimises).</param>
    /// <param name="decay">The decay d in [0, 1): 0.999 averages over about the last 1,000 steps, 0.9999 over 10,000.</param>
    /// <param name="warmup">Whether d starts small and grows to <paramref name="decay"/> (see the class).</param>
    /// <param name="evaluateWithAverage">Whether the trainer's validation runs on the averaged weights.</param>
    /// <exception cref="ArgumentOutOfRangeException">The decay is outside [0, 1).</exception>
    public ExponentialMovingAverage(nn.Module model, double decay = 0.999, bool warmup = true, bool evaluateWithAverage = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (decay is < 0 or >= 1 || double.IsNaN(decay))
            throw new ArgumentOutOfRangeException(nameof(decay), decay, $"ExponentialMovingAverage needs a decay in [0, 1), got {decay}.");
        (Decay, Warmup, EvaluateWithAverage) = (decay, warmup, evaluateWithAverage);
        _tracked = [.. model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)), .. model.named_buffers().Select(b => (b.name, b.buffer))];
    }

    /// <summary>The decay d the average settles at.</summary>
    public double Decay { get; }

    /// <summary>Whether d starts at 0.1 and grows as (1 + n) / (10 + n) until it reaches <see cref="Decay"/>.</summary>
    public bool Warmup { get; }

    /// <summary>Whether the trainer's validation runs on the averaged weights.</summary>
    public bool EvaluateWithAverage { get; }

    /// <summary>How many updates the average has had.</summary>
    public long Updates { get; private set; }

    /// <summary>The decay the next update uses.</summary>
    public double CurrentDecay => Warmup ? Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates)) : Decay;

    /// <summary>The averaged value of each parameter and buffer, by its <c>state_dict</c> name (made at the first update).</summary>
    /// <exception cref="InvalidOperationException">Nothing has been averaged yet.</exception>
    public IReadOnlyDictionary<string, Tensor> Averages => _averages ?? throw NotStarted();

    /// <summary>Folds the model's current weights into the average (the trainer calls it after every step).</summary>
    /// <exception cref="InvalidOperationException">The averaged weights are swapped in (<see cref="Apply"/>).</exception>
    public void Update()
    {
        if (_swappedOut is not null)
            throw new InvalidOperationException("ExponentialMovingAverage.Update while the averaged weights are swapped in: dispose the Apply() scope first.");
        using var noGrad = no_grad();
        var averages = EnsureAverages();
        var weight = 1 - CurrentDecay;
        foreach (var (name, value) in _tracked)
        {
            var average = averages[name];
            if (average.is_floating_point())
                average.lerp_(value, weight);      // average + (1 − d)(value − average)
            else
                average.copy_(value);
        }
        Updates++;
    }

    /// <summary>
    /// Swaps the averaged weights into the model until the returned scope is disposed, which puts the trained ones back.
    /// </summary>
    /// <exception cref="InvalidOperationException">Nothing has been averaged yet, or the averages are already swapped in.</exception>
    public IDisposable Apply()
    {
        var averages = _averages ?? throw NotStarted();
        if (_swappedOut is not null)
            throw new InvalidOperationException("The averaged weights are already swapped in.");
        using (no_grad())
            _swappedOut = _tracked.Select(t => t.Value.clone().DetachFromDisposeScope()).ToList();
        CopyIn(averages);
        return new SwapBack(this);
    }

    /// <summary>Puts the averaged weights into the model for good (e.g. before saving or sampling).</summary>
    /// <exception cref="InvalidOperationException">Nothing has been averaged yet, or the averages are swapped in.</exception>
    public void CopyTo()
    {
        var averages = _averages ?? throw NotStarted();
        if (_swappedOut is not null)
            throw new InvalidOperationException("The averaged weights are swapped in: dispose the Apply() scope first.");
        CopyIn(averages);
    }

    /// <summary>Copies <paramref name="averages"/> into the model's own tensors, in place.</summary>
    void CopyIn(Dictionary<string, Tensor> averages)
    {
        using var noGrad = no_grad();
        foreach (var (name, value) in _tracked)
            value.copy_(averages[name]);
    }

    /// <summary>Puts the trained weights back if the averages are swapped in.</summary>
    void SwapTrainedBack()
    {
        if (_swappedOut is not { } trained)
            return;
        using (no_grad())
        {
            foreach (var ((_, value), saved) in _tracked.Zip(trained))
            {
                value.copy_(saved);
                saved.Dispose();
            }
        }
        _swappedOut = null;
    }

    sealed class SwapBack(ExponentialMovingAverage owner) : IDisposable
    {
        public void Dispose() => owner.SwapTrainedBack();
    }

    Dictionary<string, Tensor> EnsureAverages()
    {
        if (_averages is not null)
            return _averages;
        using var noGrad = no_grad();
        _averages = _tracked.ToDictionary(t => t.Name, t => t.Value.clone().DetachFromDisposeScope());
        return _averages;
    }

    static InvalidOperationException NotStarted() =>
        new("ExponentialMovingAverage has no average yet: it starts at the first Update (the trainer's first step).");

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context) => Update();

    IDisposable? _validationSwap;

    /// <inheritdoc/>
    public override void OnValidationStart(TrainingContext context)
    {
        if (EvaluateWithAverage && _averages is not null)
            _validationSwap = Apply();
    }

    /// <inheritdoc/>
    public override void OnValidationEnd(TrainingContext context)
    {
        _validationSwap?.Dispose();
        _validationSwap = null;
    }

    /// <inheritdoc/>
    public override string StateKey => "exponential_moving_average";

    /// <inheritdoc/>
    public override JsonNode SaveState()
    {
        var tensors = new JsonObject();
        if (_averages is not null)
        {
            foreach (var (name, value) in _averages)
            {
                using var cpu = value.cpu().contiguous();
                tensors[name] = new JsonObject
                {
                    ["dtype"] = value.dtype.ToString(),
                    ["shape"] = new JsonArray([.. value.shape.Select(s => (JsonNode)s)]),
                    ["bytes"] = Convert.ToBase64String(cpu.bytes),
                };
            }
        }
        return new JsonObject { ["decay"] = Decay, ["warmup"] = Warmup, ["updates"] = Updates, ["averages"] = _averages is null ? null : tensors };
    }

    /// <inheritdoc/>
    /// <exception cref="InvalidDataException">The saved averages do not fit this model (names, shapes or dtypes).</exception>
    public override void LoadState(JsonNode state)
    {
        Updates = (long)state["updates"]!;
        if (state["averages"] is not JsonObject saved)
        {
            _averages = null;
            return;
        }
        using var noGrad = no_grad();
        var averages = EnsureAverages();
        foreach (var (name, value) in _tracked)
        {
            if (saved[name] is not JsonObject entry)
                throw new InvalidDataException($"The checkpoint's moving average has no '{name}': it was made for another model.");
            var shape = entry["shape"]!.AsArray().Select(s => (long)s!).ToArray();
            if ((string)entry["dtype"]! != value.dtype.ToString() || !shape.SequenceEqual(value.shape))
                throw new InvalidDataException($"The checkpoint's moving average of '{name}' is {entry["dtype"]} {Shapes.Format(shape)}; the model's is {value.dtype} {Shapes.Format(value)}.");
            using var cpu = empty(shape, value.dtype);
            cpu.bytes = Convert.FromBase64String((string)entry["bytes"]!);
            averages[name].copy_(cpu);
        }
    }

    /// <summary>Frees the averages (and puts the trained weights back if they are swapped out).</summary>
    public void Dispose()
    {
        _validationSwap = null;
        SwapTrainedBack();
        if (_averages is null)
            return;
        foreach (var average in _averages.Values)
            average.Dispose();
        _averages = null;
    }
}
