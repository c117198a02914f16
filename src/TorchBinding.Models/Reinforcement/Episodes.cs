namespace TorchBinding.Models.Reinforcement;

/// <summary>How <see cref="Episodes.Run"/> (and the agents' <c>RunEpisode</c>) plays an episode.</summary>
public sealed record EpisodeOptions
{
    /// <summary>The seed for <see cref="IEnvironment.Reset"/> (null: the environment continues its generator).</summary>
    public int? Seed { get; init; }

    /// <summary>The most steps to take (null: until the episode ends).</summary>
    public int? MaxSteps { get; init; }

    /// <summary>
    /// Whether a terminal step ends the episode (default true). The course's magnetic levitator ignores it and runs
    /// every episode to its full length; that needs an environment that allows stepping after termination.
    /// </summary>
    public bool StopOnTermination { get; init; } = true;

    /// <summary>Called after every step with the step number (from 0), the action and the result (e.g. to record a path).</summary>
    public Action<int, int, EnvironmentStep>? OnStep { get; init; }

    /// <summary>Starts the episode in a state of the caller's choosing instead of <see cref="IEnvironment.Reset"/>; returns the first observation.</summary>
    public Func<IEnvironment, double[]>? Start { get; init; }
}

/// <summary>What one episode gave.</summary>
/// <param name="Return">The sum of the rewards.</param>
/// <param name="Steps">The steps taken.</param>
/// <param name="Terminated">Whether the last step was terminal.</param>
/// <param name="Truncated">Whether the last step hit the time limit.</param>
/// <param name="FinalObservation">The last observation.</param>
/// <param name="MeanLoss">The mean training loss over the episode's updates (null: no update).</param>
public sealed record EpisodeResult(double Return, int Steps, bool Terminated, bool Truncated, double[] FinalObservation, double? MeanLoss = null);

/// <summary>Plays episodes with any policy.</summary>
public static class Episodes
{
    /// <summary>
    /// Plays one episode: resets (or <see cref="EpisodeOptions.Start"/>s) the environment, then asks
    /// <paramref name="policy"/> for an action per observation until the episode ends or the step limit is reached,
    /// reporting each transition to <paramref name="observe"/>.
    /// </summary>
    /// <param name="environment">The environment.</param>
    /// <param name="policy">Observation → action.</param>
    /// <param name="options">How to play (default: reset without a seed, play to the end).</param>
    /// <param name="observe">Called with each transition (e.g. to remember and learn).</param>
    public static EpisodeResult Run(IEnvironment environment, Func<double[], int> policy, EpisodeOptions? options = null, Action<Transition>? observe = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(policy);
        options ??= new EpisodeOptions();
        if (options.MaxSteps is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxSteps, "EpisodeOptions.MaxSteps must be at least 1.");
        var state = options.Start?.Invoke(environment) ?? environment.Reset(options.Seed);
        var total = 0.0;
        var steps = 0;
        EnvironmentStep last = default;
        while (true)
        {
            var action = policy(state);
            last = environment.Step(action);
            total += last.Reward;
            observe?.Invoke(new Transition(state, action, last.Reward, last.Observation, last.Terminated));
            options.OnStep?.Invoke(steps, action, last);
            steps++;
            state = last.Observation;
            if (last.Truncated || last.Terminated && options.StopOnTermination || steps >= options.MaxSteps)
                break;
        }
        return new EpisodeResult(total, steps, last.Terminated, last.Truncated, state);
    }

    /// <summary>The returns of <paramref name="count"/> episodes with seeds <paramref name="firstSeed"/>, +1, +2, ... (no learning).</summary>
    public static double[] Evaluate(IEnvironment environment, Func<double[], int> policy, int count, int firstSeed, int? maxSteps = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return Enumerable.Range(0, count)
            .Select(i => Run(environment, policy, new EpisodeOptions { Seed = firstSeed + i, MaxSteps = maxSteps }).Return)
            .ToArray();
    }
}
