using TorchBinding.Models.Ode;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Ode;

/// <summary>
/// The solvers on ẏ = −y (solution e^{−t}) and on problems with closed-form gradients: orders of convergence,
/// tolerance, both gradient methods, and the errors a user can provoke.
/// </summary>
public class OdeSolverTests
{
    [SetUp]
    public void Start() => TorchRuntime.EnsureInitialized();

    static readonly OdeFunction Decay = (t, y) => y.neg();

    static double[] Grid(double from, double to, int points) =>
        Enumerable.Range(0, points).Select(i => from + (to - from) * i / (points - 1)).ToArray();

    static double ErrorAtOne(OdeMethod method, int steps)
    {
        using var scope = NewDisposeScope();
        var y0 = tensor(new[] { 1.0 }, dtype: float64);
        var solution = OdeSolver.Solve(Decay, y0, [0.0, 1.0], new OdeOptions { Method = method, StepSize = 1.0 / steps });
        Assert.That(solution.Steps, Is.EqualTo(steps));
        return Math.Abs(solution.Trajectory[1].item<double>() - Math.Exp(-1));
    }

    /// <summary>log2 of the error ratio when the step halves: the order of the global error.</summary>
    static double ObservedOrder(Func<int, double> error, int steps) => Math.Log2(error(steps) / error(2 * steps));

    [Test]
    public void Euler_converges_with_order_one()
    {
        Assert.That(ObservedOrder(n => ErrorAtOne(OdeMethod.Euler, n), 200), Is.EqualTo(1).Within(0.05));
    }

    [Test]
    public void Rk4_converges_with_order_four()
    {
        var order = ObservedOrder(n => ErrorAtOne(OdeMethod.Rk4, n), 10);
        Assert.That(order, Is.EqualTo(4).Within(0.1));
        Assert.That(ErrorAtOne(OdeMethod.Rk4, 10), Is.LessThan(1e-6), "h = 0.1: the error of RK4 is about 3e-7");
        Assert.That(ErrorAtOne(OdeMethod.Rk4, 10), Is.LessThan(ErrorAtOne(OdeMethod.Euler, 10) / 1000));
    }

    [Test]
    public void Dopri5_steps_converge_with_order_five_and_its_dense_output_with_order_four_locally()
    {
        using var scope = NewDisposeScope();
        var y0 = tensor(new[] { 1.0 }, dtype: float64);
        double GlobalError(int steps) => Math.Abs(Integrator.Dopri5Fixed(Decay, y0, 0, 1, steps, new OdeOptions()).End.item<double>() - Math.Exp(-1));
        // Observed orders approach 5 from above as h shrinks (5.29 at 4 → 8 steps, 5.03 at 32 → 64).
        Assert.That(ObservedOrder(GlobalError, 32), Is.EqualTo(5).Within(0.1), "5th-order solution: global error O(h⁵)");

        // The local error of the continuous extension at the middle of one step of size h is O(h⁵) (order 4).
        double MidpointError(int steps) => Math.Abs(Integrator.Dopri5Fixed(Decay, y0, 0, 1.0 / steps, 1, new OdeOptions()).FirstMidpoint.item<double>() - Math.Exp(-0.5 / steps));
        Assert.That(ObservedOrder(MidpointError, 16), Is.EqualTo(5).Within(0.1));

        // The embedded error estimate is a local error: it shrinks like h⁵ as well.
        double Estimate(int steps) => Integrator.Dopri5Fixed(Decay, y0, 0, 1.0 / steps, 1, new OdeOptions { RelativeTolerance = 1, AbsoluteTolerance = 1 }).LargestErrorRatio;
        Assert.That(ObservedOrder(Estimate, 16), Is.EqualTo(5).Within(0.1));
    }

