using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Ode;

/// <summary>What one adjoint solve needs in its backward pass.</summary>
internal sealed class AdjointProblem(OdeFunction f, double[] times, IReadOnlyList<Tensor> parameters, OdeOptions options, OdeOptions adjointOptions)
{
    public OdeFunction F { get; } = f;
    public double[] Times { get; } = times;
    public IReadOnlyList<Tensor> Parameters { get; } = parameters;
    public OdeOptions Options { get; } = options;
    public OdeOptions AdjointOptions { get; } = adjointOptions;
    public SolverStatistics Forward { get; set; }
    public OdeSolution? Solution { get; set; }
}

/// <summary>
/// The adjoint method as a custom autograd function: the forward solve records no graph; backward integrates
/// the augmented state [y, a, a_θ] (flattened into one vector) from the last requested time to the first.
/// </summary>
internal sealed class AdjointFunction : autograd.SingleTensorFunction<AdjointFunction>
{
    public override string Name => "OdeAdjoint";

    public static OdeSolution Solve(AdjointProblem problem, Tensor y0)
    {
        var vars = new object[2 + problem.Parameters.Count];
        vars[0] = problem;
        vars[1] = y0;
        for (var i = 0; i < problem.Parameters.Count; i++)
            vars[2 + i] = problem.Parameters[i];
        var trajectory = apply(vars);
        problem.Solution = new OdeSolution(trajectory, problem.Forward);
        return problem.Solution;
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var problem = (AdjointProblem)vars[0];
        var y0 = (Tensor)vars[1];
        var (trajectory, statistics) = Integrator.Run(problem.F, y0, problem.Times, problem.Options);
        problem.Forward = statistics;
        ctx.save_for_backward([trajectory.detach()]);
        ctx.save_data("problem", problem);
        return trajectory;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var problem = (AdjointProblem)ctx.get_data("problem");
        var trajectory = ctx.get_saved_variables()[0];
        var result = new List<Tensor> { null! };
        try
        {
            var (gradY0, gradParameters) = Backward(problem, trajectory, gradOutput);
            result.Add(gradY0);
            result.AddRange(gradParameters);
        }
        catch (Exception e)
        {
            // An exception cannot cross the native autograd engine; the gradients become NaN and the error is kept.
            if (problem.Solution is { } solution)
                solution.BackwardError = e;
            Console.Error.WriteLine($"OdeSolver.SolveAdjoint: the adjoint (backward) solve failed: {e.Message}");
            result.Add(full_like(trajectory[0], double.NaN));
            result.AddRange(problem.Parameters.Select(p => full_like(p, double.NaN)));
        }
        return result;
    }

    static (Tensor GradY0, List<Tensor> GradParameters) Backward(AdjointProblem problem, Tensor trajectory, Tensor gradOutput)
    {
        var times = problem.Times;
        var shape = trajectory.shape[1..];
        var n = trajectory[0].numel();
        var dtype = trajectory.dtype;
        var trainable = problem.Parameters.Where(p => p.requires_grad).ToList();
        var sizes = trainable.Select(p => p.numel()).ToArray();
        var parameterCount = sizes.Sum();
        var adjoint = gradOutput[times.Length - 1].reshape(-1).to(dtype).detach().clone();
        var adjointParameters = zeros(parameterCount, dtype: dtype, device: trajectory.device);

        Tensor Augmented(double t, Tensor z)
        {
            using var scope = NewDisposeScope();
            var y = z.narrow(0, 0, n).reshape(shape).detach().requires_grad_(true);
            var a = z.narrow(0, n, n).reshape(shape);
            Tensor fy;
            IList<Tensor> vjp;
            using (enable_grad())
            {
                fy = problem.F(t, y);
                if (fy.dtype != dtype || !fy.shape.AsSpan().SequenceEqual(shape))
                    throw new InvalidOperationException($"The ODE function must return the state's shape {Shapes.Format(shape)} and dtype {dtype}; it returned {Shapes.Format(fy)} {fy.dtype}.");
                vjp = autograd.grad([fy], [y, .. trainable], [a], allow_unused: true);
            }
            var parts = new List<Tensor>(2 + trainable.Count) { fy.detach().reshape(-1), Negated(vjp[0], n, dtype, z) };
            for (var i = 0; i < trainable.Count; i++)
                parts.Add(Negated(vjp[1 + i], sizes[i], dtype, z));
            return cat(parts).MoveToOuterDisposeScope();
        }

        var backwardEvaluations = 0;
        var backwardSteps = 0;
        for (var i = times.Length - 1; i >= 1; i--)
        {
            using var scope = NewDisposeScope();
            var z0 = cat([trajectory[i].reshape(-1), adjoint, adjointParameters]);
            var segment = OdeSolver.Solve(Augmented, z0, [times[i], times[i - 1]], problem.AdjointOptions);
            backwardEvaluations += segment.FunctionEvaluations;
            backwardSteps += segment.Steps;
            var z1 = segment.Trajectory[1];
            var nextAdjoint = z1.narrow(0, n, n).add(gradOutput[i - 1].reshape(-1).to(dtype)).MoveToOuterDisposeScope();
            var nextParameters = z1.narrow(0, 2 * n, parameterCount).clone().MoveToOuterDisposeScope();
            adjoint.Dispose();
            adjointParameters.Dispose();
            (adjoint, adjointParameters) = (nextAdjoint, nextParameters);
        }
        if (problem.Solution is { } solution)
        {
            solution.BackwardFunctionEvaluations += backwardEvaluations;
            solution.BackwardSteps += backwardSteps;
        }

        var gradY0 = adjoint.reshape(shape);
        var gradParameters = new List<Tensor>(problem.Parameters.Count);
        var offset = 0L;
        var index = 0;
        foreach (var parameter in problem.Parameters)
        {
            if (!parameter.requires_grad)
            {
                gradParameters.Add(null!);
                continue;
            }
            gradParameters.Add(adjointParameters.narrow(0, offset, sizes[index]).reshape(parameter.shape).to(parameter.dtype));
            offset += sizes[index++];
        }
        return (gradY0, gradParameters);
    }

    /// <summary>−g flattened, or zeros when the input was unused (an undefined gradient).</summary>
    static Tensor Negated(Tensor? gradient, long count, ScalarType dtype, Tensor like) =>
        gradient is null || gradient.IsInvalid ? zeros(count, dtype: dtype, device: like.device) : gradient.reshape(-1).to(dtype).neg();
}
