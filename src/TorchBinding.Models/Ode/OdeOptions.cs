namespace TorchBinding.Models.Ode;

/// <summary>The right-hand side f(t, y) of the ODE dy/dt = f(t, y): a tensor of the shape and dtype of y.</summary>
/// <param name="t">The time.</param>
/// <param name="y">The state, of the shape of the initial state.</param>
public delegate TorchSharp.torch.Tensor OdeFunction(double t, TorchSharp.torch.Tensor y);

/// <summary>The integration schemes of <see cref="OdeSolver"/>.</summary>
public enum OdeMethod
{
    /// <summary>Explicit Euler, fixed step, order 1: y ← y + h·f(t, y).</summary>
    Euler,

    /// <summary>The classical Runge–Kutta scheme, fixed step, order 4 (four evaluations per step).</summary>
    Rk4,

    /// <summary>
    /// Dormand–Prince 5(4) ("dopri5", MATLAB's ode45, torchdiffeq's default): order 5 with an embedded order-4
    /// error estimate that adapts the step to <see cref="OdeOptions.RelativeTolerance"/> and
    /// <see cref="OdeOptions.AbsoluteTolerance"/>; six new evaluations per step (the seventh is reused), and a
    /// 4th-order dense output for the requested times between steps.
    /// </summary>
    Dopri5,
}

/// <summary>
/// Options of <see cref="OdeSolver"/>. The defaults are torchdiffeq's: dopri5 with rtol 1e-7 and atol 1e-9.
/// </summary>
public sealed record OdeOptions
{
    /// <summary>The scheme (default <see cref="OdeMethod.Dopri5"/>).</summary>
    public OdeMethod Method { get; init; } = OdeMethod.Dopri5;

    /// <summary>dopri5: the relative tolerance of the local error (default 1e-7).</summary>
    public double RelativeTolerance { get; init; } = 1e-7;

    /// <summary>dopri5: the absolute tolerance of the local error (default 1e-9).</summary>
    public double AbsoluteTolerance { get; init; } = 1e-9;

    /// <summary>
    /// Euler and RK4: the largest step; each interval between requested times is cut into equal steps no longer
    /// than this (null: one step per interval). dopri5: the first step's size (null: chosen from the problem,
    /// as Hairer, Nørsett and Wanner's starting-step algorithm does).
    /// </summary>
    public double? StepSize { get; init; }

    /// <summary>The most steps (accepted and rejected) one solve may take before it gives up with an error (default 100,000).</summary>
    public int MaxSteps { get; init; } = 100_000;

    /// <summary>Checks the options; the message names the bad one.</summary>
    internal void Validate()
    {
        if (!Enum.IsDefined(Method))
            throw new ArgumentException($"OdeOptions.Method {(int)Method} is not an OdeMethod.");
        if (!(RelativeTolerance > 0) || !double.IsFinite(RelativeTolerance))
            throw new ArgumentException($"OdeOptions.RelativeTolerance must be a positive number, got {RelativeTolerance}.");
        if (!(AbsoluteTolerance > 0) || !double.IsFinite(AbsoluteTolerance))
            throw new ArgumentException($"OdeOptions.AbsoluteTolerance must be a positive number, got {AbsoluteTolerance}.");
        if (StepSize is { } h && (!(h > 0) || !double.IsFinite(h)))
            throw new ArgumentException($"OdeOptions.StepSize must be a positive number (or null), got {h}.");
        if (MaxSteps < 1)
            throw new ArgumentException($"OdeOptions.MaxSteps must be at least 1, got {MaxSteps}.");
    }
}