    [TestCase(1e-4)]
    [TestCase(1e-6)]
    [TestCase(1e-8)]
    public void Dopri5_keeps_the_error_within_its_tolerance_at_every_requested_time(double tolerance)
    {
        using var scope = NewDisposeScope();
        // A damped oscillator, x'' = −4x − 0.2x', from (1, 0): x = e^{−0.1t}(cos ωt + 0.1/ω sin ωt), ω = √3.99.
        var omega = Math.Sqrt(3.99);
        OdeFunction oscillator = (t, y) => stack([y[1], y[0].mul(-4).sub(y[1].mul(0.2))]);
        var times = Grid(0, 10, 101);
        var solution = OdeSolver.Solve(oscillator, tensor(new[] { 1.0, 0.0 }, dtype: float64), times,
            new OdeOptions { RelativeTolerance = tolerance, AbsoluteTolerance = tolerance });
        var x = solution.Trajectory.select(1, 0).data<double>().ToArray();
        var worst = times.Select((t, i) => Math.Abs(x[i] - Math.Exp(-0.1 * t) * (Math.Cos(omega * t) + 0.1 / omega * Math.Sin(omega * t)))).Max();
        // The tolerances bound the local error of each step; over 10 time units (about 3 periods, 30 to 183 steps)
        // the global error stays within a small multiple of them. Measured: 1e-4 → 4.6e-4, 1e-6 → 3.7e-6, 1e-8 → 3.5e-8.
        Assert.That(worst, Is.LessThan(10 * tolerance));
        Assert.That(solution.FunctionEvaluations, Is.EqualTo(6 * (solution.Steps + solution.RejectedSteps) + 2),
            "six new evaluations per step, one first evaluation and one for the starting step");
    }

    [Test]
    public void Dopri5_takes_more_steps_for_a_tighter_tolerance_and_integrates_backwards_in_time()
    {
        using var scope = NewDisposeScope();
        var y0 = tensor(new[] { 1.0, 2.0 }, dtype: float64);
        var loose = OdeSolver.Solve(Decay, y0, [0.0, 5.0], new OdeOptions { RelativeTolerance = 1e-4, AbsoluteTolerance = 1e-6 });
        var tight = OdeSolver.Solve(Decay, y0, [0.0, 5.0]);
        Assert.That(tight.Steps, Is.GreaterThan(2 * loose.Steps));
        var back = OdeSolver.Solve(Decay, tensor(new[] { Math.Exp(-2) }, dtype: float64), [2.0, 1.0, 0.0]);
        Assert.That(back.Trajectory[2].item<double>(), Is.EqualTo(1).Within(1e-7));
        Assert.That(back.Trajectory[1].item<double>(), Is.EqualTo(Math.Exp(-1)).Within(1e-7));
    }

    [Test]
    public void A_batch_of_initial_states_is_one_state_of_any_shape()
    {
        using var scope = NewDisposeScope();
        var y0 = tensor(new[] { 1.0, 2, 3, 4, 5, 6 }, [3, 1, 2], dtype: float32);
        foreach (var method in Enum.GetValues<OdeMethod>())
        {
            var solution = OdeSolver.Solve(Decay, y0, Grid(0, 1, 5), new OdeOptions { Method = method, StepSize = 0.01, RelativeTolerance = 1e-5, AbsoluteTolerance = 1e-6 });
            Assert.That(solution.Trajectory.shape, Is.EqualTo(new long[] { 5, 3, 1, 2 }), method.ToString());
            Assert.That(solution.Trajectory.dtype, Is.EqualTo(ScalarType.Float32));
            var expected = y0 * Math.Exp(-1);
            Assert.That(solution.Trajectory[4].sub(expected).abs().max().item<float>(), Is.LessThan(method == OdeMethod.Euler ? 0.02 : 1e-4), method.ToString());
        }
    }

    /// <summary>ẏ = θy, y(0) = y0: y(t) = y0·e^{θt}, ∂y(t)/∂θ = t·y0·e^{θt}, ∂y(t)/∂y0 = e^{θt}.</summary>
    static (double DLossDTheta, double DLossDY0) ClosedForm(double theta, double y0, double[] times) =>
        (times.Sum(t => t * y0 * Math.Exp(theta * t)), times.Sum(t => Math.Exp(theta * t)));

