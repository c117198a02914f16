using System.Text.Json.Nodes;

namespace TorchBinding.Training;

/// <summary>
/// A cross-cutting concern of training (early stopping, checkpoints, schedules, clipping, logging,
/// progress), called by the trainer at fixed points. Override what you need; every hook does nothing by
/// default. Per epoch, every callback's <see cref="OnEpochEnd"/> runs before any <see cref="OnEpochCompleted"/>,
/// so decisions (stop, new learning rate) are made before anything is saved or printed.
/// </summary>
public abstract class TrainingCallback
{
    /// <summary>Before the first epoch (after a checkpoint, if any, was restored).</summary>
    public virtual void OnFitStart(TrainingContext context) { }

    /// <summary>Before an epoch's first batch.</summary>
    public virtual void OnEpochStart(TrainingContext context) { }

    /// <summary>
    /// After <c>backward()</c>, before the optimizer step; the gradients are there to inspect or change.
    /// Call <see cref="TrainingContext.SkipOptimizerStep"/> to prevent the step.
    /// </summary>
    public virtual void OnAfterBackward(TrainingContext context) { }

    /// <summary>After a batch's step; <see cref="TrainingContext.LastStep"/> holds its values.</summary>
    public virtual void OnBatchEnd(TrainingContext context) { }

    /// <summary>Before an epoch's validation (only when there is a validation set).</summary>
    public virtual void OnValidationStart(TrainingContext context) { }

    /// <summary>After an epoch's validation, before the model returns to train mode.</summary>
    public virtual void OnValidationEnd(TrainingContext context) { }

    /// <summary>After an epoch's validation: decide (stop, change the learning rate).</summary>
    public virtual void OnEpochEnd(TrainingContext context, EpochRecord epoch) { }

    /// <summary>After every callback's <see cref="OnEpochEnd"/>: save, log, print.</summary>
    public virtual void OnEpochCompleted(TrainingContext context, EpochRecord epoch) { }

    /// <summary>When training stops early: cancelled (after the current step) or stopped by a callback.</summary>
    public virtual void OnInterrupted(TrainingContext context) { }

    /// <summary>After the last epoch, or after an interruption.</summary>
    public virtual void OnFitEnd(TrainingContext context) { }

    /// <summary>The key under which <see cref="SaveState"/> is stored in checkpoints (null: nothing to store).</summary>
    public virtual string? StateKey => null;

    /// <summary>State to put in a checkpoint, so that a resumed run continues exactly.</summary>
    public virtual JsonNode? SaveState() => null;

    /// <summary>Restores what <see cref="SaveState"/> returned.</summary>
    public virtual void LoadState(JsonNode state) { }
}
