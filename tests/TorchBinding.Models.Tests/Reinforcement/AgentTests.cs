using TorchBinding.Models.Reinforcement;
using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Reinforcement;

/// <summary>Replay memory, ε schedule, the DQN update computed by hand, and both agents on a task with a known answer.</summary>
public class AgentTests
{
    [SetUp]
    public void Start() => TorchRuntime.EnsureInitialized();

    /// <summary>A one-step task: action 1 pays 1, action 0 pays 0; the observation is a constant [1, 0].</summary>
    sealed class TwoArmedBandit() : DiscreteEnvironment("Bandit", ["pay 0", "pay 1"], 2, maxEpisodeSteps: null)
    {
        protected override void ResetState(Random random) { }

        protected override (double Reward, bool Terminated) Advance(int action) => (action, true);

        protected override double[] Observe() => [1, 0];
    }

    static Transition Numbered(int i) => new([i, -i], i % 3, i * 0.5, [i + 1, -i - 1], i % 2 == 0);

    [Test]
    public void Replay_keeps_the_newest_transitions_and_forgets_the_oldest_first()
    {
        var buffer = new ReplayBuffer(capacity: 5, observationSize: 2, seed: 1);
        for (var i = 0; i < 8; i++)
            buffer.Add(Numbered(i));
        Assert.Multiple(() =>
        {
            Assert.That(buffer.Count, Is.EqualTo(5));
            Assert.That(buffer.Added, Is.EqualTo(8));
            Assert.That(Enumerable.Range(0, 5).Select(i => buffer[i].State[0]), Is.EqualTo(new[] { 3.0, 4, 5, 6, 7 }), "oldest first");
            var t = buffer[4];
            Assert.That((t.Action, t.Reward, t.NextState, t.Terminated), Is.EqualTo((7 % 3, 3.5, new[] { 8.0, -8 }, false)));
        });
    }

    [Test]
    public void A_replay_capacity_whose_states_overflow_an_array_is_refused_naming_the_limit()
    {
        // (2^30 + 1) · 4 wraps around int to 4: the buffer used to fail with IndexOutOfRangeException at its second Add.
        var limit = Array.MaxLength / 4;
        Assert.That(() => new ReplayBuffer((1 << 30) + 1, observationSize: 4), Throws.InstanceOf<ArgumentOutOfRangeException>()
            .With.Message.Contain("capacity 1073741825 × observation size 4").And.Message.Contain($"at most {limit}").And.Property("ParamName").EqualTo("capacity"));
        Assert.That(() => new ReplayBuffer(int.MaxValue, observationSize: 2), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain($"at most {Array.MaxLength / 2}"));
    }

    [Test]
    public void Replay_sampling_is_uniform_without_repeats_and_seeded()
    {
        var buffer = new ReplayBuffer(capacity: 50, observationSize: 2, seed: 3);
        for (var i = 0; i < 70; i++)
            buffer.Add(Numbered(i));
        const int draws = 4000, batch = 10;
        var counts = new int[50];
        var positions = new double[batch];
        for (var d = 0; d < draws; d++)
        {
            var sample = buffer.SampleIndices(batch);
            Assert.That(sample.Distinct().Count(), Is.EqualTo(batch), "distinct within a batch");
            for (var k = 0; k < batch; k++)
            {
                counts[sample[k]]++;
                positions[k] += sample[k];
            }
        }
        // Each index is drawn with probability 10/50 per batch: 800 expected of 4000 batches. Pearson's χ² with
        // 49 degrees of freedom has its 99.9 % quantile at 85.4.
        var expected = draws * batch / 50.0;
        var chiSquared = counts.Sum(c => (c - expected) * (c - expected) / expected);
        Assert.That(chiSquared, Is.LessThan(85.4));
        // Positions within a batch carry no information: each position's mean index is near 24.5 (sd of a mean of 4000 ≈ 0.23).
        Assert.That(positions.Select(p => p / draws), Has.All.InRange(23.5, 25.5));

        var (a, b, c) = (new ReplayBuffer(50, 2, seed: 9), new ReplayBuffer(50, 2, seed: 9), new ReplayBuffer(50, 2, seed: 10));
        for (var i = 0; i < 50; i++)
            foreach (var r in new[] { a, b, c })
                r.Add(Numbered(i));
        var first = Enumerable.Range(0, 5).SelectMany(_ => a.SampleIndices(8)).ToArray();
        Assert.That(Enumerable.Range(0, 5).SelectMany(_ => b.SampleIndices(8)), Is.EqualTo(first), "same seed, same samples");
        Assert.That(Enumerable.Range(0, 5).SelectMany(_ => c.SampleIndices(8)), Is.Not.EqualTo(first), "another seed");
    }

