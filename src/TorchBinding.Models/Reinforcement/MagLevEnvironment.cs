namespace TorchBinding.Models.Reinforcement;

/// <summary>
/// The course's magnetic levitator (RL-MagLev, <c>RL.ipynb</c>): an iron ball of mass 1 on a vertical axis under
/// gravity g = 9.8, with a magnet that pulls it up with force 2g when switched on. Actions: 0 (magnet off),
/// 1 (magnet on). One step is dt = 0.01 s of constant acceleration a = action·2g/m − g:
/// v ← v + a·dt, x ← x + v·dt + a·dt²/2 (with the old v). Observation [v, x]. Reward −|x − 5|, plus 2 within 0.5 of
/// the target height 5, minus 1 outside the box v ∈ [−20, 20], x ∈ [−0.1, 10] (leaving it terminates the episode,
/// but as in the course the ball may go on moving: <see cref="IEnvironment.Step"/> still works after it).
/// Reset: x a random whole number in 0..10, v ~ U(−20, 20). The course's episodes are 501 steps, the default time limit.
/// </summary>
public sealed class MagLevEnvironment : DiscreteEnvironment
{
    /// <summary>Gravity, m/s².</summary>
    public const double Gravity = 9.8;

    /// <summary>The magnet's force when on: twice the weight of a 1 kg ball.</summary>
    public const double Force = 2 * Gravity;

    /// <summary>The time step in seconds.</summary>
    public const double TimeStep = 0.01;

    /// <summary>The box the ball should stay in: velocity and position bounds.</summary>
    public const double MaxSpeed = 20, MinPosition = -0.1, MaxPosition = 10;

    /// <summary>A levitator with the course's mass 1 and target height 5, and a time limit of 501 steps (the course's episode).</summary>
    /// <param name="mass">The ball's mass (the course's notebook keeps 1.0).</param>
    /// <param name="target">The target height.</param>
    /// <param name="maxEpisodeSteps">The time limit (null: none).</param>
    public MagLevEnvironment(double mass = 1.0, double target = 5.0, int? maxEpisodeSteps = 501)
        : base("MagLev", ["magnet off", "magnet on"], 2, maxEpisodeSteps)
    {
        if (!(mass > 0) || !double.IsFinite(mass))
            throw new ArgumentOutOfRangeException(nameof(mass), mass, "MagLev: the mass must be a positive number.");
        if (!double.IsFinite(target))
            throw new ArgumentOutOfRangeException(nameof(target), target, "MagLev: the target height must be finite.");
        Mass = mass;
        Target = target;
    }

    /// <summary>The ball's mass.</summary>
    public double Mass { get; }

    /// <summary>The target height.</summary>
    public double Target { get; }

    /// <summary>The ball's height.</summary>
    public double Position { get; private set; }

    /// <summary>The ball's velocity (up is positive).</summary>
    public double Velocity { get; private set; }

    /// <summary>The distance from the target height, |x − target|.</summary>
    public double Error => Math.Abs(Position - Target);

    /// <summary>Whether the state is inside the observation box.</summary>
    public bool InBounds => Velocity is >= -MaxSpeed and <= MaxSpeed && Position is >= MinPosition and <= MaxPosition;

    /// <inheritdoc/>
    protected override bool ContinuesAfterTermination => true;

    /// <summary>Starts an episode from a chosen state (the course's test starts at x = 3, v = −1).</summary>
    /// <returns>The first observation [v, x].</returns>
    public double[] ResetTo(double position, double velocity)
    {
        if (!double.IsFinite(position) || !double.IsFinite(velocity))
            throw new ArgumentException($"MagLev: the state must be finite, got x = {position}, v = {velocity}.");
        Begin();
        (Position, Velocity) = (position, velocity);
        return Observe();
    }

    /// <inheritdoc/>
    protected override void ResetState(Random random)
    {
        Position = random.Next(0, 11);
        Velocity = (2 * random.NextDouble() - 1) * MaxSpeed;
    }

    /// <inheritdoc/>
    protected override (double Reward, bool Terminated) Advance(int action)
    {
        var a = action * Force / Mass - Gravity;
        (Position, Velocity) = (Position + Velocity * TimeStep + 0.5 * a * TimeStep * TimeStep, Velocity + a * TimeStep);
        var reward = -Error;
        if (Error < 0.5)
            reward += 2;
        if (!InBounds)
            reward -= 1;
        return (reward, !InBounds);
    }

    /// <inheritdoc/>
    protected override double[] Observe() => [Velocity, Position];
}
