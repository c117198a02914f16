using TorchBinding.Models.Reinforcement;

namespace TorchBinding.Models.Tests.Reinforcement;

/// <summary>
/// The three environments against their definitions: the course's printed MagLev states, the cat-and-mouse rules
/// worked by hand, and Gymnasium's CartPole equations written out again here; seeding and misuse.
/// </summary>
public class EnvironmentTests
{
    static IEnumerable<Func<DiscreteEnvironment>> All() =>
    [
        () => new MagLevEnvironment(),
        () => new CatMouseEnvironment(),
        () => new CartPoleEnvironment(),
    ];

    [Test]
    public void MagLev_reproduces_the_courses_printed_states()
    {
        var env = new MagLevEnvironment();
        // The notebook's demo: state [15.14932627, 2.0], then step(1) prints [15.24732627, 2.15198326].
        env.ResetTo(2.0, 15.14932627);
        var step = env.Step(1);
        Assert.That(step.Observation[0], Is.EqualTo(15.24732627).Within(1e-8));
        Assert.That(step.Observation[1], Is.EqualTo(2.15198326).Within(1e-8));
        // The test from x = 3, v = −1: step 0 with the magnet on prints [-0.902 2.99049] 1 -2.00951.
        env.ResetTo(3.0, -1.0);
        step = env.Step(1);
        Assert.Multiple(() =>
        {
            Assert.That(step.Observation[0], Is.EqualTo(-0.902).Within(1e-12));
            Assert.That(step.Observation[1], Is.EqualTo(2.99049).Within(1e-12));
            Assert.That(step.Reward, Is.EqualTo(-2.00951).Within(1e-12));
            Assert.That(step.Terminated || step.Truncated, Is.False);
        });
    }

    [Test]
    public void MagLev_rewards_the_target_band_penalises_the_box_and_runs_on_after_leaving_it()
    {
        var env = new MagLevEnvironment(maxEpisodeSteps: 3);
        env.ResetTo(4.6, 0);
        var inside = env.Step(0);                      // a = −9.8: x = 4.6 − 0.00049
        Assert.That(inside.Reward, Is.EqualTo(-Math.Abs(4.6 - 0.00049 - 5) + 2).Within(1e-12), "+2 within 0.5 of the target");
        env.ResetTo(9.99, 19.9);
        var outside = env.Step(1);                     // x = 9.99 + 0.199 + 0.00049 > 10
        Assert.Multiple(() =>
        {
            Assert.That(outside.Terminated, Is.True, "leaving the box terminates");
            Assert.That(outside.Reward, Is.EqualTo(-Math.Abs(9.99 + 0.199 + 0.00049 - 5) - 1).Within(1e-12), "−1 outside the box");
        });
        Assert.That(env.Step(1).Truncated, Is.False, "the course's ball moves on after leaving the box");
        Assert.That(env.Step(0).Truncated, Is.True, "the time limit");
        Assert.That(() => env.Step(0), Throws.InvalidOperationException.With.Message.Contains("truncated after 3 steps").And.Message.Contains("Reset()"));
    }

    [Test]
    public void MagLev_starts_at_a_whole_height_from_0_to_10_with_a_speed_up_to_20()
    {
        var env = new MagLevEnvironment();
        var heights = new HashSet<double>();
        for (var seed = 0; seed < 300; seed++)
        {
            var o = env.Reset(seed);
            heights.Add(o[1]);
            Assert.That(o[0], Is.InRange(-20.0, 20.0));
        }
        Assert.That(heights.Order(), Is.EqualTo(Enumerable.Range(0, 11).Select(i => (double)i)));
    }

