using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Losses;

/// <summary>
/// Checks of loss and metric inputs, done before any kernel sees them, so that a predictable mistake is an
/// <see cref="ArgumentException"/> naming the function, the expected and the actual shape or value, never a
/// native error. Also the pieces every loss of the table shares: one-hot targets, σ and the reduction.
/// </summary>
static class LossInputs
{
    /// <summary>Checks that <paramref name="output"/> is a non-empty floating-point <c>[N, K]</c> tensor of raw scores.</summary>
    public static void RequireScores(string function, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!TensorChecks.IsFloating(output.dtype))
            throw new ArgumentException($"{function}: outputs must be floating-point raw scores [N, K]; got {output.dtype} {Shapes.Format(output)}.", nameof(output));
        if (output.dim() != 2)
            throw new ArgumentException($"{function}: outputs must be raw scores [N, K] (samples × classes); got {Shapes.Format(output)}.", nameof(output));
        if (output.shape[0] == 0)
            throw new ArgumentException($"{function}: the batch is empty (outputs {Shapes.Format(output)}).", nameof(output));
        if (output.shape[1] == 0)
            throw new ArgumentException($"{function}: outputs {Shapes.Format(output)} have no classes (K = 0).", nameof(output));
    }

    /// <summary>
    /// The targets as a floating-point <c>[N, K]</c> tensor of the outputs' dtype and device: one-hot or probability
    /// targets as given, class indices <c>[N]</c> (an integer dtype) converted to one-hot.
    /// </summary>
    public static Tensor DenseTargets(string function, Tensor output, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(target);
        long n = output.shape[0], k = output.shape[1];
        if (TensorChecks.IsInteger(target.dtype))
        {
            if (target.dim() != 1 || target.shape[0] != n)
                throw new ArgumentException($"{function}: class-index targets must have shape [N] = [{n}] to match outputs {Shapes.Format(output)}; got {Shapes.Format(target)}.", nameof(target));
            var labels = target.to(int64).to(output.device);
            TensorChecks.RequireLabelsInRange(function, labels, k, "target");
            return nn.functional.one_hot(labels, k).to(output.dtype);
        }
        if (!TensorChecks.IsFloating(target.dtype))
            throw new ArgumentException($"{function}: targets must be one-hot or probabilities [N, K] (floating point) or class indices [N] (int64); got {target.dtype} {Shapes.Format(target)}.", nameof(target));
        if (target.dim() == 1 && target.shape[0] == n && k > 1)
            throw new ArgumentException($"{function}: targets {Shapes.Format(target)} of {target.dtype} look like class indices, which must be an integer tensor (int64); one-hot targets must have the outputs' shape {Shapes.Format(output)}.", nameof(target));
        if (!target.shape.SequenceEqual(output.shape))
            throw new ArgumentException($"{function}: targets must have the outputs' shape {Shapes.Format(output)} (one-hot or probabilities) or be class indices [{n}] (int64); got {Shapes.Format(target)}.", nameof(target));
        RequireProbabilities(function, target);
        return target.to(output.dtype).to(output.device);
    }

    /// <summary>
    /// One-hot or probability targets lie in [0, 1]: a target of 2 or −1 would give σ-based losses (log loss, hinge
    /// on σ) a minimum σ cannot reach, and they would train on without complaint.
    /// </summary>
    static void RequireProbabilities(string function, Tensor target)
    {
        if (target.numel() == 0)
            return;
        using var scope = NewDisposeScope();
        var outside = target.lt(0).logical_or(target.gt(1)).logical_or(target.isnan());
        if (outside.any().item<bool>())
        {
            var index = outside.flatten().nonzero()[0, 0].item<long>();
            var value = target.flatten()[index].to(float64).item<double>();
            throw new ArgumentException($"{function}: one-hot or probability targets must lie in [0, 1]; got {value} (element {index} of targets {Shapes.Format(target)}).", nameof(target));
        }
    }

    /// <summary>σ(o) over the class dimension (1).</summary>
    public static Tensor Apply(Squash squash, Tensor output) => squash switch
    {
        Squash.Identity => output,
        Squash.Sigmoid => output.sigmoid(),
        Squash.Softmax => output.softmax(1),
        _ => throw new ArgumentOutOfRangeException(nameof(squash), squash, "Unknown squash."),
    };

    /// <summary>
    /// log σ(o), computed in log space (log-sigmoid, log-softmax) so that it stays finite for large scores. With
    /// <see cref="Squash.Identity"/> the outputs are taken as probabilities and entries whose target is 0 are given
    /// log 1 = 0, so that 0 · log 0 neither becomes NaN nor spoils the gradient.
    /// </summary>
    public static Tensor Log(Squash squash, Tensor output, Tensor target) => squash switch
    {
        Squash.Identity => where(target.gt(0), output, ones_like(output)).log(),
        Squash.Sigmoid => nn.functional.logsigmoid(output),
        Squash.Softmax => output.log_softmax(1),
        _ => throw new ArgumentOutOfRangeException(nameof(squash), squash, "Unknown squash."),
    };

    /// <summary>The batch value of per-sample losses <c>[N]</c>.</summary>
    public static Tensor Reduce(Tensor perSample, Reduction reduction) => reduction switch
    {
        Reduction.Mean => perSample.mean(),
        Reduction.Sum => perSample.sum(),
        Reduction.None => perSample,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown reduction."),
    };
}
