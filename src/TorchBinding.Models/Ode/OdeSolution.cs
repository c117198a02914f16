using static TorchSharp.torch;

namespace TorchBinding.Models.Ode;

/// <summary>
/// The result of <see cref="OdeSolver.Solve"/> or <see cref="OdeSolver.SolveAdjoint"/>: the trajectory at the
/// requested times and what the solve cost. For an adjoint solve, the backward counts grow when gradients
/// flow through <see cref="Trajectory"/> (each <c>backward()</c> adds its adjoint solve).
/// </summary>
public sealed class OdeSolution
{
    internal OdeSolution(Tensor trajectory, SolverStatistics forward)
    {
        Trajectory = trajectory;
        FunctionEvaluations = forward.FunctionEvaluations;
        Steps = forward.Steps;
        RejectedSteps = forward.RejectedSteps;
    }

    /// <summary>The states at the requested times, shape <c>[T, ...y0.shape]</c>; row 0 is y0.</summary>
    public Tensor Trajectory { get; }

    /// <summary>Evaluations of f in the forward solve (dopri5 includes the one its starting-step choice makes).</summary>
    public int FunctionEvaluations { get; }

    /// <summary>Accepted steps of the forward solve.</summary>
    public int Steps { get; }

    /// <summary>Rejected steps of the forward solve (dopri5 only; a rejected step is retried with a smaller one).</summary>
    public int RejectedSteps { get; }

    /// <summary>Adjoint solves only: evaluations of f (each with a vector–Jacobian product) in the backward solves so far.</summary>
    public int BackwardFunctionEvaluations { get; internal set; }

    /// <summary>Adjoint solves only: accepted steps of the backward solves so far.</summary>
    public int BackwardSteps { get; internal set; }

    /// <summary>
    /// Adjoint solves only: why the last backward solve failed, or null. An exception cannot leave libtorch's
    /// autograd engine, so a failed adjoint solve gives NaN gradients, writes its message to standard error and
    /// keeps the exception here.
    /// </summary>
    public Exception? BackwardError { get; internal set; }
}

/// <summary>Counts of one integration.</summary>
internal readonly record struct SolverStatistics(int FunctionEvaluations, int Steps, int RejectedSteps);
