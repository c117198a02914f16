using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Losses;

/// <summary>
/// Weight penalties added to a loss to regularise a model: <c>loss + λ · WeightPenalty.L2(model.parameters())</c>.
/// They sum over every tensor given; to leave biases out, pass only the weights, e.g.
/// <c>model.named_parameters().Where(p =&gt; p.name.EndsWith("weight")).Select(p =&gt; p.parameter)</c>.
/// </summary>
public static class WeightPenalty
{
    /// <summary>The L1 penalty <c>Σ |w|</c> over all entries of all <paramref name="parameters"/> (it drives weights to exactly 0).</summary>
    /// <param name="parameters">The tensors to penalise, e.g. <c>module.parameters()</c>.</param>
    /// <returns>A scalar tensor, differentiable with respect to the parameters; a CPU float32 zero when there are none.</returns>
    /// <exception cref="ArgumentException">A parameter is not floating point.</exception>
    public static Tensor L1(IEnumerable<Tensor> parameters) => Sum("WeightPenalty.L1", parameters, w => w.abs().sum());

    /// <summary>
    /// The L2 penalty <c>½ Σ w²</c> over all entries of all <paramref name="parameters"/>. The ½ is the lecture's:
    /// adding <c>λ · L2</c> gives its weight decay term <c>(λ/2) wᵀw</c>, whose gradient is <c>λ w</c>.
    /// </summary>
    /// <inheritdoc cref="L1"/>
    public static Tensor L2(IEnumerable<Tensor> parameters) => Sum("WeightPenalty.L2", parameters, w => 0.5 * w.square().sum());

    static Tensor Sum(string function, IEnumerable<Tensor> parameters, Func<Tensor, Tensor> term)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        Tensor? total = null;
        var index = 0;
        foreach (var parameter in parameters)
        {
            if (parameter is null)
                throw new ArgumentException($"{function}: parameter {index} is null.", nameof(parameters));
            if (!TensorChecks.IsFloating(parameter.dtype))
                throw new ArgumentException($"{function}: parameter {index} {Shapes.Format(parameter)} is {parameter.dtype}; weights must be floating point.", nameof(parameters));
            total = total is null ? term(parameter) : total + term(parameter);
            index++;
        }
        return (total ?? zeros(Array.Empty<long>())).MoveToOuterDisposeScope();
    }
}
