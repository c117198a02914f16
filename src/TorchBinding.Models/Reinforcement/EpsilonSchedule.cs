namespace TorchBinding.Models.Reinforcement;

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
/// <c>new EpsilonSchedule(0.9, 0.05, 10000)</c> (both exponential). Start and end are probabilities, checked when the
/// schedule is made (and by <c>with</c>), so <see cref="At"/> always returns a probability between them.
/// </summary>
/// <param name="Start">ε at step 0, in [0, 1].</param>
/// <param name="End">The value ε approaches (exponential) or reaches (linear), in [0, 1].</param>
/// <param name="Steps">The decay's time constant (exponential) or length (linear), in steps: finite and &gt; 0.</param>
/// <param name="Decay">The shape of the decay.</param>
/// <exception cref="ArgumentOutOfRangeException">A value is outside its range; the message names it, its value and the range.</exception>
public sealed record EpsilonSchedule(double Start, double End, double Steps, EpsilonDecay Decay = EpsilonDecay.Exponential)
{
    /// <summary>ε at step 0, in [0, 1].</summary>
    public double Start { get; init => field = Probability(value, nameof(Start)); } = Probability(Start, nameof(Start));

    /// <summary>The value ε approaches (exponential) or reaches (linear), in [0, 1].</summary>
    public double End { get; init => field = Probability(value, nameof(End)); } = Probability(End, nameof(End));

    /// <summary>The decay's time constant (exponential) or length (linear), in steps: finite and &gt; 0.</summary>
    public double Steps { get; init => field = Positive(value); } = Positive(Steps);

    /// <summary>The shape of the decay.</summary>
    public EpsilonDecay Decay { get; init => field = Defined(value); } = Defined(Decay);

    /// <summary>ε after <paramref name="step"/> actions: a probability between <see cref="End"/> and <see cref="Start"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative (the exponential would exceed <see cref="Start"/>, even 1).</exception>
    public double At(long step)
    {
        if (step < 0)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"EpsilonSchedule.At: the step is {step}; it counts actions chosen, so it must be ≥ 0.");
        var epsilon = Decay switch
        {
            EpsilonDecay.Exponential => End + (Start - End) * Math.Exp(-step / Steps),
            _ => step >= Steps ? End : Start + (End - Start) * step / Steps,
        };
        // Rounding may step a last bit outside [End, Start]; the result is a probability by construction.
        return Math.Clamp(epsilon, Math.Min(Start, End), Math.Max(Start, End));
    }

    static double Probability(double value, string name) => value is >= 0 and <= 1
        ? value
        : throw new ArgumentOutOfRangeException(name, value, $"EpsilonSchedule: {name} is {value}; ε is a probability, so it must be in [0, 1].");

    static double Positive(double value) => value > 0 && double.IsFinite(value)
        ? value
        : throw new ArgumentOutOfRangeException(nameof(Steps), value, $"EpsilonSchedule: Steps is {value}; it must be a finite number of steps in (0, ∞).");

    static EpsilonDecay Defined(EpsilonDecay value) => Enum.IsDefined(value)
        ? value
        : throw new ArgumentOutOfRangeException(nameof(Decay), value, $"EpsilonSchedule: Decay is {(int)value}, which is not an EpsilonDecay ({string.Join(", ", Enum.GetNames<EpsilonDecay>())}).");
}
