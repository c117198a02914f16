using System.Diagnostics;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>
/// The state of a training run as steps and callbacks see it: the model and optimizers, where the run is
/// (epoch, batch, global step), the last step's values, the history, and the means to stop the run or
/// change the learning rate.
/// </summary>
public sealed class TrainingContext
{
    readonly IReadOnlyList<TrainingCallback> _callbacks;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    bool _skipStep;

    readonly ICheckpointWriter? _checkpoint;

    internal TrainingContext(nn.Module model, IReadOnlyList<optim.Optimizer> optimizers, TrainingHistory history,
        IReadOnlyList<TrainingCallback> callbacks, int epochs, Device device, CancellationToken cancellation, ICheckpointWriter? checkpoint = null)
    {
        _checkpoint = checkpoint;
        Model = model;
        Optimizers = optimizers;
        History = history;
        _callbacks = callbacks;
        Epochs = epochs;
        Device = device;
        Cancellation = cancellation;
    }

    /// <summary>The model being trained.</summary>
    public nn.Module Model { get; }

    /// <summary>The optimizers (one for supervised training; e.g. two for a GAN).</summary>
    public IReadOnlyList<optim.Optimizer> Optimizers { get; }

    /// <summary>The first optimizer, whose learning rate the history records.</summary>
    public optim.Optimizer Optimizer => Optimizers[0];

    /// <summary>The run's history so far.</summary>
    public TrainingHistory History { get; }

    /// <summary>The device batches are put on.</summary>
    public Device Device { get; }

    /// <summary>The planned number of epochs.</summary>
    public int Epochs { get; }

    /// <summary>The current epoch, from 1 (0 before the first).</summary>
    public int Epoch { get; internal set; }

