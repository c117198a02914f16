namespace TorchBinding.Reinforcement;

/// <summary>How ε falls from its start to its end value.</summary>
public enum EpsilonDecay
{
    /// <summary>ε = end + (start − end)·exp(−step / steps): the course's schedule.</summary>
    Exponential,

    /// <summary>ε falls in a straight line from start to end over <see cref="EpsilonSchedule.Steps"/> steps, then stays.</summary>
    Linear,
}

/// <summary>
/// The exploration rate of ε-greedy action selection as a function of the number of actions chosen so far.
/// The course's magnetic levitator uses <c>new EpsilonSchedule(0.9, 0.01, 1000)</c>, its cat and mouse
/// <c>new EpsilonSchedule(0.9, 0.05, 10000)</c> (both exponential).
/// </summary>
/// <param name="Start">ε at step 0.</param>
/// <param name="End">The value ε approaches (exponential) or reaches (linear).</param>
/// <param name="Steps">The decay's time constant (exponential) or length (linear), in steps.</param>
/// <param name="Decay">The shape of the decay.</param>
public sealed record EpsilonSchedule(double Start, double End, double Steps, EpsilonDecay Decay = EpsilonDecay.Exponential)
{
    /// <summary>ε after <paramref name="step"/> actions.</summary>
    public double At(long step) => Decay switch
    {
        EpsilonDecay.Exponential => End + (Start - End) * Math.Exp(-step / Steps),
        _ => step >= Steps ? End : Start + (End - Start) * step / Steps,
    };

    internal void Validate()
    {
        if (Start is < 0 or > 1 || End is < 0 or > 1 || double.IsNaN(Start) || double.IsNaN(End))
            throw new ArgumentException($"EpsilonSchedule: start and end must be probabilities in [0, 1], got {Start} and {End}.");
        if (!(Steps > 0) || !double.IsFinite(Steps))
            throw new ArgumentException($"EpsilonSchedule: the number of steps must be positive, got {Steps}.");
        if (!Enum.IsDefined(Decay))
            throw new ArgumentException($"EpsilonSchedule: {(int)Decay} is not an EpsilonDecay.");
    }
}
