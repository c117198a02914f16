using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The fraction of correct predictions (<c>accuracy</c>). The output is scores <c>[N, K]</c> (logits or
/// probabilities: the prediction is the arg-max) or predicted labels <c>[N]</c> (an integer dtype); the target is
/// labels <c>[N]</c>. Segmentation-shaped inputs, scores <c>[N, K, H, W]</c> or label maps <c>[N, H, W]</c> against
/// <c>[N, H, W]</c>, give the pixel accuracy.
/// </summary>
public sealed class Accuracy : IMetric
{
    /// <inheritdoc/>
    public string Name => "accuracy";

    /// <summary>Correct predictions so far.</summary>
    public long Correct { get; private set; }

    /// <summary>Predictions so far.</summary>
    public long Total { get; private set; }

    /// <inheritdoc/>
    public void Update(Tensor output, Tensor target)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (predicted, truth) = ClassPredictions.Labels("Accuracy.Update", output, target, null);
        Correct += predicted.eq(truth).sum().item<long>();
        Total += truth.numel();
    }

    /// <inheritdoc/>
    public double Compute() => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <inheritdoc/>
    public void Reset() => (Correct, Total) = (0, 0);

    /// <summary>The accuracy of one batch.</summary>
    /// <inheritdoc cref="Update"/>
    public static double Of(Tensor output, Tensor target)
    {
        var metric = new Accuracy();
        metric.Update(output, target);
        return metric.Compute();
    }
}
