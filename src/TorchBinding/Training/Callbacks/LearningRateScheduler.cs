using System.Text.Json.Nodes;
using TorchBinding.Training.Schedules;

namespace TorchBinding.Training.Callbacks;

/// <summary>When a schedule advances.</summary>
public enum ScheduleInterval
{
    /// <summary>After every optimizer step (OneCycle).</summary>
    Step,

    /// <summary>After every epoch (StepLR, cosine over epochs).</summary>
    Epoch,
}

/// <summary>
/// Drives the first optimizer's learning rate from an <see cref="ILearningRateSchedule"/>: before the first
/// step the rate is initial × factor(0); after step (or epoch) t it becomes initial × factor(t + 1). The rate is
/// set in the optimizer's parameter groups, and read back from there (not from a scheduler's cache).
/// </summary>
public sealed class LearningRateScheduler : TrainingCallback
{
    long _t;

    /// <summary>Creates the callback.</summary>
    public LearningRateScheduler(ILearningRateSchedule schedule, ScheduleInterval interval) => (Schedule, Interval) = (schedule, interval);

    /// <summary>The schedule.</summary>
    public ILearningRateSchedule Schedule { get; }

    /// <summary>Per step or per epoch.</summary>
    public ScheduleInterval Interval { get; }

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context) => context.ScaleInitialLearningRate(Schedule.Factor(_t));

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        if (Interval == ScheduleInterval.Step && context.GlobalStep < long.MaxValue)
            Advance(context);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
        if (Interval == ScheduleInterval.Epoch)
            Advance(context);
    }

    void Advance(TrainingContext context)
    {
        _t++;
        // OneCycle is planned for a number of steps; do not step past its end on the very last one.
        if (Schedule is OneCycle { TotalSteps: var total } && _t >= total)
            return;
        context.ScaleInitialLearningRate(Schedule.Factor(_t));
    }

    /// <inheritdoc/>
    public override string StateKey => "lr_schedule";

    /// <inheritdoc/>
    public override JsonNode SaveState() => new JsonObject { ["t"] = _t };

    /// <inheritdoc/>
    public override void LoadState(JsonNode state) => _t = (long)state["t"]!;
}

/// <summary>
/// PyTorch's ReduceLROnPlateau: when a monitored epoch value has not improved (relative threshold) for
/// <c>patience</c> epochs, multiply the learning rate by <c>factor</c> (not below <c>minRate</c>), then wait
/// <c>cooldown</c> epochs. The current rate is read from the optimizer's parameter groups — TorchSharp's own
/// plateau scheduler reports a stale rate through <c>get_last_lr</c>.
/// </summary>
public sealed class ReduceOnPlateau : TrainingCallback
{
    double? _best;
    int _bad, _cooldownLeft;

    /// <summary>Creates the callback.</summary>
    public ReduceOnPlateau(string monitor = "val_loss", double factor = 0.1, int patience = 10, double threshold = 1e-4,
        int cooldown = 0, double minRate = 0, MonitorMode mode = MonitorMode.Auto)
    {
        if (!(factor is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "The reduction factor must lie in (0, 1).");
        (Monitor, Factor, Patience, Threshold, Cooldown, MinRate) = (monitor, factor, patience, threshold, cooldown, minRate);
        Mode = EarlyStopping.Resolve(mode, monitor);
    }

    /// <summary>The watched value.</summary>
    public string Monitor { get; }

    /// <summary>The multiplier on a plateau.</summary>
    public double Factor { get; }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>Relative improvement that counts.</summary>
    public double Threshold { get; }

    /// <summary>Epochs to wait after a reduction.</summary>
    public int Cooldown { get; }

    /// <summary>The lowest rate.</summary>
    public double MinRate { get; }

    /// <summary>Min or Max.</summary>
    public MonitorMode Mode { get; }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
        var value = epoch[Monitor] ?? throw new InvalidOperationException($"ReduceOnPlateau monitors '{Monitor}', which epoch {epoch.Epoch} does not have.");
        var better = _best is not { } best || (Mode == MonitorMode.Min ? value < best * (1 - Threshold) : value > best * (1 + Threshold));
        if (better)
            (_best, _bad) = (value, 0);
        else
            _bad++;
        if (_cooldownLeft > 0)
        {
            _cooldownLeft--;
            _bad = 0;
        }
        if (_bad > Patience)
        {
            foreach (var group in context.Optimizer.ParamGroups)
                group.LearningRate = Math.Max(group.LearningRate * Factor, MinRate);
            (_cooldownLeft, _bad) = (Cooldown, 0);
        }
    }

    /// <inheritdoc/>
    public override string StateKey => $"reduce_on_plateau/{Monitor}";

    /// <inheritdoc/>
    public override JsonNode SaveState() => new JsonObject { ["best"] = _best, ["bad"] = _bad, ["cooldown"] = _cooldownLeft };

    /// <inheritdoc/>
    public override void LoadState(JsonNode state) =>
        (_best, _bad, _cooldownLeft) = ((double?)state["best"], (int)state["bad"]!, (int)state["cooldown"]!);
}
