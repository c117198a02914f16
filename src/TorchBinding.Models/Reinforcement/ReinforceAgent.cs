using TorchBinding.Training;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Reinforcement;

/// <summary>Options of a <see cref="ReinforceAgent"/>.</summary>
public sealed record ReinforceOptions
{
    /// <summary>The discount factor γ (default 0.99).</summary>
    public double Gamma { get; init; } = 0.99;

    /// <summary>Adam's learning rate for the policy (default 1e-2).</summary>
    public double LearningRate { get; init; } = 1e-2;

    /// <summary>Adam's learning rate for the value baseline (default 1e-2).</summary>
    public double BaselineLearningRate { get; init; } = 1e-2;

    /// <summary>
    /// Which Adam carries out the updates (default flat, as every recipe; TorchSharp's gives the same arithmetic up to the
    /// last bits, which a single RL run can amplify into another trajectory).
    /// </summary>
    public OptimizerImplementation OptimizerImplementation { get; init; }

    /// <summary>Episodes collected per update (default 1).</summary>
    public int EpisodesPerUpdate { get; init; } = 1;

    /// <summary>Whether the advantages of an update are standardised to mean 0 and standard deviation 1 (default true).</summary>
    public bool NormalizeAdvantages { get; init; } = true;

    /// <summary>The weight of an entropy bonus that keeps the policy exploring (default 0).</summary>
    public double EntropyCoefficient { get; init; }

    internal void Validate()
    {
        if (!(Gamma >= 0 && Gamma <= 1))
            throw new ArgumentException($"ReinforceOptions.Gamma must be in [0, 1], got {Gamma}.");
        // An infinite rate passes "> 0" and turns the first update's weights into NaN.
        foreach (var (name, rate) in new[] { (nameof(LearningRate), LearningRate), (nameof(BaselineLearningRate), BaselineLearningRate) })
        {
            if (!(rate > 0) || !double.IsFinite(rate))
                throw new ArgumentException($"ReinforceOptions.{name} must be a finite number > 0, got {TensorChecks.Describe(rate)}.");
        }
        if (EpisodesPerUpdate < 1)
            throw new ArgumentException($"ReinforceOptions.EpisodesPerUpdate must be at least 1, got {EpisodesPerUpdate}.");
        if (!(EntropyCoefficient >= 0) || !double.IsFinite(EntropyCoefficient))
            throw new ArgumentException($"ReinforceOptions.EntropyCoefficient must be a finite number >= 0, got {TensorChecks.Describe(EntropyCoefficient)}.");
    }
}

/// <summary>
/// REINFORCE (Williams 1992) with a baseline: a stochastic policy π(a | s) = softmax(policy(s)) plays whole
/// episodes; then log π(aₜ | sₜ) is pushed up in proportion to the advantage Gₜ − b(sₜ), where Gₜ is the discounted
/// return from step t and b a learned state-value network fitted to the returns (without one, b is the batch's
/// mean return). The baseline leaves the gradient's expectation unchanged and cuts its variance. Actions are
/// sampled step by step with one small forward pass; the update runs the whole episode as one batch.
/// </summary>
public sealed class ReinforceAgent : IDisposable
{
    readonly nn.Module<Tensor, Tensor> _policy;
    readonly nn.Module<Tensor, Tensor>? _baseline;
    readonly optim.Optimizer _policyOptimizer;
    readonly optim.Optimizer? _baselineOptimizer;
    readonly Random _random;
    readonly Device _device;
    readonly List<float> _states = [];
    readonly List<long> _actions = [];
    readonly List<double> _returns = [];
    int _episodesCollected;

    /// <summary>An agent with a policy network [B, D] → [B, A] (logits) and an optional value baseline [B, D] → [B, 1].</summary>
    /// <param name="policy">The policy network (logits).</param>
    /// <param name="baseline">The state-value network (null: the batch's mean return is the baseline).</param>
    /// <param name="observationSize">The observation length.</param>
    /// <param name="actionCount">The number of actions.</param>
    /// <param name="options">The settings.</param>
    /// <param name="seed">Seeds the action sampling (null: drawn from <see cref="Seeding"/>).</param>
    /// <param name="device">Where the networks live (default CPU).</param>
    public ReinforceAgent(nn.Module<Tensor, Tensor> policy, nn.Module<Tensor, Tensor>? baseline, int observationSize, int actionCount,
        ReinforceOptions? options = null, int? seed = null, Device? device = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(observationSize);
        if (actionCount < 2)
            throw new ArgumentOutOfRangeException(nameof(actionCount), actionCount, "ReinforceAgent: there must be at least two actions to choose from.");
        Options = options ?? new ReinforceOptions();
        Options.Validate();
        TorchRuntime.EnsureInitialized();
        ObservationSize = observationSize;
        ActionCount = actionCount;
        _device = device ?? CPU;
        _random = new Random(seed ?? Seeding.NextSeed());
        _policy = AgentNetworks.Check(policy, observationSize, actionCount, "ReinforceAgent", "policy network").to(_device);
        _policyOptimizer = Optim.Adam(Options.LearningRate).With(Options.OptimizerImplementation).Build(_policy);
        if (baseline is not null)
        {
            _baseline = AgentNetworks.Check(baseline, observationSize, 1, "ReinforceAgent", "baseline network").to(_device);
            _baselineOptimizer = Optim.Adam(Options.BaselineLearningRate).With(Options.OptimizerImplementation).Build(_baseline);
        }
    }

