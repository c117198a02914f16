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
/// <param name="MaxSteps">T_max, the steps (epochs) of one half cosine.</param>
/// <param name="MinFactor">η_min / η_0.</param>
public sealed record CosineAnnealing(long MaxSteps, double MinFactor = 0) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double Factor(long t) => MaxSteps > 0
        ? MinFactor + (1 - MinFactor) * (1 + Math.Cos(Math.PI * Math.Min(t, MaxSteps) / MaxSteps)) / 2
        : throw new ArgumentOutOfRangeException(nameof(MaxSteps), MaxSteps, "MaxSteps must be positive.");
}

/// <summary>
/// The 1cycle policy of Smith &amp; Topin (2018) as PyTorch's OneCycleLR computes it, with the optimizer's
/// learning rate as <c>max_lr</c>: from max_lr / divFactor it rises to max_lr over the first
/// <c>pctStart</c> of the steps, then falls to max_lr / (divFactor · finalDivFactor), each phase along a
/// cosine (or linearly). Phase ends: <c>pctStart·total − 1</c> and <c>total − 1</c>; within a phase from step a to b,
/// with p = (t − a)/(b − a), the cosine form gives <c>end + (start − end)(1 + cos(π p)) / 2</c>.
/// </summary>
/// <param name="TotalSteps">Optimizer steps of the whole run (epochs × batches per epoch).</param>
/// <param name="PctStart">The fraction of steps spent rising.</param>
/// <param name="DivFactor">max_lr / initial lr.</param>
/// <param name="FinalDivFactor">initial lr / final lr.</param>
/// <param name="Cosine">Cosine annealing (true, PyTorch's default) or linear.</param>
public sealed record OneCycle(long TotalSteps, double PctStart = 0.3, double DivFactor = 25, double FinalDivFactor = 1e4, bool Cosine = true) : ILearningRateSchedule
{
    /// <inheritdoc/>
    public double Factor(long t)
    {
        if (TotalSteps < 2)
            throw new ArgumentOutOfRangeException(nameof(TotalSteps), TotalSteps, "OneCycle needs at least 2 steps.");
        if (t >= TotalSteps)
            throw new ArgumentOutOfRangeException(nameof(t), t, $"OneCycle was planned for {TotalSteps} steps; step {t} is past its end.");
        var initial = 1 / DivFactor;
        var final = initial / FinalDivFactor;
        var peak = PctStart * TotalSteps - 1;
        var last = TotalSteps - 1.0;
        return t <= peak
            ? Anneal(initial, 1, peak <= 0 ? 1 : t / peak)
            : Anneal(1, final, (t - peak) / (last - peak));
    }

    double Anneal(double start, double end, double p) =>
        Cosine ? end + (start - end) / 2 * (Math.Cos(Math.PI * p) + 1) : start + (end - start) * p;
}