    [Test]
    public void Backpropagation_through_the_solver_and_the_adjoint_give_the_closed_form_gradient()
    {
        const double theta0 = -0.7, start = 2.0;
        var times = new[] { 0.0, 0.5, 1.5, 2.0 };
        var (dTheta, dY0) = ClosedForm(theta0, start, times);
        foreach (var adjoint in new[] { false, true })
        {
            using var scope = NewDisposeScope();
            var theta = tensor(theta0, dtype: float64).requires_grad_(true);
            var y0 = tensor(new[] { start }, dtype: float64).requires_grad_(true);
            OdeFunction f = (t, y) => y * theta;
            var solution = adjoint ? OdeSolver.SolveAdjoint(f, y0, times, [theta]) : OdeSolver.Solve(f, y0, times);
            solution.Trajectory.sum().backward(); // L = Σ y(tᵢ): every requested time contributes
            var name = adjoint ? "adjoint" : "backpropagation";
            Assert.Multiple(() =>
            {
                Assert.That(theta.grad!.item<double>(), Is.EqualTo(dTheta).Within(1e-6), $"{name}: ∂L/∂θ");
                Assert.That(y0.grad!.item<double>(), Is.EqualTo(dY0).Within(1e-6), $"{name}: ∂L/∂y0");
                Assert.That(solution.BackwardFunctionEvaluations, adjoint ? Is.GreaterThan(0) : Is.Zero, $"{name}: backward evaluations");
                Assert.That(solution.BackwardError, Is.Null);
            });
        }
    }

    [Test]
    public void Adjoint_gradients_of_a_neural_ode_equal_backpropagation_through_the_solver()
    {
        var direct = Gradients(adjoint: false);
        var viaAdjoint = Gradients(adjoint: true);
        for (var i = 0; i < direct.Length; i++)
            Assert.That(viaAdjoint[i].Zip(direct[i], (a, b) => Math.Abs(a - b)).Max(), Is.LessThan(1e-6), $"gradient {i}");

        static double[][] Gradients(bool adjoint)
        {
            using var scope = NewDisposeScope();
            manual_seed(3);
            var net = nn.Sequential(("fc1", nn.Linear(2, 16)), ("tanh", nn.Tanh()), ("fc2", nn.Linear(16, 2))).to(float64);
            var y0 = randn(5, 2, dtype: float64).requires_grad_(true);
            OdeFunction f = (t, y) => net.call(y);
            var times = Grid(0, 1, 7);
            var solution = adjoint ? OdeSolver.SolveAdjoint(f, y0, times, net.parameters()) : OdeSolver.Solve(f, y0, times);
            var target = ones_like(solution.Trajectory);
            solution.Trajectory.sub(target).abs().mean().backward();
            return [y0.grad!.data<double>().ToArray(), .. net.parameters().Select(p => p.grad!.data<double>().ToArray())];
        }
    }

    [Test]
    public void Adjoint_handles_a_right_hand_side_that_ignores_the_state_or_a_parameter()
    {
        using var scope = NewDisposeScope();
        // ẏ = θ (the state is unused) and φ is not used at all: y(T) = y0 + θT, so ∂y(T)/∂θ = T, ∂/∂y0 = 1, ∂/∂φ = 0.
        var theta = tensor(0.3, dtype: float64).requires_grad_(true);
        var phi = tensor(2.0, dtype: float64).requires_grad_(true);
        var y0 = tensor(new[] { 1.0 }, dtype: float64).requires_grad_(true);
        var solution = OdeSolver.SolveAdjoint((t, y) => theta.expand(1), y0, [0.0, 1.5], [theta, phi]);
        solution.Trajectory[1].sum().backward();
        Assert.Multiple(() =>
        {
            Assert.That(theta.grad!.item<double>(), Is.EqualTo(1.5).Within(1e-9));
            Assert.That(y0.grad!.item<double>(), Is.EqualTo(1).Within(1e-12));
            Assert.That(phi.grad is null || phi.grad.item<double>() == 0, Is.True, "no gradient for an unused parameter");
            Assert.That(solution.BackwardError, Is.Null);
        });
    }

