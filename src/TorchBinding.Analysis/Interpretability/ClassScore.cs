using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>
/// What is explained: one number per sample, <c>[N]</c>, computed from the model's output and the target class of each
/// sample. Attribution methods differentiate it with respect to the input (or a layer's activation).
/// </summary>
/// <param name="output">The model's output: class scores <c>[N, K]</c>, or dense scores <c>[N, K, ...]</c> (segmentation).</param>
/// <param name="targets">The class of each sample, <c>[N]</c> (int64).</param>
/// <returns>One score per sample, <c>[N]</c>.</returns>
public delegate Tensor ClassScore(Tensor output, Tensor targets);

/// <summary>The usual <see cref="ClassScore"/>s.</summary>
public static class ClassScores
{
    /// <summary>
    /// The target class's logit (the default of every method: Simonyan et al. explain the unnormalised score, which
    /// does not depend on the other classes). For dense outputs <c>[N, K, H, W]</c> the class's mean logit over all positions.
    /// </summary>
    public static ClassScore Logit { get; } = (output, targets) => Gather(output, targets, "Logit");

    /// <summary>The target class's softmax probability (the score of deletion and insertion curves).</summary>
    public static ClassScore Probability { get; } = (output, targets) => Gather(output.softmax(1), targets, "Probability");

    /// <summary>The target class's log-probability (log-softmax).</summary>
    public static ClassScore LogProbability { get; } = (output, targets) => Gather(output.log_softmax(1), targets, "LogProbability");

    static Tensor Gather(Tensor output, Tensor targets, string name)
    {
        CheckTargets(output, targets, $"ClassScores.{name}");
        var index = targets.to(int64).to(output.device).view([-1, 1, .. Enumerable.Repeat(1L, (int)output.dim() - 2)])
            .expand([output.shape[0], 1, .. output.shape.Skip(2)]);
        var picked = output.gather(1, index).squeeze(1);
        return picked.dim() > 1 ? picked.flatten(1).mean([1]) : picked;
    }

    /// <summary>Checks that <paramref name="targets"/> are N class indices of an output <c>[N, K, ...]</c>.</summary>
    internal static void CheckTargets(Tensor output, Tensor targets, string who)
    {
        if (output.dim() < 2)
            throw new ArgumentException($"{who}: the model's output must be class scores [N, K] or dense scores [N, K, ...]; got {Shapes.Format(output)}.");
        if (targets.dim() != 1 || targets.shape[0] != output.shape[0])
            throw new ArgumentException($"{who}: targets must be one class index per sample, [{output.shape[0]}]; got {Shapes.Format(targets)}.");
        if (!TensorChecks.IsInteger(targets.dtype))
            throw new ArgumentException($"{who}: targets must be class indices (an integer dtype); got {targets.dtype}.");
        TensorChecks.RequireLabelsInRange(who, targets, output.shape[1], "target");
    }
}
