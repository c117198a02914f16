namespace TorchBinding.Training.Callbacks;

/// <summary>
/// The course's convergence test for comparing optimizers and tricks: at the end of every epoch, if the loss of
/// the epoch's last training step (computed before that step's update) is at most <see cref="Threshold"/>, the run
/// has converged and stops. <see cref="EpochsToConverge"/> is the course's count: the 0-based index of that epoch,
/// i.e. the number of epochs trained before it (0 when the very first epoch already met the threshold), or the
/// cap when the run never met it.
/// </summary>
/// <example><code>
/// var converged = new ConvergenceStop(1e-5);
/// new Trainer(model, loss, Optim.Sgd(0.1), new TrainerOptions { Epochs = 500, Callbacks = [converged] }).Fit(xor);
/// var epochs = converged.EpochsToConverge(cap: 500);
/// </code></example>
public sealed class ConvergenceStop : TrainingCallback
{
    /// <summary>Creates the callback.</summary>
    /// <param name="threshold">The loss at or below which the run counts as converged (the course: 1e-5).</param>
    public ConvergenceStop(double threshold)
    {
        if (!(threshold >= 0) || !double.IsFinite(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The convergence threshold must be a finite loss ≥ 0.");
        Threshold = threshold;
    }

    /// <summary>The loss that counts as converged.</summary>
    public double Threshold { get; }

    /// <summary>The epoch (from 1, as the trainer counts) whose last step met the threshold; null if none did.</summary>
    public int? ConvergedEpoch { get; private set; }

    /// <summary>Whether the run converged.</summary>
    public bool Converged => ConvergedEpoch is not null;

    /// <summary>The epochs trained before the converged one (the course's 0-based epoch), or <paramref name="cap"/> if the run did not converge.</summary>
    public int EpochsToConverge(int cap) => ConvergedEpoch is { } epoch ? epoch - 1 : cap;

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context) => ConvergedEpoch = null;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
        if (ConvergedEpoch is null && context.LastStep.TryGetValue("loss", out var loss) && loss <= Threshold)
        {
            ConvergedEpoch = epoch.Epoch;
            context.RequestStop($"converged: the training loss {loss:G3} ≤ {Threshold:G3} at epoch {epoch.Epoch}");
        }
    }
}
