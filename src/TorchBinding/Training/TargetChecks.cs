using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>The checks of a data set's targets against a model's output that the supervised step runs before training.</summary>
static class TargetChecks
{
    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the data set, the shapes and what to do when <paramref name="targets"/>
    /// (all of them, <c>[N, ...]</c>) cannot be meant for <paramref name="output"/> (the model's output for a few samples).
    /// </summary>
    public static void FitOutputs(string data, Tensor targets, Tensor output)
    {
        var perTarget = targets.shape[1..];
        var perOutput = output.shape[1..];
        var (t, o) = (Shapes.Format(targets.shape), Shapes.Format(output.shape));
        if (TensorChecks.IsInteger(targets.dtype))
        {
            // One score per sample (binary targets a loss converts): nothing to index.
            if (perOutput.Length == 0 || perOutput[0] == 1)
                return;
            var classes = perOutput[0];
            var dense = perOutput[1..];
            if (!perTarget.SequenceEqual(dense))
            {
                var hint = perTarget.Length == dense.Length + 1 && perTarget[^1] == 1 ? $"; remove the trailing 1 (targets.squeeze({targets.dim() - 1}))" : "";
                throw new ArgumentException($"{data}: class-index targets {t} do not fit the model's outputs {o}: with K = {classes} scores per sample " +
                    $"they must be {Shapes.Format([-1, .. dense]).Replace("-1", "N", StringComparison.Ordinal)}{hint}.");
            }
            TensorChecks.RequireLabelsInRange(data, targets, classes, "target");
            return;
        }
        if (!TensorChecks.IsFloating(targets.dtype) || perTarget.SequenceEqual(perOutput))
            return;
        if (perTarget.Length == 0 && perOutput.Length == 1 && perOutput[0] > 1)
            throw new ArgumentException($"{data}: targets {t} of {targets.dtype} look like class labels for the model's outputs {o}, but class indices must be " +
                $"an integer tensor (targets.to(int64)); one-hot or probability targets are [N, {perOutput[0]}].");
        if (Broadcast(perTarget, perOutput))
        {
            var fix = perTarget.Length < perOutput.Length
                ? "give the targets the outputs' shape (e.g. targets.unsqueeze(-1)) or the outputs the targets' (e.g. output.squeeze(-1))"
                : "give the outputs the targets' shape or the targets the outputs'";
            throw new ArgumentException($"{data}: the model's outputs are {o} but the targets are {t}; a loss would broadcast them against each other, comparing " +
                $"outputs with other samples' targets (and learning only their mean): {fix}.");
        }
    }

    /// <summary>
    /// Whether <c>[N, a...]</c> and <c>[N, b...]</c> broadcast together (aligned from the right, a dimension of 1 stretches). Where one
    /// side has run out of its own dimensions, its batch dimension N meets the other's size: counted as broadcasting, since it does
    /// whenever that size is 1 or happens to equal N — a mismatch that only some batch sizes reveal is still a mistake.
    /// </summary>
    static bool Broadcast(ReadOnlySpan<long> a, ReadOnlySpan<long> b)
    {
        for (int i = a.Length - 1, j = b.Length - 1; i >= 0 && j >= 0; i--, j--)
        {
            if (a[i] != b[j] && a[i] != 1 && b[j] != 1)
                return false;
        }
        return true;
    }
}
