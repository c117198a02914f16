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
}
