namespace TorchBinding.Training.Schedules;

/// <summary>
/// A learning-rate schedule as a pure function: the factor by which each parameter group's initial
/// learning rate is multiplied at step (or epoch) <c>t</c>, counted from 0. Being stateless, a schedule
/// resumes exactly from a checkpoint's step count.
/// </summary>
public interface ILearningRateSchedule
{
    /// <summary>The factor at <paramref name="t"/>.</summary>
    double Factor(long t);
}

/// <summary>
/// A schedule planned over the whole run (OneCycle, cosine annealing). Left without a length, it learns the run's
/// from the trainer before the first step — epochs × batches per epoch, as Lightning's
/// <c>estimated_stepping_batches</c> — so that no example does that arithmetic.
/// </summary>
public interface IPlannedSchedule : ILearningRateSchedule
{
    /// <summary>Whether the length was given (otherwise the run's is used).</summary>
    bool HasLength { get; }

    /// <summary>The same schedule planned for <paramref name="length"/> steps (or epochs).</summary>
    ILearningRateSchedule WithLength(long length);
}

/// <summary>PyTorch's StepLR: factor γ^⌊t / stepSize⌋.</summary>
/// <param name="StepSize">Steps (epochs) between decays.</param>
/// <param name="Gamma">The decay per period.</param>
public sealed record StepDecay(int StepSize, double Gamma = 0.1) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double Factor(long t) => StepSize > 0 ? Math.Pow(Gamma, t / StepSize) : throw new ArgumentOutOfRangeException(nameof(StepSize), StepSize, "StepSize must be positive.");
}

/// <summary>
/// PyTorch's CosineAnnealingLR (without restarts): η_t = η_min + (η_0 − η_min)(1 + cos(π t / T_max)) / 2, as a
/// factor of η_0: <c>minFactor + (1 − minFactor)(1 + cos(π min(t, T_max) / T_max)) / 2</c>.
/// </summary>
/// <param name="MaxSteps">T_max, the steps (epochs) of one half cosine; null: the run's length.</param>
/// <param name="MinFactor">η_min / η_0.</param>
public sealed record CosineAnnealing(long? MaxSteps = null, double MinFactor = 0) : IPlannedSchedule
{
    /// <inheritdoc/>
    public double Factor(long t) => MaxSteps switch
    {
        null => throw new InvalidOperationException("CosineAnnealing has no length: give MaxSteps, or use it through a LearningRateScheduler, which plans it over the run."),
        > 0 and var max => MinFactor + (1 - MinFactor) * (1 + Math.Cos(Math.PI * Math.Min(t, max) / max)) / 2,
        _ => throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be positive."),
    };

    /// <inheritdoc/>
    public bool HasLength => MaxSteps is not null;

    /// <inheritdoc/>
    public ILearningRateSchedule WithLength(long length) => this with { MaxSteps = length };
}

/// <summary>
/// The 1cycle policy of Smith &amp; Topin (2018) as PyTorch's OneCycleLR computes it, with the optimizer's
/// learning rate as <c>max_lr</c>: from max_lr / divFactor it rises to max_lr over the first
/// <c>pctStart</c> of the steps, then falls to max_lr / (divFactor · finalDivFactor), each phase along a
/// cosine (or linearly). Phase ends: <c>pctStart·total − 1</c> and <c>total − 1</c>; within a phase from step a to b,
/// with p = (t − a)/(b − a), the cosine form gives <c>end + (start − end)(1 + cos(π p)) / 2</c>.
/// </summary>
/// <param name="TotalSteps">Optimizer steps of the whole run (epochs × batches per epoch); null: the run's, from the trainer.</param>
/// <param name="PctStart">The fraction of steps spent rising.</param>
/// <param name="DivFactor">max_lr / initial lr.</param>
/// <param name="FinalDivFactor">initial lr / final lr.</param>
/// <param name="Cosine">Cosine annealing (true, PyTorch's default) or linear.</param>
public sealed record OneCycle(long? TotalSteps = null, double PctStart = 0.3, double DivFactor = 25, double FinalDivFactor = 1e4, bool Cosine = true) : IPlannedSchedule
{
    /// <inheritdoc/>
    public bool HasLength => TotalSteps is not null;

    /// <inheritdoc/>
    public ILearningRateSchedule WithLength(long length) => this with { TotalSteps = length };

    /// <inheritdoc/>
    public double Factor(long t)
    {
        var total = TotalSteps ?? throw new InvalidOperationException("OneCycle has no length: give TotalSteps, or use it through a LearningRateScheduler, which plans it over the run.");
        if (total < 2)
            throw new ArgumentOutOfRangeException(nameof(TotalSteps), TotalSteps, "OneCycle needs at least 2 steps.");
        if (t >= total)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"OneCycle was planned for {total} steps; step {t} is past its end.");
        var initial = 1 / DivFactor;
        var final = initial / FinalDivFactor;
        var peak = PctStart * total - 1;
        var last = total - 1.0;
        return t <= peak
            ? Anneal(initial, 1, peak <= 0 ? 1 : t / peak)
            : Anneal(1, final, (t - peak) / (last - peak));
    }

    double Anneal(double start, double end, double p) =>
        Cosine ? end + (start - end) / 2 * (Math.Cos(Math.PI * p) + 1) : start + (end - start) * p;
}