    [Test]
    public void Replay_batches_are_tensors_of_the_sampled_transitions_and_misuse_is_an_error()
    {
        var buffer = new ReplayBuffer(capacity: 10, observationSize: 2, seed: 2);
        Assert.That(() => buffer.Sample(1), Throws.InvalidOperationException.With.Message.Contains("from 0"));
        for (var i = 0; i < 4; i++)
            buffer.Add(Numbered(i));
        using (var batch = buffer.Sample(4))
        {
            Assert.That(batch.States.shape, Is.EqualTo(new long[] { 4, 2 }));
            var states = batch.States.data<float>().ToArray();
            var next = batch.NextStates.data<float>().ToArray();
            var actions = batch.Actions.data<long>().ToArray();
            var rewards = batch.Rewards.data<float>().ToArray();
            var terminal = batch.Terminated.data<float>().ToArray();
            for (var k = 0; k < 4; k++)
            {
                var i = (int)states[2 * k];
                Assert.That((next[2 * k], actions[k], rewards[k], terminal[k]), Is.EqualTo(((float)(i + 1), (long)(i % 3), i * 0.5f, i % 2 == 0 ? 1f : 0f)));
            }
        }
        Assert.That(() => buffer.Sample(5), Throws.InvalidOperationException.With.Message.Contains("cannot sample 5 distinct transitions from 4"));
        Assert.That(() => buffer.Add([1.0], 0, 0, [1.0, 2.0], false), Throws.ArgumentException.With.Message.Contains("2 numbers"));
        Assert.That(() => buffer.Add([1.0, 2], 0, double.NaN, [1.0, 2.0], false), Throws.ArgumentException.With.Message.Contains("finite"));
    }

    [Test]
    public void Epsilon_follows_the_courses_exponential_or_a_linear_schedule()
    {
        var course = new EpsilonSchedule(0.9, 0.01, 1000);
        Assert.That(course.At(0), Is.EqualTo(0.9).Within(1e-15));
        Assert.That(course.At(1000), Is.EqualTo(0.01 + 0.89 * Math.Exp(-1)).Within(1e-15));
        var linear = new EpsilonSchedule(1, 0.05, 100, EpsilonDecay.Linear);
        Assert.That(new[] { linear.At(0), linear.At(50), linear.At(100), linear.At(1000) }, Is.EqualTo(new[] { 1, 0.525, 0.05, 0.05 }).Within(1e-12));
    }

