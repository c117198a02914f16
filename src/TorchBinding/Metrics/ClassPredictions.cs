using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// Predicted and true class labels from what a classifier or segmenter gives: scores <c>[N, K, ...]</c> (the
/// prediction is the arg-max over dimension 1) or predicted labels with the targets' shape <c>[N, ...]</c>, against
/// integer labels <c>[N, ...]</c>. Checks the shapes, dtypes and label ranges first.
/// </summary>
static class ClassPredictions
{
    /// <summary>Flattened int64 predicted and true labels on the output's device, pixels of <paramref name="ignoreIndex"/> removed.</summary>
    public static (Tensor Predicted, Tensor Truth) Labels(string function, Tensor output, Tensor target, long? numClasses, long? ignoreIndex = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        if (!TensorChecks.IsInteger(target.dtype))
            throw new ArgumentException($"{function}: targets must be class labels [N, ...] of an integer dtype (int64); got {target.dtype} {Shapes.Format(target)}.", nameof(target));
        if (target.dim() == 0)
            throw new ArgumentException($"{function}: targets must be class labels [N, ...]; got a scalar.", nameof(target));
        if (target.shape[0] == 0)
            throw new ArgumentException($"{function}: the batch is empty (targets {Shapes.Format(target)}).", nameof(target));
        var rest = target.shape[1..];
        Tensor predicted;
        long? classes = numClasses;
        var predictedAreLabels = false;
        if (output.dim() == target.dim() + 1)
        {
            var expected = $"[{target.shape[0]}, K{string.Concat(rest.Select(d => $", {d}"))}]";
            if (!TensorChecks.IsFloating(output.dtype))
                throw new ArgumentException($"{function}: scores {expected} must be floating point; got {output.dtype} {Shapes.Format(output)}.", nameof(output));
            if (output.shape[0] != target.shape[0] || !output.shape[2..].SequenceEqual(rest))
                throw new ArgumentException($"{function}: scores must have shape {expected} to match targets {Shapes.Format(target)}; got {Shapes.Format(output)}.", nameof(output));
            var k = output.shape[1];
            if (numClasses is { } expectedClasses && k != expectedClasses)
                throw new ArgumentException($"{function}: scores {Shapes.Format(output)} have K = {k} classes in dimension 1; expected {expectedClasses}.", nameof(output));
            if (k == 0)
                throw new ArgumentException($"{function}: scores {Shapes.Format(output)} have no classes (K = 0).", nameof(output));
            classes = k;
            predicted = output.argmax(1);
        }
        else if (output.dim() == target.dim())
        {
            if (!TensorChecks.IsInteger(output.dtype))
                throw new ArgumentException($"{function}: outputs {Shapes.Format(output)} of {output.dtype} have the targets' rank, so they must be predicted labels of an integer dtype; scores need a class dimension, [N, K, ...].", nameof(output));
            if (!output.shape.SequenceEqual(target.shape))
                throw new ArgumentException($"{function}: predicted labels must have the targets' shape {Shapes.Format(target)}; got {Shapes.Format(output)}.", nameof(output));
            predicted = output;
            predictedAreLabels = true;
        }
        else
        {
            throw new ArgumentException($"{function}: outputs {Shapes.Format(output)} fit neither scores [N, K, ...] nor predicted labels of the targets' shape {Shapes.Format(target)}.", nameof(output));
        }
        var truth = target.to(int64).to(output.device).flatten();
        predicted = predicted.to(int64).flatten();
        if (ignoreIndex is { } ignore)
        {
            var keep = truth.ne(ignore);
            truth = truth.masked_select(keep);
            predicted = predicted.masked_select(keep);
        }
        if (classes is { } count)
        {
            TensorChecks.RequireLabelsInRange(function, truth, count, "target");
            if (predictedAreLabels)
                TensorChecks.RequireLabelsInRange(function, predicted, count, "predicted");
        }
        return (predicted, truth);
    }
}