    [Test]
    public void CartPole_first_steps_equal_gyms_equations()
    {
        var env = new CartPoleEnvironment();
        var state = env.Reset(seed: 7);
        Assert.That(state.All(v => v is >= -0.05 and <= 0.05), Is.True, "reset draws each variable from U(−0.05, 0.05)");
        // Gymnasium's CartPoleEnv.step, written out independently: g 9.8, m_c 1, m_p 0.1, half length 0.5, F 10, τ 0.02, Euler.
        var (x, xDot, theta, thetaDot) = (state[0], state[1], state[2], state[3]);
        foreach (var action in new[] { 1, 1, 0, 1, 0, 0, 0, 1 })
        {
            var force = action == 1 ? 10.0 : -10.0;
            var temp = (force + 0.05 * thetaDot * thetaDot * Math.Sin(theta)) / 1.1;
            var thetaAcc = (9.8 * Math.Sin(theta) - Math.Cos(theta) * temp) / (0.5 * (4.0 / 3.0 - 0.1 * Math.Cos(theta) * Math.Cos(theta) / 1.1));
            var xAcc = temp - 0.05 * thetaAcc * Math.Cos(theta) / 1.1;
            (x, xDot, theta, thetaDot) = (x + 0.02 * xDot, xDot + 0.02 * xAcc, theta + 0.02 * thetaDot, thetaDot + 0.02 * thetaAcc);
            var step = env.Step(action);
            Assert.That(step.Observation, Is.EqualTo(new[] { x, xDot, theta, thetaDot }).Within(1e-15));
            Assert.That(step.Reward, Is.EqualTo(1));
            Assert.That(step.Terminated, Is.False);
        }
    }

    [Test]
    public void CartPole_terminates_past_12_degrees_with_a_last_reward_and_truncates_at_its_time_limit()
    {
        var env = new CartPoleEnvironment();
        env.Reset(seed: 1);
        EnvironmentStep step;
        var steps = 0;
        do
        {
            step = env.Step(1);                      // always pushing right tips the pole over to the left
            steps++;
        } while (!step.Terminated);
        Assert.Multiple(() =>
        {
            Assert.That(Math.Abs(step.Observation[2]), Is.GreaterThan(12 * Math.PI / 180));
            Assert.That(step.Reward, Is.EqualTo(1), "the terminating step is rewarded too");
            Assert.That(steps, Is.InRange(5, 30));
        });
        Assert.That(() => env.Step(0), Throws.InvalidOperationException.With.Message.Contains("terminated"));
        var short_ = new CartPoleEnvironment(maxEpisodeSteps: 3);
        short_.Reset(seed: 1);
        Assert.That(new[] { short_.Step(0).Truncated, short_.Step(1).Truncated, short_.Step(0).Truncated }, Is.EqualTo(new[] { false, false, true }));
    }

    [Test]
    public void Cat_runs_the_short_way_towards_the_mouse_and_the_observation_and_reward_follow_the_course()
    {
        var env = new CatMouseEnvironment();
        env.ResetTo(0.5, Math.PI / 2, 0);
        var step = env.Step(2);                          // 90°: the mouse swims up to (0, 0.55)
        var catAngle = 3.5 * 0.05;                       // the mouse is at +90°, so the cat runs anticlockwise
        Assert.That(env.CatAngle, Is.EqualTo(catAngle).Within(1e-12));
        var (cx, cy) = (Math.Cos(catAngle), Math.Sin(catAngle));
        var distance = Math.Sqrt(cx * cx + (0.55 - cy) * (0.55 - cy));
        var health = 1 - 2.0 / 500;
        Assert.Multiple(() =>
        {
            Assert.That(step.Observation, Is.EqualTo(new[] { 0.55, 2.0 / 500, -cx, 0.55 - cy }).Within(1e-12));
            Assert.That(step.Reward, Is.EqualTo(distance + health + 1).Within(1e-12), "distance + health + not eaten");
            Assert.That(step.Terminated, Is.False);
        });
        env.ResetTo(0.5, -Math.PI / 2, 0);
        env.Step(6);                                     // 270°: the mouse is below, the cat runs clockwise
        Assert.That(env.CatAngle, Is.EqualTo(-catAngle).Within(1e-12));
    }

