using TorchBinding.Runtime;

namespace TorchBinding.Models.Reinforcement;

/// <summary>
/// What one step of an environment returns (Gymnasium's <c>step</c> without its info dictionary): the next observation,
/// the reward and how the episode goes on. With the state and action before it, it makes a <see cref="Transition"/>.
/// </summary>
/// <param name="Observation">The observation after the step.</param>
/// <param name="Reward">The reward for the step.</param>
/// <param name="Terminated">Whether the episode reached a terminal state of the task (fallen pole, caught mouse, ...).</param>
/// <param name="Truncated">Whether the episode was cut by a time limit, the state itself not being terminal.</param>
public readonly record struct EnvironmentStep(double[] Observation, double Reward, bool Terminated, bool Truncated)
{
    /// <summary>Whether the episode is over, one way or the other.</summary>
    public bool Done => Terminated || Truncated;
}

/// <summary>
/// An environment with a discrete action set and a vector observation, in the style of Gymnasium:
/// <see cref="Reset"/> starts an episode (optionally re-seeding it) and returns the first observation;
/// <see cref="Step"/> applies an action and returns the observation, reward, and whether the episode terminated
/// or was truncated.
/// </summary>
public interface IEnvironment
{
    /// <summary>The environment's name (for messages).</summary>
    string Name { get; }

    /// <summary>The length of an observation.</summary>
    int ObservationSize { get; }

    /// <summary>The number of actions, numbered 0 to <c>ActionCount − 1</c>.</summary>
    int ActionCount { get; }

    /// <summary>Starts an episode. With a seed, the environment's generator restarts from it (same seed, same episode).</summary>
    /// <param name="seed">The seed, or null to continue the environment's generator.</param>
    /// <returns>The first observation.</returns>
    double[] Reset(int? seed = null);

    /// <summary>Applies <paramref name="action"/> and advances one step.</summary>
    /// <param name="action">An action in <c>0..ActionCount − 1</c>.</param>
    EnvironmentStep Step(int action);
}

/// <summary>
/// The bookkeeping every environment shares: the seeded generator (a fresh one per <c>Reset(seed)</c>; without a
/// seed the first one draws its seed from <see cref="Seeding"/>, so runs are reproducible), action validation with
/// a message naming the valid actions, the step count and optional time limit, and the rule that an ended episode
/// needs a reset. Environment maths is plain <see cref="double"/> arithmetic: no tensors.
/// </summary>
public abstract class DiscreteEnvironment : IEnvironment
{
    Random? _random;
    bool _started;
    bool _terminated;
    bool _truncated;

    /// <summary>An environment called <paramref name="name"/> with these actions and observation length.</summary>
    /// <param name="name">The name used in messages.</param>
    /// <param name="actionNames">What each action does, in action order (e.g. "push left", "push right").</param>
    /// <param name="observationSize">The observation length.</param>
    /// <param name="maxEpisodeSteps">The time limit after which a step reports <see cref="EnvironmentStep.Truncated"/> (null: none).</param>
    protected DiscreteEnvironment(string name, IReadOnlyList<string> actionNames, int observationSize, int? maxEpisodeSteps)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(actionNames);
        if (actionNames.Count == 0)
            throw new ArgumentException("An environment needs at least one action.", nameof(actionNames));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(observationSize);
        if (maxEpisodeSteps is < 1)
            throw new ArgumentOutOfRangeException(nameof(maxEpisodeSteps), maxEpisodeSteps, $"{name}: the time limit must be at least one step (or null for none).");
        Name = name;
        ActionNames = actionNames;
        ObservationSize = observationSize;
        MaxEpisodeSteps = maxEpisodeSteps;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>What each action does, in action order.</summary>
    public IReadOnlyList<string> ActionNames { get; }

    /// <inheritdoc/>
    public int ActionCount => ActionNames.Count;

    /// <inheritdoc/>
    public int ObservationSize { get; }

    /// <summary>The time limit in steps after which an episode is truncated (null: none).</summary>
    public int? MaxEpisodeSteps { get; }

    /// <summary>Steps taken since the last reset.</summary>
    public int ElapsedSteps { get; private set; }

    /// <summary>Whether the current episode has terminated or been truncated.</summary>
    public bool EpisodeOver => _truncated || _terminated;

    /// <summary>
    /// Whether <see cref="Step"/> may go on after a terminal step (default false: it throws until the next reset).
    /// The course's magnetic levitator does: its ball keeps moving out of bounds and the episode runs its full length.
    /// </summary>
    protected virtual bool ContinuesAfterTermination => false;

    /// <summary>The environment's generator (created by the first reset).</summary>
    protected Random Random => _random ?? throw new InvalidOperationException($"{Name}: call Reset() before using the environment.");

    /// <inheritdoc/>
    public double[] Reset(int? seed = null)
    {
        if (seed is { } s)
            _random = new Random(s);
        else
            _random ??= new Random(Seeding.NextSeed());
        Begin();
        ResetState(_random);
        return Observe();
    }

    /// <inheritdoc/>
    public EnvironmentStep Step(int action)
    {
        if (action < 0 || action >= ActionCount)
            throw new ArgumentOutOfRangeException(nameof(action), action,
                $"{Name}: action {action} is not valid; the actions are {string.Join(", ", ActionNames.Select((n, i) => $"{i} ({n})"))}.");
        if (!_started)
            throw new InvalidOperationException($"{Name}: call Reset() before Step().");
        if (_truncated || _terminated && !ContinuesAfterTermination)
            throw new InvalidOperationException($"{Name}: the episode has ended ({(_truncated ? "truncated" : "terminated")} after {ElapsedSteps} steps); call Reset() to start a new one.");
        var (reward, terminated) = Advance(action);
        ElapsedSteps++;
        _terminated |= terminated;
        _truncated = MaxEpisodeSteps is { } limit && ElapsedSteps >= limit;
        return new EnvironmentStep(Observe(), reward, terminated, _truncated);
    }

    /// <summary>Starts an episode's bookkeeping (for resets to a chosen state, e.g. <c>ResetTo</c> methods).</summary>
    protected void Begin()
    {
        _random ??= new Random(Seeding.NextSeed());
        _started = true;
        _terminated = false;
        _truncated = false;
        ElapsedSteps = 0;
    }

    /// <summary>Draws the initial state of an episode from <paramref name="random"/>.</summary>
    protected abstract void ResetState(Random random);

    /// <summary>Applies a (valid) action: updates the state and returns the reward and whether the new state is terminal.</summary>
    protected abstract (double Reward, bool Terminated) Advance(int action);

    /// <summary>The current observation (a new array).</summary>
    protected abstract double[] Observe();
}
