using TorchBinding.Training;
using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Reinforcement;

/// <summary>The regression loss between Q(s, a) and its temporal-difference target.</summary>
public enum TemporalDifferenceLoss
{
    /// <summary>Huber / smooth L1 (the course's notebooks and Mnih et al. 2015).</summary>
    SmoothL1,

    /// <summary>Mean squared error.</summary>
    MeanSquared,
}

/// <summary>
/// Options of a <see cref="DqnAgent"/>. The defaults are a common modern DQN; the course's notebooks use no
/// target network (<see cref="TargetUpdateInterval"/> null) and no terminal masking
/// (<see cref="MaskTerminalStates"/> false).
/// </summary>
public sealed record DqnOptions
{
    /// <summary>The discount factor γ (default 0.99).</summary>
    public double Gamma { get; init; } = 0.99;

    /// <summary>Adam's learning rate (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Adam's weight decay (default 0; the course's cat and mouse uses 5e-3).</summary>
    public double WeightDecay { get; init; }

    /// <summary>
    /// Which Adam carries out the updates (default flat, as every recipe; TorchSharp's gives the same arithmetic up to the
    /// last bits, which a single RL run can amplify into another trajectory).
    /// </summary>
    public OptimizerImplementation OptimizerImplementation { get; init; }

    /// <summary>How many transitions the replay memory keeps (default 10,000).</summary>
    public int ReplayCapacity { get; init; } = 10_000;

    /// <summary>Transitions per update (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>How many transitions the memory must hold before updates begin (default 0: as soon as it holds a batch).</summary>
    public int LearningStarts { get; init; }

    /// <summary>Update every this many environment steps (default 1: every step, as the course).</summary>
    public int TrainEvery { get; init; } = 1;

    /// <summary>The exploration schedule (default: the course's maglev, 0.9 → 0.01 with time constant 1000 steps).</summary>
    public EpsilonSchedule Epsilon { get; init; } = new(0.9, 0.01, 1000);

    /// <summary>
    /// Null (default, as the course): the targets r + γ·max Q(s′, ·) come from the network being trained itself
    /// (detached). A number N: from a separate target network, a copy of the online network refreshed every N updates
    /// (Mnih et al. 2015), which keeps the regression target still while the network moves.
    /// </summary>
    public int? TargetUpdateInterval { get; init; }

    /// <summary>
    /// Double DQN (van Hasselt et al. 2016): the online network chooses the next action and the target network values
    /// it, which removes max's overestimation bias. Needs <see cref="TargetUpdateInterval"/>.
    /// </summary>
    public bool DoubleDqn { get; init; }

    /// <summary>Whether a terminal next state contributes no future value (default true; the course's notebooks do not mask).</summary>
    public bool MaskTerminalStates { get; init; } = true;

    /// <summary>The TD regression loss (default smooth L1).</summary>
    public TemporalDifferenceLoss Loss { get; init; } = TemporalDifferenceLoss.SmoothL1;

    /// <summary>Clip the gradients' global norm to this (null: no clipping).</summary>
    public double? MaxGradientNorm { get; init; }

    internal void Validate()
    {
        if (!(Gamma >= 0 && Gamma <= 1))
            throw new ArgumentException($"DqnOptions.Gamma must be in [0, 1], got {Gamma}.");
        // An infinite rate passes "> 0" and turns the first update's weights into NaN.
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
            throw new ArgumentException($"DqnOptions.LearningRate must be a finite number > 0, got {TensorChecks.Describe(LearningRate)}.");
        if (!(WeightDecay >= 0) || !double.IsFinite(WeightDecay))
            throw new ArgumentException($"DqnOptions.WeightDecay must be a finite number >= 0, got {TensorChecks.Describe(WeightDecay)}.");
        if (BatchSize < 1 || ReplayCapacity < BatchSize)
            throw new ArgumentException($"DqnOptions: need 1 <= BatchSize <= ReplayCapacity, got BatchSize {BatchSize} and ReplayCapacity {ReplayCapacity}.");
        if (LearningStarts < 0 || TrainEvery < 1)
            throw new ArgumentException($"DqnOptions: LearningStarts must be >= 0 and TrainEvery >= 1, got {LearningStarts} and {TrainEvery}.");
        if (TargetUpdateInterval is < 1)
            throw new ArgumentException($"DqnOptions.TargetUpdateInterval must be at least 1 (or null for no target network), got {TargetUpdateInterval}.");
        if (DoubleDqn && TargetUpdateInterval is null)
            throw new ArgumentException("DqnOptions.DoubleDqn needs a target network: set TargetUpdateInterval (without one, Double DQN is plain DQN).");
        if (MaxGradientNorm is { } norm && !(norm > 0))
            throw new ArgumentException($"DqnOptions.MaxGradientNorm must be positive, got {norm}.");
        // The schedule checked its own values when it was made.
        ArgumentNullException.ThrowIfNull(Epsilon, nameof(Epsilon));
    }
}