    /// <summary>The settings.</summary>
    public ReinforceOptions Options { get; }

    /// <summary>The observation length.</summary>
    public int ObservationSize { get; }

    /// <summary>The number of actions.</summary>
    public int ActionCount { get; }

    /// <summary>The policy network (logits).</summary>
    public nn.Module<Tensor, Tensor> Policy => _policy;

    /// <summary>The baseline network (null without one).</summary>
    public nn.Module<Tensor, Tensor>? Baseline => _baseline;

    /// <summary>How many updates have been made.</summary>
    public long Updates { get; private set; }

    /// <summary>The action probabilities π(· | observation).</summary>
    /// <exception cref="ArgumentException">The observation has the wrong length or a NaN or infinite number.</exception>
    /// <exception cref="InvalidOperationException">The policy gives NaN probabilities (its weights are no longer finite).</exception>
    public double[] Probabilities(double[] observation)
    {
        AgentNetworks.CheckObservation(observation, ObservationSize, "ReinforceAgent");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = nn.functional.softmax(_policy.call(AgentNetworks.Batch(observation, _device)), 1).to(float64).cpu().data<double>().ToArray();
        return AgentNetworks.Finite(p, "ReinforceAgent", "policy network");
    }

    /// <summary>An action sampled from π(· | observation).</summary>
    public int Act(double[] observation)
    {
        var p = Probabilities(observation);
        var u = _random.NextDouble();
        var cumulative = 0.0;
        for (var a = 0; a < p.Length; a++)
        {
            cumulative += p[a];
            if (u < cumulative)
                return a;
        }
        return p.Length - 1;
    }

    /// <summary>The most probable action.</summary>
    public int GreedyAction(double[] observation) => AgentNetworks.ArgMax(Probabilities(observation));

    /// <summary>
    /// Plays one episode with sampled actions, then (every <see cref="ReinforceOptions.EpisodesPerUpdate"/> episodes)
    /// updates the policy and the baseline; <see cref="EpisodeResult.MeanLoss"/> is the policy loss of that update.
    /// </summary>
    public EpisodeResult RunEpisode(IEnvironment environment, EpisodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        AgentNetworks.CheckEnvironment(environment, ObservationSize, ActionCount, "ReinforceAgent");
        var (states, actions, rewards) = (new List<float>(), new List<long>(), new List<double>());
        var result = Episodes.Run(environment, Act, options, transition =>
        {
            // A NaN reward would make every return before it NaN, and the update the whole policy.
            if (!double.IsFinite(transition.Reward))
                throw new ArgumentException($"ReinforceAgent: {environment.Name} gave a reward of {TensorChecks.Describe(transition.Reward)} at step {actions.Count}; rewards must be finite. The episode was not learned from.", nameof(environment));
            foreach (var x in transition.State)
                states.Add((float)x);
            actions.Add(transition.Action);
            rewards.Add(transition.Reward);
        });
        // Only a finished episode joins the batch.
        var returns = DiscountedReturns(rewards, Options.Gamma);
        _states.AddRange(states);
        _actions.AddRange(actions);
        _returns.AddRange(returns);
        if (++_episodesCollected < Options.EpisodesPerUpdate)
            return result;
        return result with { MeanLoss = Update() };
    }

    /// <summary>The discounted returns Gₜ = rₜ + γ·Gₜ₊₁ of an episode's rewards, computed from its end.</summary>
    internal static double[] DiscountedReturns(IReadOnlyList<double> rewards, double gamma)
    {
        var returns = new double[rewards.Count];
        var g = 0.0;
        for (var t = rewards.Count - 1; t >= 0; t--)
            returns[t] = g = rewards[t] + gamma * g;
        return returns;
    }

    double Update()
    {
        using var scope = NewDisposeScope();
        var n = _actions.Count;
        var states = tensor(_states.ToArray(), [n, ObservationSize], device: _device);
        var actions = tensor(_actions.ToArray(), device: _device);
        var returns = tensor(_returns.Select(r => (float)r).ToArray(), device: _device);
        _states.Clear();
        _actions.Clear();
        _returns.Clear();
        _episodesCollected = 0;

        Tensor advantage;
        if (_baseline is not null)
        {
            var values = _baseline.call(states).reshape(-1);
            advantage = returns - values.detach();
            var baselineLoss = nn.functional.mse_loss(values, returns);
            _baselineOptimizer!.zero_grad();
            baselineLoss.backward();
            _baselineOptimizer.step();
        }
        else
        {
            advantage = returns - returns.mean();
        }
        if (Options.NormalizeAdvantages && n > 1)
            advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-8);

        var logProbabilities = nn.functional.log_softmax(_policy.call(states), 1);
        var chosen = logProbabilities.gather(1, actions.unsqueeze(1)).squeeze(1);
        var loss = -(chosen * advantage).mean();
        if (Options.EntropyCoefficient > 0)
            loss = loss + Options.EntropyCoefficient * (logProbabilities.exp() * logProbabilities).sum(1).mean();
        _policyOptimizer.zero_grad();
        loss.backward();
        _policyOptimizer.step();
        Updates++;
        return loss.item<float>();
    }

    /// <summary>Disposes the networks and optimizers.</summary>
    public void Dispose()
    {
        _policy.Dispose();
        _baseline?.Dispose();
        _policyOptimizer.Dispose();
        _baselineOptimizer?.Dispose();
    }
}