    /// <summary>Index of the current batch within its epoch, from 0.</summary>
    public int BatchInEpoch { get; internal set; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch { get; internal set; }

    /// <summary>Optimizer steps the whole run is planned for: epochs × batches per epoch (what planned schedules span).</summary>
    public long PlannedSteps => (long)Epochs * BatchesPerEpoch;

    /// <summary>Training steps done in the whole run.</summary>
    public long GlobalStep { get; internal set; }

    /// <summary>The last step's scalar values: <c>loss</c> and whatever the step added.</summary>
    public IReadOnlyDictionary<string, double> LastStep { get; internal set; } = new Dictionary<string, double>();

    /// <summary>Samples seen in the current epoch.</summary>
    public long SamplesInEpoch { get; internal set; }

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The token that stops the run after the current step.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Whether a callback asked to stop.</summary>
    public bool StopRequested => StopReason is not null;

    /// <summary>Why the run stops early (null while it goes on).</summary>
    public string? StopReason { get; private set; }

    /// <summary>Ends the run after the current step (mid-epoch) or epoch, with a reason for the history and the console.</summary>
    public void RequestStop(string reason) => StopReason ??= reason;

    /// <summary>The first optimizer's learning rate (its first parameter group's).</summary>
    public double LearningRate => Optimizer.ParamGroups.First().LearningRate;

    /// <summary>Sets the learning rate of every parameter group of every optimizer.</summary>
    public void SetLearningRate(double rate)
    {
        foreach (var group in Optimizers.SelectMany(o => o.ParamGroups))
            group.LearningRate = rate;
    }

    /// <summary>
    /// Sets each parameter group's learning rate, in every optimizer, to its initial rate times <paramref name="factor"/>:
    /// a schedule shapes every optimizer's rate alike (a GAN's generator as well as its discriminator).
    /// </summary>
    public void ScaleInitialLearningRate(double factor)
    {
        foreach (var group in Optimizers.SelectMany(o => o.ParamGroups))
            group.LearningRate = group.InitialLearningRate * factor;
    }

    /// <summary>The model's parameters (for clipping and inspection).</summary>
    public IEnumerable<TorchSharp.Modules.Parameter> Parameters => Model.parameters();

    /// <summary>The optimizers about to step, while <see cref="TrainingCallback.OnAfterBackward"/> runs (all of them in automatic optimisation).</summary>
    public IReadOnlyList<optim.Optimizer> SteppingOptimizers { get; private set; } = [];

    /// <summary>Prevents the coming optimizer step (a callback found the gradients unusable).</summary>
    public void SkipOptimizerStep() => _skipStep = true;

    /// <summary>The loss of the step in progress, for callbacks in <see cref="TrainingCallback.OnAfterBackward"/>.</summary>
    public Tensor? CurrentLoss { get; private set; }

    /// <summary>The value of <see cref="CurrentLoss"/>, read once for every callback.</summary>
    public double CurrentLossValue { get; private set; } = double.NaN;

    Tensor? _lossRead;

    /// <summary>
    /// The value of this step's loss: read from the device once, by whoever asks first (the callbacks after
    /// <c>backward()</c>, or the trainer after the step), so a step costs one read.
    /// </summary>
    internal double LossValue(Tensor loss)
    {
        if (!ReferenceEquals(loss, _lossRead))
            (_lossRead, CurrentLossValue) = (loss, ScalarRead.Value(loss, "loss"));
        return CurrentLossValue;
    }

    /// <summary>
    /// One optimisation step on <paramref name="loss"/> with the optimizer at index <paramref name="optimizer"/>, for a step
    /// with <see cref="ITrainingStep.AutomaticOptimization"/> false (a GAN steps its discriminator, then its generator):
    /// zero its gradients, <c>backward()</c>, the callbacks' <see cref="TrainingCallback.OnAfterBackward"/> (clipping, the
    /// non-finite guard), then its step unless a callback skipped it or stopped the run.
    /// </summary>
    /// <returns>Whether the optimizer stepped.</returns>
    public bool Minimize(Tensor loss, int optimizer)
    {
        if (optimizer < 0 || optimizer >= Optimizers.Count)
            throw new ArgumentOutOfRangeException(nameof(optimizer), optimizer, $"This trainer has {Optimizers.Count} optimizer(s); there is no optimizer {optimizer}.");
        return MinimizeWith(loss, [Optimizers[optimizer]]);
    }

    /// <summary>The optimisation ritual, in one place: zero, backward, callbacks, step.</summary>
    internal bool MinimizeWith(Tensor loss, IReadOnlyList<optim.Optimizer> optimizers)
    {
        ArgumentNullException.ThrowIfNull(loss);
        // Zeroed here, after the forward pass, not before it: what the step computed first (an attack's input gradients)
        // cannot leak into the parameters' gradients.
        using (Profiler.Measure("optimizer"))
        {
            foreach (var o in optimizers)
                o.zero_grad();
        }
        using (Profiler.Measure("backward"))
            loss.backward();
        _skipStep = false;
        CurrentLoss = loss;
        SteppingOptimizers = optimizers;
        LossValue(loss);
        try
        {
            using var section = Profiler.Measure("callbacks");
            foreach (var callback in _callbacks)
                callback.OnAfterBackward(this);
        }
        finally
        {
            CurrentLoss = null;
            SteppingOptimizers = [];
        }
        if (_skipStep || StopRequested)
            return false;
        using (Profiler.Measure("optimizer"))
        {
            foreach (var o in optimizers)
                o.step();
        }
        return true;
    }

    /// <summary>The callbacks of the run, in calling order.</summary>
    internal IReadOnlyList<TrainingCallback> Callbacks => _callbacks;

    /// <summary>Writes a checkpoint of the run's current state (atomically) that <see cref="TrainerOptions.ResumeFrom"/> continues from.</summary>
    public void SaveCheckpoint(string path)
    {
        var checkpoint = _checkpoint ?? throw new InvalidOperationException("Checkpoints can be saved only while a trainer's Fit runs.");
        checkpoint.Write(path, this);
    }

    /// <summary>"epoch 3, step 17" — where the run is, for messages.</summary>
    public string Position => $"epoch {Epoch}, step {BatchInEpoch + 1} (global step {GlobalStep + 1})";
}