    [TestCase(1.5, 0.01, 100.0, "Start", "Start is 1.5", "[0, 1]")]
    [TestCase(-0.1, 0.01, 100.0, "Start", "Start is -0.1", "[0, 1]")]
    [TestCase(0.9, double.NaN, 100.0, "End", "End is NaN", "[0, 1]")]
    [TestCase(0.9, 2.0, 100.0, "End", "End is 2", "[0, 1]")]
    [TestCase(0.9, 0.01, 0.0, "Steps", "Steps is 0", "(0, ∞)")]
    [TestCase(0.9, 0.01, double.PositiveInfinity, "Steps", "Steps is Infinity", "(0, ∞)")]
    public void An_epsilon_schedule_out_of_range_is_refused_when_made(double start, double end, double steps, string parameter, string what, string range)
    {
        foreach (var decay in new[] { EpsilonDecay.Exponential, EpsilonDecay.Linear })
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new EpsilonSchedule(start, end, steps, decay))!;
            Assert.That(error.ParamName, Is.EqualTo(parameter));
            Assert.That(error.Message, Does.Contain($"EpsilonSchedule: {what}").And.Contain(range));
        }
    }

    [Test]
    public void An_epsilon_schedule_stays_a_probability_also_through_with_and_for_any_step()
    {
        var schedule = new EpsilonSchedule(1, 0.1, 50);
        Assert.Multiple(() =>
        {
            Assert.That(() => schedule with { Start = 1.2 }, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Start is 1.2"));
            Assert.That(() => schedule with { Steps = -3 }, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Steps is -3"));
            Assert.That(() => schedule with { Decay = (EpsilonDecay)7 }, Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("Decay is 7"));
            // A negative step would give exp(+x) > 1: refused, where it used to return ε > 1.
            Assert.That(() => schedule.At(-100), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("the step is -100"));
            foreach (var decay in new[] { EpsilonDecay.Exponential, EpsilonDecay.Linear })
            {
                foreach (var (start, end) in new[] { (1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.3, 0.7) })
                {
                    var s = new EpsilonSchedule(start, end, 7, decay);
                    foreach (var step in new long[] { 0, 1, 3, 7, 8, 1000, long.MaxValue })
                        Assert.That(s.At(step), Is.InRange(Math.Min(start, end), Math.Max(start, end)), $"{decay} {start}→{end} at {step}");
                }
            }
            Assert.That(() => new DqnAgent(() => nn.Linear(2, 2), 2, 2, new DqnOptions { Epsilon = null! }), Throws.ArgumentNullException);
        });
    }

    /// <summary>Q(s) = W s + b with W = [[1, 2], [−1, 0.5]], b = [0.1, −0.2]: easy to evaluate by hand.</summary>
    static nn.Module<Tensor, Tensor> HandNetwork()
    {
        var linear = nn.Linear(2, 2);
        using (no_grad())
        {
            linear.weight!.copy_(tensor(new float[] { 1, 2, -1, 0.5f }, [2, 2]));
            linear.bias!.copy_(tensor(new float[] { 0.1f, -0.2f }));
        }
        return linear;
    }

    static double SmoothL1(double d) => Math.Abs(d) < 1 ? 0.5 * d * d : Math.Abs(d) - 0.5;

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void The_dqn_update_regresses_q_on_the_td_target(bool mask, bool terminal)
    {
        using var agent = new DqnAgent(HandNetwork, 2, 2, new DqnOptions { Gamma = 0.9, BatchSize = 1, ReplayCapacity = 1, MaskTerminalStates = mask, LearningRate = 1e-3 }, seed: 1);
        Assert.That(agent.Learn(), Is.Null, "nothing to learn from yet");
        // s = [0.5, 1], a = 1: Q = −0.5 + 0.5 − 0.2 = −0.2. s′ = [1, −1]: Q = [1 − 2 + 0.1, −1 − 0.5 − 0.2] = [−0.9, −1.7], max −0.9.
        agent.Remember(new Transition([0.5, 1], 1, 2.0, [1, -1], terminal));
        var target = 2.0 + (mask && terminal ? 0 : 0.9 * -0.9);
        Assert.That(agent.Learn()!.Value, Is.EqualTo(SmoothL1(-0.2 - target)).Within(1e-6));
        Assert.That(agent.Updates, Is.EqualTo(1));
    }

    [Test]
    public void Double_dqn_chooses_the_next_action_online_and_values_it_with_the_target_network()
    {
        using var agent = new DqnAgent(HandNetwork, 2, 2, new DqnOptions { Gamma = 0.9, BatchSize = 1, ReplayCapacity = 1, TargetUpdateInterval = 1000, DoubleDqn = true }, seed: 1);
        // Make the target network differ: its Q(s′) = [5, 7]; the online network picks action 0 at s′ (−0.9 > −1.7).
        using (no_grad())
        {
            var target = (Linear)agent.TargetNetwork!;
            target.weight!.zero_();
            target.bias!.copy_(tensor(new float[] { 5, 7 }));
        }
        agent.Remember(new Transition([0.5, 1], 1, 2.0, [1, -1], false));
        Assert.That(agent.Learn()!.Value, Is.EqualTo(SmoothL1(-0.2 - (2 + 0.9 * 5))).Within(1e-5), "Double DQN: Q_target(s′, argmax Q_online) = 5, not max 7");
        Assert.That(((Linear)agent.TargetNetwork!).bias!.data<float>().ToArray(), Is.EqualTo(new[] { 5f, 7f }), "the target network stays until its interval");
        agent.SyncTarget();
        Assert.That(((Linear)agent.TargetNetwork!).weight!.data<float>().ToArray(), Is.EqualTo(((Linear)agent.Network).weight!.data<float>().ToArray()));
    }

    [Test]
    public void Dqn_learns_which_arm_pays()
    {
        var bandit = new TwoArmedBandit();
        manual_seed(1);
        using var agent = new DqnAgent(() => nn.Linear(2, 2), 2, 2, new DqnOptions { BatchSize = 8, LearningRate = 0.05, Epsilon = new EpsilonSchedule(1, 0.1, 50) }, seed: 4);
        for (var e = 0; e < 200; e++)
            agent.RunEpisode(bandit);
        var q = agent.QValues([1.0, 0]);
        Assert.That(agent.GreedyAction([1.0, 0]), Is.EqualTo(1));
        // A one-step task: Q(·, a) is the reward itself (masked terminal), 0 and 1.
        Assert.That(q, Is.EqualTo(new[] { 0.0, 1.0 }).Within(0.1));
        Assert.That(agent.StepsDone, Is.EqualTo(200));
        Assert.That(agent.Epsilon, Is.EqualTo(0.1 + 0.9 * Math.Exp(-200.0 / 50)).Within(1e-12));
    }

    [Test]
    public void Reinforce_weighs_each_step_by_the_discounted_return_from_it()
    {
        Assert.That(ReinforceAgent.DiscountedReturns([1.0, 0, 2], 0.5), Is.EqualTo(new[] { 1 + 0.25 * 2, 0.5 * 2, 2 }));
        Assert.That(ReinforceAgent.DiscountedReturns([1.0, 1, 1], 1), Is.EqualTo(new[] { 3.0, 2, 1 }));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Reinforce_with_a_baseline_learns_which_arm_pays(bool valueNetwork)
    {
        var bandit = new TwoArmedBandit();
        manual_seed(2);
        using var agent = new ReinforceAgent(nn.Linear(2, 2), valueNetwork ? nn.Linear(2, 1) : null, 2, 2,
            new ReinforceOptions { LearningRate = 0.05, EpisodesPerUpdate = 8 }, seed: 3);
        var late = new List<double>();
        for (var e = 0; e < 400; e++)
        {
            var result = agent.RunEpisode(bandit);
            if (e >= 360)
                late.Add(result.Return);
        }
        Assert.That(agent.Probabilities([1.0, 0])[1], Is.GreaterThan(0.9));
        Assert.That(late.Average(), Is.GreaterThan(0.8));
        Assert.That(agent.Updates, Is.EqualTo(50));
        if (valueNetwork)
            Assert.That(agent.Baseline!.call(tensor(new float[] { 1, 0 }, [1, 2])).item<float>(), Is.EqualTo(1).Within(0.2), "the baseline learns the expected return");
    }

    [Test]
    public void Agents_reject_networks_of_the_wrong_shape_and_mismatched_environments()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new DqnAgent(() => nn.Linear(2, 3), 2, 2),
                Throws.ArgumentException.With.Message.Contains("maps [1, 2] to [1, 3]; it must give [1, 2]"));
            Assert.That(() => new DqnAgent(() => nn.Linear(3, 2), 2, 2),
                Throws.ArgumentException.With.Message.Contains("cannot take a batch of observations [1, 2]"));
            Assert.That(() => new DqnAgent(() => nn.Linear(2, 2), 2, 2, new DqnOptions { DoubleDqn = true }),
                Throws.ArgumentException.With.Message.Contains("DoubleDqn needs a target network"));
            Assert.That(() => new ReinforceAgent(nn.Linear(2, 2), nn.Linear(2, 2), 2, 2),
                Throws.ArgumentException.With.Message.Contains("baseline network maps [1, 2] to [1, 2]; it must give [1, 1]"));
            using var agent = new DqnAgent(() => nn.Linear(2, 2), 2, 2);
            Assert.That(() => agent.RunEpisode(new CartPoleEnvironment()),
                Throws.ArgumentException.With.Message.Contains("built for 2 observations and 2 actions; CartPole has 4 and 2"));
            Assert.That(() => agent.GreedyAction([1.0]), Throws.ArgumentException.With.Message.Contains("must have 2 numbers, got 1"));
        });
    }

    static float[] Flat(nn.Module<Tensor, Tensor> network) =>
        [.. network.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    /// <summary>A one-step task whose first observation holds a NaN (a broken sensor).</summary>
    sealed class BrokenSensor() : DiscreteEnvironment("BrokenSensor", ["a", "b"], 2, maxEpisodeSteps: null)
    {
        protected override void ResetState(Random random) { }

        protected override (double Reward, bool Terminated) Advance(int action) => (1, true);

        protected override double[] Observe() => [1, double.NaN];
    }

    [Test]
    public void Dqn_refuses_non_finite_observations_at_every_entry_point_and_changes_nothing()
    {
        using var agent = new DqnAgent(HandNetwork, 2, 2, new DqnOptions { BatchSize = 2, ReplayCapacity = 4 }, seed: 1);
        var weights = Flat(agent.Network);
        Assert.Multiple(() =>
        {
            // Unchecked, a NaN observation made a greedy action of 0 and, once learned from, a NaN Q-network.
            Assert.That(() => agent.Act([double.NaN, 0]), Throws.ArgumentException.With.Message.StartWith("DqnAgent: observation must be finite; got NaN at index 0."));
            Assert.That(() => agent.Act([0, double.PositiveInfinity]), Throws.ArgumentException.With.Message.StartWith("DqnAgent: observation must be finite; got +infinity at index 1."));
            Assert.That(() => agent.Act([1e300, 0]), Throws.ArgumentException.With.Message.StartWith("DqnAgent: observation must be finite in float32; 1E+300 at index 0 overflows it to infinity."));
            Assert.That(agent.StepsDone, Is.Zero, "a refused observation is not counted as a step");
            Assert.That(() => agent.GreedyAction([0, double.NaN]), Throws.ArgumentException.With.Message.Contain("got NaN at index 1"));
            Assert.That(() => agent.QValues([double.NegativeInfinity, 0]), Throws.ArgumentException.With.Message.Contain("got -infinity at index 0"));
            Assert.That(() => agent.QValues(new float[,] { { 0, 1 }, { float.NaN, 2 } }), Throws.ArgumentException.With.Message.StartWith("DqnAgent: observations must be finite; got NaN at [1, 0]."));
            Assert.That(() => agent.Remember(new Transition([0, 1], 0, 1, [1, double.NaN], false)),
                Throws.ArgumentException.With.Message.StartWith("DqnAgent: transition.NextState must be finite; got NaN at index 1."));
            Assert.That(() => agent.Remember(new Transition([double.NaN, 1], 0, 1, [1, 1], false)), Throws.ArgumentException.With.Message.StartWith("DqnAgent: transition.State must be finite; got NaN at index 0."));
            Assert.That(() => agent.Replay.Add([0.0, 1], 0, 1, [double.NaN, 1], false), Throws.ArgumentException.With.Message.StartWith("ReplayBuffer: nextState must be finite; got NaN at index 0."));
            Assert.That(agent.Replay.Count, Is.Zero, "nothing reached the replay memory");
            Assert.That(() => agent.RunEpisode(new BrokenSensor()), Throws.ArgumentException.With.Message.StartWith("DqnAgent: observation must be finite; got NaN at index 1."));
            Assert.That((agent.Replay.Count, agent.Updates, agent.StepsDone), Is.EqualTo((0, 0L, 0L)));
            Assert.That(Flat(agent.Network), Is.EqualTo(weights), "no weight changed");
        });
    }

    [Test]
    public void Dqn_stops_before_an_update_from_non_finite_q_values_and_leaves_the_weights()
    {
        using var agent = new DqnAgent(HandNetwork, 2, 2, new DqnOptions { BatchSize = 2, ReplayCapacity = 2 }, seed: 1);
        agent.Remember(new Transition([0.5, 1], 1, 2.0, [1, -1], false));
        agent.Remember(new Transition([1, 0], 0, 0.5, [0, 1], true));
        // A diverged network: one weight is NaN. Adam's update would spread it to every weight (and move the bias).
        using (no_grad())
            ((Linear)agent.Network).weight![0, 0] = tensor(float.NaN);
        var weights = Flat(agent.Network);
        Assert.Multiple(() =>
        {
            Assert.That(() => agent.Learn(), Throws.InvalidOperationException.With.Message.StartWith("DqnAgent.Learn: Q(s, a) of the replayed states hold NaN at element"));
            Assert.That(Flat(agent.Network), Is.EqualTo(weights), "nothing was updated");
            Assert.That(agent.Updates, Is.Zero);
            Assert.That(() => agent.GreedyAction([1.0, 0]), Throws.InvalidOperationException.With.Message.StartWith("DqnAgent: the Q-network gives NaN for action 0 of a finite observation"));
        });
    }

    [TestCase(double.PositiveInfinity, "+infinity")]
    [TestCase(double.NaN, "NaN")]
    [TestCase(0.0, "0")]
    public void Agents_refuse_learning_rates_that_are_not_finite_and_positive_at_construction(double rate, string named)
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new DqnAgent(() => nn.Linear(2, 2), 2, 2, new DqnOptions { LearningRate = rate }),
                Throws.ArgumentException.With.Message.EqualTo($"DqnOptions.LearningRate must be a finite number > 0, got {named}."));
            Assert.That(() => new DqnAgent(() => nn.Linear(2, 2), 2, 2, new DqnOptions { WeightDecay = double.PositiveInfinity }),
                Throws.ArgumentException.With.Message.EqualTo("DqnOptions.WeightDecay must be a finite number >= 0, got +infinity."));
            Assert.That(() => new ReinforceAgent(nn.Linear(2, 2), null, 2, 2, new ReinforceOptions { LearningRate = rate }),
                Throws.ArgumentException.With.Message.EqualTo($"ReinforceOptions.LearningRate must be a finite number > 0, got {named}."));
            Assert.That(() => new ReinforceAgent(nn.Linear(2, 2), nn.Linear(2, 1), 2, 2, new ReinforceOptions { BaselineLearningRate = rate }),
                Throws.ArgumentException.With.Message.EqualTo($"ReinforceOptions.BaselineLearningRate must be a finite number > 0, got {named}."));
        });
    }

    /// <summary>A one-step task that pays NaN (a broken reward).</summary>
    sealed class BrokenReward() : DiscreteEnvironment("BrokenReward", ["a", "b"], 2, maxEpisodeSteps: null)
    {
        protected override void ResetState(Random random) { }

        protected override (double Reward, bool Terminated) Advance(int action) => (double.NaN, true);

        protected override double[] Observe() => [1, 0];
    }

    [Test]
    public void Reinforce_refuses_non_finite_observations_and_rewards_before_it_learns()
    {
        using var agent = new ReinforceAgent(nn.Linear(2, 2), nn.Linear(2, 1), 2, 2, new ReinforceOptions(), seed: 1);
        var (policy, baseline) = (Flat(agent.Policy), Flat(agent.Baseline!));
        Assert.Multiple(() =>
        {
            Assert.That(() => agent.Act([double.NaN, 0]), Throws.ArgumentException.With.Message.StartWith("ReinforceAgent: observation must be finite; got NaN at index 0."));
            Assert.That(() => agent.RunEpisode(new BrokenSensor()), Throws.ArgumentException.With.Message.StartWith("ReinforceAgent: observation must be finite; got NaN at index 1."));
            Assert.That(() => agent.RunEpisode(new BrokenReward()),
                Throws.ArgumentException.With.Message.StartWith("ReinforceAgent: BrokenReward gave a reward of NaN at step 0; rewards must be finite. The episode was not learned from."));
            Assert.That(agent.Updates, Is.Zero);
            Assert.That((Flat(agent.Policy), Flat(agent.Baseline!)), Is.EqualTo((policy, baseline)), "no weight changed");
        });
    }

    [Test]
    public void Episodes_run_to_the_end_or_on_through_termination_when_asked()
    {
        var maglev = new MagLevEnvironment(maxEpisodeSteps: 50);
        var steps = 0;
        var through = Episodes.Run(maglev, _ => 1, new EpisodeOptions { Start = e => ((MagLevEnvironment)e).ResetTo(9.9, 20), StopOnTermination = false, OnStep = (_, _, _) => steps++ });
        Assert.That((through.Steps, through.Truncated, steps), Is.EqualTo((50, true, 50)), "the course's maglev: 50 steps, out of the box after the first");
        var stopped = Episodes.Run(maglev, _ => 1, new EpisodeOptions { Start = e => ((MagLevEnvironment)e).ResetTo(9.9, 20) });
        Assert.That((stopped.Steps, stopped.Terminated), Is.EqualTo((1, true)));
        var capped = Episodes.Run(new CartPoleEnvironment(), _ => 0, new EpisodeOptions { Seed = 1, MaxSteps = 3 });
        Assert.That((capped.Steps, capped.Return), Is.EqualTo((3, 3.0)));
    }
}
