using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The accuracy of a binary classifier with one output per sample (<c>binary_accuracy</c>): the prediction is
/// positive where the output exceeds the threshold (an output equal to it counts as negative). Labels are ±1 (the
/// SVM's) or 0/1: +1 and 1 are positive, −1 and 0 negative; one batch may not mix −1 and 0. Use threshold 0 for raw
/// scores and ±1 outputs (the default), 0.5 for probabilities.
/// </summary>
public sealed class BinaryAccuracy : IMetric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="threshold">Outputs above it are positive (default 0).</param>
    public BinaryAccuracy(double threshold = 0)
    {
        if (double.IsNaN(threshold))
            throw new ArgumentException("BinaryAccuracy: the threshold is NaN.", nameof(threshold));
        Threshold = threshold;
    }

    /// <summary>Outputs above it are positive.</summary>
    public double Threshold { get; }

    /// <inheritdoc/>
    public string Name => "binary_accuracy";

    /// <summary>Correct predictions so far.</summary>
    public long Correct { get; private set; }

    /// <summary>Predictions so far.</summary>
    public long Total { get; private set; }

    /// <inheritdoc/>
    /// <param name="output">Scores, probabilities or ±1/0-1 predictions, <c>[N]</c> or <c>[N, 1]</c>.</param>
    /// <param name="target">Labels ±1 or 0/1, <c>[N]</c> or <c>[N, 1]</c>, any numeric dtype.</param>
    public void Update(Tensor output, Tensor target)
    {
        const string function = "BinaryAccuracy.Update";
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        TorchRuntime.EnsureInitialized();
        static bool OnePerSample(Tensor t) => t.dim() == 1 || (t.dim() == 2 && t.shape[1] == 1);
        if (!OnePerSample(output) || !(TensorChecks.IsFloating(output.dtype) || TensorChecks.IsInteger(output.dtype)))
            throw new ArgumentException($"{function}: outputs must be one number per sample, [N] or [N, 1]; got {output.dtype} {Shapes.Format(output)}.", nameof(output));
        var n = output.shape[0];
        if (n == 0)
            throw new ArgumentException($"{function}: the batch is empty (outputs {Shapes.Format(output)}).", nameof(output));
        if (!OnePerSample(target) || target.shape[0] != n || !(TensorChecks.IsFloating(target.dtype) || TensorChecks.IsInteger(target.dtype)))
            throw new ArgumentException($"{function}: targets must be labels [N] or [N, 1] with N = {n} to match outputs {Shapes.Format(output)}; got {target.dtype} {Shapes.Format(target)}.", nameof(target));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var labels = target.reshape(n).to(float64).to(output.device);
        var invalid = labels.ne(1).logical_and(labels.ne(0)).logical_and(labels.ne(-1));
        if (invalid.any().item<bool>())
            throw new ArgumentException($"{function}: labels must be ±1 or 0/1; got {labels.masked_select(invalid)[0].item<double>()}.", nameof(target));
        if (labels.eq(-1).any().item<bool>() && labels.eq(0).any().item<bool>())
            throw new ArgumentException($"{function}: the labels mix −1 and 0 as negatives; use ±1 or 0/1.", nameof(target));
        var predicted = output.reshape(n).to(float64).gt(Threshold);
        Correct += predicted.eq(labels.eq(1)).sum().item<long>();
        Total += n;
    }

    /// <inheritdoc/>
    public double Compute() => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <inheritdoc/>
    public void Reset() => (Correct, Total) = (0, 0);

    /// <summary>The binary accuracy of one batch.</summary>
    /// <param name="output">Scores, probabilities or ±1/0-1 predictions, <c>[N]</c> or <c>[N, 1]</c>.</param>
    /// <param name="target">Labels ±1 or 0/1, <c>[N]</c> or <c>[N, 1]</c>.</param>
    /// <param name="threshold">Outputs above it are positive (default 0).</param>
    public static double Of(Tensor output, Tensor target, double threshold = 0)
    {
        var metric = new BinaryAccuracy(threshold);
        metric.Update(output, target);
        return metric.Compute();
    }
}
