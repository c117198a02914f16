namespace TorchBinding.Examples.Tests;

/// <summary>The fast modes of the neural-ODE and reinforcement-learning examples (the last lecture's "other topics").</summary>
[Category("Examples")]
public class OdeRlExampleTests
{
    [Test]
    public void Neural_ode_learns_both_systems_and_adjoint_gradients_equal_backpropagation()
    {
        using var run = ExampleRun.Fast("NeuralOde");
        run.AssertCompleted("free_fall.png", "pendulum.png", "training_loss.png");
        Assert.Multiple(() =>
        {
            // Float64 with rtol 1e-7, atol 1e-9: the two gradients differ by the adjoint solve's error (measured 1e-6 to 3e-6).
            Assert.That(run["adjoint_gradient_max_difference"], Is.LessThan(1e-4));
            // 300 iterations per system (full mode: 1000). An untrained f ≈ 0 leaves the state at [0.1, 0]: its MSE
            // is about 0.1 for the pendulum and about 100 for free fall. Measured with seeds 42, 1, 2: pendulum
            // 4.2e-4, 8.3e-5, 9.6e-4; free fall 0.022, 0.009, 0.010.
            Assert.That(run["pendulum_trajectory_mse"], Is.LessThan(0.01));
            Assert.That(run["free_fall_trajectory_mse"], Is.LessThan(0.2));
            Assert.That(run["pendulum_function_evaluations"], Is.GreaterThan(100), "dopri5 needs many steps for the oscillation");
        });
    }

    [Test]
    public void Reinforcement_learning_levitates_the_ball_lets_the_mouse_escape_and_balances_the_pole()
    {
        using var run = ExampleRun.Fast("ReinforcementLearning");
        run.AssertCompleted("maglev.png", "catmouse_training.png", "catmouse_paths.png", "cartpole_returns.png");
        Assert.Multiple(() =>
        {
            // 40 maglev episodes (full: 70). Measured with seeds 1, 2, 3, 4, 42: 70, 50, 65, 65, 70 % of the last 20
            // ended within 0.5 of the target, and the greedy test from x = 3 ended within 0.24. A random policy ends
            // within 0.5 in 0.6 % of episodes, constant ones never.
            Assert.That(run["maglev_last20_within_fraction"], Is.GreaterThanOrEqualTo(0.3));
            Assert.That(run["maglev_test_final_error"], Is.LessThan(0.5));
            // 80 cat-and-mouse episodes with ε falling five times faster than the course's: measured 40 to 46 % escapes
            // in the last 50 (seeds 1, 2, 3, 4, 42). Random swimming escapes in 11 % of episodes from a random start.
            Assert.That(run["catmouse_last50_escape_rate"], Is.GreaterThanOrEqualTo(0.25));
            // 80 CartPole episodes of DQN with a target network, the best of the periodic evaluations, 20 greedy test
            // episodes: measured 153, 179, 254, 192 (seeds 1, 2, 3, 42). A random policy averages 22.
            Assert.That(run["cartpole_mean_return"], Is.GreaterThan(100));
        });
    }
}