/// <summary>
/// Deep Q-learning (Mnih et al. 2015) with ε-greedy exploration, experience replay, and optionally a target network
/// and Double DQN. Each environment step stores its transition and (every <see cref="DqnOptions.TrainEvery"/> steps)
/// fits Q(s, a) on a replayed batch to r + γ·max_a′ Q(s′, a′). The network maps a batch of observations [B, D] to
/// one Q-value per action [B, A]; observations stay .NET doubles until a batch is built.
/// </summary>
/// <example><code>
/// using var agent = new DqnAgent(() => new Mlp(4, 128, 128, 2), observationSize: 4, actionCount: 2,
///     new DqnOptions { TargetUpdateInterval = 500, DoubleDqn = true }, seed: 1);
/// for (var e = 0; e &lt; 300; e++)
///     Console.WriteLine(agent.RunEpisode(env).Return);
/// </code></example>
public sealed class DqnAgent : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _online;
    readonly nn.Module<Tensor, Tensor>? _target;
    readonly optim.Optimizer _optimizer;
    readonly Random _random;
    readonly Device _device;

    /// <summary>An agent whose Q-network (and target network) <paramref name="createNetwork"/> builds.</summary>
    /// <param name="createNetwork">Builds a fresh Q-network [B, observationSize] → [B, actionCount] (called twice with a target network).</param>
    /// <param name="observationSize">The observation length.</param>
    /// <param name="actionCount">The number of actions.</param>
    /// <param name="options">The algorithm's settings (default: <see cref="DqnOptions"/>'s).</param>
    /// <param name="seed">Seeds exploration and replay sampling (null: drawn from <see cref="Seeding"/>).</param>
    /// <param name="device">Where the networks live (default CPU).</param>
    /// <exception cref="ArgumentException">Bad options, or a network that does not map [1, D] to [1, A].</exception>
    public DqnAgent(Func<nn.Module<Tensor, Tensor>> createNetwork, int observationSize, int actionCount, DqnOptions? options = null, int? seed = null, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(createNetwork);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(observationSize);
        if (actionCount < 2)
            throw new ArgumentOutOfRangeException(nameof(actionCount), actionCount, "DqnAgent: there must be at least two actions to choose from.");
        Options = options ?? new DqnOptions();
        Options.Validate();
        TorchRuntime.EnsureInitialized();
        ObservationSize = observationSize;
        ActionCount = actionCount;
        _device = device ?? CPU;
        _random = new Random(seed ?? Seeding.NextSeed());
        _online = AgentNetworks.Check(createNetwork(), observationSize, actionCount, "DqnAgent", "Q-network").to(_device);
        if (Options.TargetUpdateInterval is not null)
        {
            _target = AgentNetworks.Check(createNetwork(), observationSize, actionCount, "DqnAgent", "target network").to(_device);
            _target.eval();
            foreach (var p in _target.parameters())
                p.requires_grad = false;
            SyncTarget();
        }
        _optimizer = Optim.Adam(Options.LearningRate, weightDecay: Options.WeightDecay).With(Options.OptimizerImplementation).Build(_online);
        Replay = new ReplayBuffer(Options.ReplayCapacity, observationSize, _random.Next());
    }

    /// <summary>The settings.</summary>
    public DqnOptions Options { get; }

    /// <summary>The observation length.</summary>
    public int ObservationSize { get; }

    /// <summary>The number of actions.</summary>
    public int ActionCount { get; }

    /// <summary>The Q-network being trained.</summary>
    public nn.Module<Tensor, Tensor> Network => _online;

    /// <summary>The target network (null without one).</summary>
    public nn.Module<Tensor, Tensor>? TargetNetwork => _target;

    /// <summary>The replay memory.</summary>
    public ReplayBuffer Replay { get; }

    /// <summary>How many exploring actions <see cref="Act"/> has chosen (drives ε).</summary>
    public long StepsDone { get; private set; }

    /// <summary>How many updates <see cref="Learn"/> has made.</summary>
    public long Updates { get; private set; }

    /// <summary>The current exploration rate.</summary>
    public double Epsilon => Options.Epsilon.At(StepsDone);

    /// <summary>An ε-greedy action: random with probability ε, else the greedy one; counts a step of the ε schedule.</summary>
    /// <exception cref="ArgumentException">The observation has the wrong length or a NaN or infinite number (checked before the step is counted).</exception>
    public int Act(double[] observation)
    {
        // Checked also when the action is random: the observation goes on into the replay memory.
        AgentNetworks.CheckObservation(observation, ObservationSize, "DqnAgent");
        var epsilon = Epsilon;
        StepsDone++;
        return _random.NextDouble() > epsilon ? GreedyAction(observation) : _random.Next(ActionCount);
    }

    /// <summary>The action with the largest Q-value (the first on ties).</summary>
    /// <exception cref="ArgumentException">The observation has the wrong length or a NaN or infinite number.</exception>
    /// <exception cref="InvalidOperationException">The network's Q-values are not finite (argmax over NaN would say action 0).</exception>
    public int GreedyAction(double[] observation) => AgentNetworks.ArgMax(AgentNetworks.Finite(QValues(observation), "DqnAgent", "Q-network"));

    /// <summary>The Q-values of one observation.</summary>
    public double[] QValues(double[] observation)
    {
        AgentNetworks.CheckObservation(observation, ObservationSize, "DqnAgent");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var q = _online.call(AgentNetworks.Batch(observation, _device));
        return q.to(float64).cpu().data<double>().ToArray();
    }

    /// <summary>The Q-values of many observations [N, D] at once (e.g. for a policy map), as an array [N, A].</summary>
    public float[,] QValues(float[,] observations)
    {
        ArgumentNullException.ThrowIfNull(observations);
        if (observations.GetLength(1) != ObservationSize)
            throw new ArgumentException($"DqnAgent: observations must be [N, {ObservationSize}], got [{observations.GetLength(0)}, {observations.GetLength(1)}].", nameof(observations));
        foreach (var (value, index) in observations.Cast<float>().Select((v, i) => (v, i)))
        {
            if (!float.IsFinite(value))
                throw new ArgumentException($"DqnAgent: observations must be finite; got {TensorChecks.Describe(value)} at [{index / ObservationSize}, {index % ObservationSize}].", nameof(observations));
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var q = _online.call(tensor(observations, device: _device)).cpu().data<float>().ToArray();
        var result = new float[observations.GetLength(0), ActionCount];
        Buffer.BlockCopy(q, 0, result, 0, q.Length * sizeof(float));
        return result;
    }

    /// <summary>Stores a transition in the replay memory.</summary>
    /// <exception cref="ArgumentException">An action outside 0..A−1, or a NaN or infinite state, next state or reward (the memory is left as it was).</exception>
    public void Remember(Transition transition)
    {
        if (transition.Action >= ActionCount)
            throw new ArgumentOutOfRangeException(nameof(transition), transition.Action, $"DqnAgent: action {transition.Action} is outside 0..{ActionCount - 1}.");
        // One NaN in the memory would be replayed into every batch that draws it and make the whole network NaN.
        AgentNetworks.CheckObservation(transition.State, ObservationSize, "DqnAgent", "transition.State");
        AgentNetworks.CheckObservation(transition.NextState, ObservationSize, "DqnAgent", "transition.NextState");
        Replay.Add(transition);
    }

    /// <summary>
    /// One update on a replayed batch: Q(s, a) regressed on r + γ·(1 − terminal)·Q_target(s′) (see
    /// <see cref="DqnOptions"/> for which network gives Q_target and whether terminals are masked). Returns the loss,
    /// or null while the memory holds fewer than a batch (or <see cref="DqnOptions.LearningStarts"/>).
    /// </summary>
    /// <exception cref="InvalidOperationException">Q(s, a) or the TD target of the replayed batch is not finite (the network has diverged); nothing was updated.</exception>
    public double? Learn()
    {
        if (Replay.Count < Math.Max(Options.BatchSize, Options.LearningStarts))
            return null;
        using var scope = NewDisposeScope();
        using var batch = Replay.Sample(Options.BatchSize, _device);
        var q = _online.call(batch.States).gather(1, batch.Actions.unsqueeze(1)).squeeze(1);
        Tensor target;
        using (no_grad())
        {
            Tensor next;
            if (Options.DoubleDqn)
            {
                var choice = _online.call(batch.NextStates).argmax(1, keepdim: true);
                next = _target!.call(batch.NextStates).gather(1, choice).squeeze(1);
            }
            else
            {
                next = (_target ?? _online).call(batch.NextStates).max(1).values;
            }
            if (Options.MaskTerminalStates)
                next = next.mul(batch.Terminated.neg().add_(1));
            target = batch.Rewards.add(next, alpha: Options.Gamma);
        }
        // The memory holds finite numbers only; a non-finite Q or target here comes from the network itself, and
        // one such update would make every weight NaN: stop before it.
        AgentNetworks.RequireFinite(q, "DqnAgent.Learn", "Q(s, a) of the replayed states");
        AgentNetworks.RequireFinite(target, "DqnAgent.Learn", "the TD targets r + γ·Q(s′)");
        var loss = Options.Loss == TemporalDifferenceLoss.SmoothL1 ? nn.functional.smooth_l1_loss(q, target) : nn.functional.mse_loss(q, target);
        _optimizer.zero_grad();
        loss.backward();
        if (Options.MaxGradientNorm is { } norm)
            nn.utils.clip_grad_norm_(_online.parameters(), norm);
        _optimizer.step();
        Updates++;
        if (_target is not null && Updates % Options.TargetUpdateInterval!.Value == 0)
            SyncTarget();
        return loss.item<float>();
    }

    /// <summary>
    /// Plays one training episode: ε-greedy actions, every transition remembered, an update every
    /// <see cref="DqnOptions.TrainEvery"/> steps. <see cref="EpisodeResult.MeanLoss"/> is the mean update loss.
    /// </summary>
    public EpisodeResult RunEpisode(IEnvironment environment, EpisodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        AgentNetworks.CheckEnvironment(environment, ObservationSize, ActionCount, "DqnAgent");
        var (lossSum, lossCount, steps) = (0.0, 0, 0);
        var result = Episodes.Run(environment, Act, options, transition =>
        {
            Remember(transition);
            if (++steps % Options.TrainEvery == 0 && Learn() is { } loss)
            {
                lossSum += loss;
                lossCount++;
            }
        });
        return result with { MeanLoss = lossCount > 0 ? lossSum / lossCount : null };
    }

    /// <summary>Copies the online network's weights into the target network (no-op without one).</summary>
    public void SyncTarget()
    {
        if (_target is null)
            return;
        using var noGrad = no_grad();
        foreach (var ((_, source), (_, destination)) in _online.named_parameters().Zip(_target.named_parameters()))
            destination.copy_(source);
        foreach (var ((_, source), (_, destination)) in _online.named_buffers().Zip(_target.named_buffers()))
            destination.copy_(source);
    }

    /// <summary>Disposes the networks and the optimizer.</summary>
    public void Dispose()
    {
        _online.Dispose();
        _target?.Dispose();
        _optimizer.Dispose();
    }
}
