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
/// step the rate is initial × factor(0); after step (or epoch) t it becomes initial × factor(t + 1), as long as
/// the run has a step (epoch) t + 1. The rate is set in the optimizer's parameter groups, and read back from
/// there (not from a scheduler's cache). A planned schedule given without a length (<c>new OneCycle()</c>) is
/// planned over the run: <see cref="TrainingContext.PlannedSteps"/> steps, or <see cref="TrainingContext.Epochs"/> epochs.
/// </summary>
public sealed class LearningRateScheduler : TrainingCallback
{
    long _t;

    /// <summary>Creates the callback.</summary>
    public LearningRateScheduler(ILearningRateSchedule schedule, ScheduleInterval interval) => (Schedule, Interval) = (schedule, interval);

    /// <summary>The schedule (once the run has started, with its length).</summary>
    public ILearningRateSchedule Schedule { get; private set; }

    /// <summary>Per step or per epoch.</summary>
    public ScheduleInterval Interval { get; }

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context)
    {
        if (Schedule is IPlannedSchedule { HasLength: false } planned)
            Schedule = planned.WithLength(Interval == ScheduleInterval.Step ? context.PlannedSteps : context.Epochs);
        context.ScaleInitialLearningRate(Schedule.Factor(_t));
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        if (Interval == ScheduleInterval.Step)
            Advance(context, context.GlobalStep < context.PlannedSteps);
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
        if (Interval == ScheduleInterval.Epoch)
            Advance(context, epoch.Epoch < context.Epochs);
    }

    /// <summary>Counts the step (epoch) done and sets the next one's rate, if the run has a next one.</summary>
    void Advance(TrainingContext context, bool anotherFollows)
    {
        _t++;
        if (anotherFollows)
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
            foreach (var group in context.Optimizers.SelectMany(o => o.ParamGroups))
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