    [Test]
    public void A_failed_adjoint_solve_gives_nan_gradients_and_keeps_its_error()
    {
        using var scope = NewDisposeScope();
        var theta = tensor(-0.7, dtype: float64).requires_grad_(true);
        var solution = OdeSolver.SolveAdjoint((t, y) => y * theta, tensor(new[] { 1.0 }, dtype: float64), [0.0, 2.0], [theta],
            adjointOptions: new OdeOptions { MaxSteps = 1 });
        solution.Trajectory.sum().backward();
        Assert.That(solution.BackwardError, Is.InstanceOf<InvalidOperationException>().With.Message.Contains("MaxSteps = 1"));
        Assert.That(double.IsNaN(theta.grad!.item<double>()), Is.True);
    }

    [Test]
    public void A_solve_leaves_only_its_trajectory_in_the_callers_scope()
    {
        using var scope = NewDisposeScope();
        var y0 = tensor(new[] { 1.0, 0.5 }, dtype: float64);
        var times = Grid(0, 3, 40);
        foreach (var method in Enum.GetValues<OdeMethod>())
        {
            var before = scope.DisposablesCount;
            OdeSolver.Solve(Decay, y0, times, new OdeOptions { Method = method, StepSize = 0.01 });
            Assert.That(scope.DisposablesCount - before, Is.EqualTo(1), method.ToString());
        }
    }

    [Test]
    public void Bad_input_is_an_error_that_names_the_problem()
    {
        using var scope = NewDisposeScope();
        var y0 = tensor(new[] { 1.0 }, dtype: float64);
        Assert.Multiple(() =>
        {
            Assert.That(() => OdeSolver.Solve(Decay, tensor(new long[] { 1 }), [0.0, 1.0]),
                Throws.ArgumentException.With.Message.Contains("floating-point").And.Message.Contains("Int64"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, [0.0, 1.0, 0.5]),
                Throws.ArgumentException.With.Message.Contains("strictly increasing or strictly decreasing").And.Message.Contains("times[2] = 0.5"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, [0.0, 0.0]), Throws.ArgumentException.With.Message.Contains("strictly"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, [0.0, double.NaN]), Throws.ArgumentException.With.Message.Contains("times[1] is NaN"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, []), Throws.ArgumentException.With.Message.Contains("At least one time"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, [0.0, 1.0], new OdeOptions { RelativeTolerance = -1 }),
                Throws.ArgumentException.With.Message.Contains("RelativeTolerance").And.Message.Contains("-1"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, [0.0, 1.0], new OdeOptions { Method = OdeMethod.Rk4, StepSize = 0 }),
                Throws.ArgumentException.With.Message.Contains("StepSize"));
            Assert.That(() => OdeSolver.Solve((t, y) => cat([y, y]), y0, [0.0, 1.0]),
                Throws.InvalidOperationException.With.Message.Contains("state's shape [1]").And.Message.Contains("[2]"));
            Assert.That(() => OdeSolver.Solve((t, y) => y.to(float32), y0, [0.0, 1.0]),
                Throws.InvalidOperationException.With.Message.Contains("Float64").And.Message.Contains("Float32"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, [0.0, 100.0], new OdeOptions { MaxSteps = 5 }),
                Throws.InvalidOperationException.With.Message.Contains("MaxSteps = 5"));
            Assert.That(() => OdeSolver.Solve(Decay, y0, [0.0, 1.0], new OdeOptions { Method = OdeMethod.Rk4, StepSize = 1e-3, MaxSteps = 100 }),
                Throws.InvalidOperationException.With.Message.Contains("MaxSteps = 100"));
            Assert.That(() => OdeSolver.SolveAdjoint(Decay, y0, [0.0, 1.0], [tensor(new long[] { 1 })]),
                Throws.ArgumentException.With.Message.Contains("parameter 0").And.Message.Contains("Int64"));
        });
    }

    [Test]
    public void A_solution_that_blows_up_stops_with_an_error_instead_of_running_forever()
    {
        using var scope = NewDisposeScope();
        // ẏ = y², y(0) = 1 has the solution 1/(1 − t), which reaches infinity at t = 1.
        Assert.That(() => OdeSolver.Solve((t, y) => y.square(), tensor(new[] { 1.0 }, dtype: float64), [0.0, 2.0]),
            Throws.InvalidOperationException.With.Message.Contains("underflowed").Or.Message.Contains("MaxSteps"));
    }
}