    [Test]
    public void Mouse_escapes_far_from_the_cat_and_is_caught_within_its_reach()
    {
        var env = new CatMouseEnvironment();
        env.ResetTo(0.98, Math.PI / 2, -Math.PI / 2);   // the cat opposite
        var escape = env.Step(2);
        Assert.Multiple(() =>
        {
            Assert.That(escape.Terminated, Is.True);
            Assert.That(env.Outcome, Is.EqualTo(CatMouseOutcome.Escaped));
            var (cx, cy) = env.Cat;
            var distance = Math.Sqrt(cx * cx + (1.03 - cy) * (1.03 - cy));
            Assert.That(escape.Reward, Is.EqualTo(3 + distance + (1 - 2.0 / 500) + 1 + 1 + 1).Within(1e-12), "3·success + distance + health + outside + not eaten + not eaten·outside");
        });
        env.ResetTo(0.98, Math.PI / 2, Math.PI / 2 - 0.1);   // the crossing point is 0.1 rad from the cat; its step is 0.175 rad
        var caught = env.Step(2);
        Assert.Multiple(() =>
        {
            Assert.That(caught.Terminated, Is.True);
            Assert.That(env.Outcome, Is.EqualTo(CatMouseOutcome.Caught));
            Assert.That(env.CatAngle, Is.EqualTo(Math.PI / 2).Within(1e-12), "the cat jumps to the crossing point");
            Assert.That(caught.Reward, Is.EqualTo(0.03 + (1 - 2.0 / 500) + 1).Within(1e-12), "distance + health + outside");
        });
        Assert.That(() => env.Step(0), Throws.InvalidOperationException.With.Message.Contains("Reset()"));
    }

    [Test]
    public void Mouse_drowns_when_the_time_runs_out()
    {
        var env = new CatMouseEnvironment(timeLimit: 6);
        env.ResetTo(0, 0, 1);
        var actions = new[] { 0, 4, 0, 4, 0 };          // back and forth at the centre
        var results = actions.Select(env.Step).ToList();
        Assert.That(results.Select(r => r.Terminated), Is.EqualTo(new[] { false, false, false, false, true }), "done at t ≥ T − 1");
        Assert.That(env.Outcome, Is.EqualTo(CatMouseOutcome.Drowned));
    }

    [TestCaseSource(nameof(All))]
    public void Same_seed_same_episode_and_another_seed_another(Func<DiscreteEnvironment> create)
    {
        List<double> Play(DiscreteEnvironment env, int seed)
        {
            var values = env.Reset(seed).ToList();
            var random = new Random(5);
            for (var i = 0; i < 20 && !env.EpisodeOver; i++)
            {
                var step = env.Step(random.Next(env.ActionCount));
                values.AddRange(step.Observation);
                values.Add(step.Reward);
            }
            return values;
        }
        var (a, b) = (create(), create());
        var first = Play(a, 11);
        Assert.That(Play(b, 11), Is.EqualTo(first), "two instances, one seed");
        Assert.That(Play(a, 11), Is.EqualTo(first), "the same instance re-seeded");
        Assert.That(Play(a, 12), Is.Not.EqualTo(first), "another seed");
        // Without a seed, the environment continues its own generator: successive episodes differ.
        var (episode1, episode2) = (a.Reset(), a.Reset());
        Assert.That(episode2, Is.Not.EqualTo(episode1));
    }

    [TestCaseSource(nameof(All))]
    public void Invalid_actions_and_steps_before_a_reset_are_clear_errors(Func<DiscreteEnvironment> create)
    {
        var env = create();
        Assert.That(() => env.Step(0), Throws.InvalidOperationException.With.Message.Contains("call Reset() before Step()"));
        env.Reset(1);
        Assert.That(() => env.Step(env.ActionCount),
            Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains($"{env.Name}: action {env.ActionCount} is not valid")
                .And.Message.Contains($"{env.ActionCount - 1} ({env.ActionNames[^1]})"));
        Assert.That(() => env.Step(-1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("action -1 is not valid"));
    }

    [Test]
    public void Bad_settings_are_rejected_by_name()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new MagLevEnvironment(mass: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("mass"));
            Assert.That(() => new CatMouseEnvironment(speedRatio: -1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("speed ratio"));
            Assert.That(() => new CartPoleEnvironment(maxEpisodeSteps: 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("time limit"));
            Assert.That(() => new CatMouseEnvironment().ResetTo(1.5, 0, 0), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("in the pond"));
        });
    }
}
