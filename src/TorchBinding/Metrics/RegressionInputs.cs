using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>Outputs and targets of a regression, checked and brought to float64 <c>[N, D]</c>.</summary>
static class RegressionInputs
{
    /// <summary>
    /// Both tensors as float64 <c>[N, D]</c> on the output's device. The shapes must be equal, except that <c>[N, 1]</c>
    /// against <c>[N]</c> (a one-output model against a vector of targets) is accepted; anything else that would
    /// broadcast is refused.
    /// </summary>
    public static (Tensor Output, Tensor Target) Prepare(string function, Tensor output, Tensor target)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        if (!TensorChecks.IsFloating(output.dtype))
            throw new ArgumentException($"{function}: outputs must be floating point; got {output.dtype} {Shapes.Format(output)}.", nameof(output));
        if (!(TensorChecks.IsFloating(target.dtype) || TensorChecks.IsInteger(target.dtype)))
            throw new ArgumentException($"{function}: targets must be numeric; got {target.dtype} {Shapes.Format(target)}.", nameof(target));
        if (output.dim() == 0)
            throw new ArgumentException($"{function}: outputs must be [N, ...]; got a scalar.", nameof(output));
        var n = output.shape[0];
        if (n == 0)
            throw new ArgumentException($"{function}: the batch is empty (outputs {Shapes.Format(output)}).", nameof(output));
        static bool ColumnAgainstVector(Tensor a, Tensor b) => a.dim() == 2 && a.shape[1] == 1 && b.dim() == 1 && a.shape[0] == b.shape[0];
        if (!output.shape.SequenceEqual(target.shape) && !ColumnAgainstVector(output, target) && !ColumnAgainstVector(target, output))
            throw new ArgumentException($"{function}: targets must have the outputs' shape {Shapes.Format(output)}; got {Shapes.Format(target)}.", nameof(target));
        var columns = output.numel() / n;
        return (output.detach().to(float64).reshape(n, columns), target.to(float64).to(output.device).reshape(n, columns));
    }
}
