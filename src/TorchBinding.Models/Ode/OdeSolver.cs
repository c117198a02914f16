using static TorchSharp.torch;

namespace TorchBinding.Models.Ode;

/// <summary>
/// Solves initial-value problems dy/dt = f(t, y), y(t₀) = y0 on tensors: fixed-step Euler and RK4, and adaptive
/// Dormand–Prince (dopri5) with relative/absolute error control, as torchdiffeq's <c>odeint</c>. The state may have
/// any shape (e.g. a batch of initial states [B, D]); f must return a tensor of that shape and dtype.
/// Gradients come two ways:
/// <list type="bullet">
/// <item><see cref="Solve"/>: backpropagation through the solver's operations (exact for the discretised
/// solution; memory grows with the number of steps).</item>
/// <item><see cref="SolveAdjoint"/>: the adjoint method of Chen et al. (2018), which solves the adjoint ODE
/// backwards in time and needs memory independent of the number of steps.</item>
/// </list>
/// </summary>
/// <example><code>
/// var t = Enumerable.Range(0, 500).Select(i => 2.0 * i / 499).ToArray();
/// var solution = OdeSolver.Solve((t, y) => net.call(y), y0, t);                 // [500, ...y0.shape]
/// var adjoint = OdeSolver.SolveAdjoint((t, y) => net.call(y), y0, t, net.parameters());
/// adjoint.Trajectory.sub(target).abs().mean().backward();                         // gradients by the adjoint ODE
/// </code></example>
public static class OdeSolver
{
    /// <summary>
    /// Integrates from <c>times[0]</c> through every later time, differentiably: gradients reach <paramref name="y0"/>
    /// and f's parameters by backpropagation through the solver.
    /// </summary>
    /// <param name="f">The right-hand side f(t, y).</param>
    /// <param name="y0">The initial state at <c>times[0]</c>, a floating-point tensor of any shape.</param>
    /// <param name="times">The requested times, strictly increasing or strictly decreasing (at least one).</param>
    /// <param name="options">The scheme and its settings (default: dopri5, rtol 1e-7, atol 1e-9).</param>
    /// <returns>The trajectory at <paramref name="times"/> with the solver's counts.</returns>
    /// <exception cref="ArgumentException">A bad argument (the message names it).</exception>
    /// <exception cref="InvalidOperationException">f returned the wrong shape or dtype, or the solver gave up (too many steps, step-size underflow).</exception>
    public static OdeSolution Solve(OdeFunction f, Tensor y0, IReadOnlyList<double> times, OdeOptions? options = null)
    {
        options ??= new OdeOptions();
        Validate(f, y0, times, options);
        var (trajectory, statistics) = Integrator.Run(f, y0, times, options);
        return new OdeSolution(trajectory, statistics);
    }

    /// <summary>
    /// Integrates like <see cref="Solve"/> without recording the solver's operations; gradients of the trajectory
    /// with respect to <paramref name="y0"/> and <paramref name="parameters"/> come from the adjoint method
    /// (Chen et al. 2018): the augmented state [y, a = ∂L/∂y, ∂L/∂θ] is integrated backwards from the last time,
    /// with da/dt = −aᵀ∂f/∂y and d(∂L/∂θ)/dt = −aᵀ∂f/∂θ, adding ∂L/∂y(tᵢ) at each requested time and restarting y
    /// there from the stored forward solution. Memory does not grow with the number of steps.
    /// </summary>
    /// <param name="f">The right-hand side f(t, y); its parameters must be among <paramref name="parameters"/> to get gradients.</param>
    /// <param name="y0">The initial state at <c>times[0]</c>.</param>
    /// <param name="times">The requested times, strictly increasing or strictly decreasing.</param>
    /// <param name="parameters">The tensors f depends on whose gradients are wanted (e.g. <c>module.parameters()</c>).</param>
    /// <param name="options">The forward solve's scheme and settings.</param>
    /// <param name="adjointOptions">The backward (adjoint) solve's (default: <paramref name="options"/>).</param>
    /// <returns>The trajectory at <paramref name="times"/>; its backward counts grow with each backward pass.</returns>
    /// <exception cref="ArgumentException">A bad argument (the message names it).</exception>
    public static OdeSolution SolveAdjoint(OdeFunction f, Tensor y0, IReadOnlyList<double> times, IEnumerable<Tensor> parameters,
        OdeOptions? options = null, OdeOptions? adjointOptions = null)
    {
        options ??= new OdeOptions();
        adjointOptions ??= options;
        Validate(f, y0, times, options);
        adjointOptions.Validate();
        ArgumentNullException.ThrowIfNull(parameters);
        var list = parameters.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is null || list[i].IsInvalid)
                throw new ArgumentException($"SolveAdjoint: parameter {i} is null or disposed.", nameof(parameters));
            if (!TensorChecks.IsFloating(list[i].dtype))
                throw new ArgumentException($"SolveAdjoint: parameter {i} has dtype {list[i].dtype}; parameters must be floating-point.", nameof(parameters));
        }
        return AdjointFunction.Solve(new AdjointProblem(f, times.ToArray(), list, options, adjointOptions), y0);
    }

    static void Validate(OdeFunction f, Tensor y0, IReadOnlyList<double> times, OdeOptions options)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(y0);
        ArgumentNullException.ThrowIfNull(times);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (y0.IsInvalid)
            throw new ArgumentException("The initial state y0 has been disposed.", nameof(y0));
        if (!TensorChecks.IsFloating(y0.dtype))
            throw new ArgumentException($"The initial state y0 must be a floating-point tensor, got dtype {y0.dtype}.", nameof(y0));
        if (y0.numel() == 0)
            throw new ArgumentException($"The initial state y0 is empty ({Shapes.Format(y0)}).", nameof(y0));
        if (times.Count == 0)
            throw new ArgumentException("At least one time is needed (the first is y0's).", nameof(times));
        for (var i = 0; i < times.Count; i++)
            if (!double.IsFinite(times[i]))
                throw new ArgumentException($"times[{i}] is {times[i]}; every time must be finite.", nameof(times));
        if (times.Count >= 2)
        {
            var direction = Math.Sign(times[1] - times[0]);
            for (var i = 1; i < times.Count; i++)
                if (direction == 0 || Math.Sign(times[i] - times[i - 1]) != direction)
                    throw new ArgumentException(
                        $"times must be strictly increasing or strictly decreasing; times[{i - 1}] = {times[i - 1]} and times[{i}] = {times[i]} break that.", nameof(times));
        }
    }
}
