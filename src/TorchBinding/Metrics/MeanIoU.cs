using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The mean intersection over union of a segmentation (<c>mean_iou</c>), over the classes present in the prediction or
/// the truth; see <see cref="SegmentationScores"/> for the counting and the per-class values.
/// </summary>
/// <param name="numClasses">K, the number of classes.</param>
/// <param name="ignoreIndex">A target label whose pixels are not counted, or null.</param>
public sealed class MeanIoU(int numClasses, int? ignoreIndex = null) : IMetric
{
    /// <summary>The per-class counts behind the score.</summary>
    public SegmentationScores Scores { get; } = new(numClasses, ignoreIndex);

    /// <inheritdoc/>
    public string Name => "mean_iou";

    /// <inheritdoc/>
    /// <param name="output">Scores <c>[N, K, H, W]</c> or a label map <c>[N, H, W]</c>.</param>
    /// <param name="target">Masks <c>[N, H, W]</c> of labels.</param>
    public void Update(Tensor output, Tensor target) => Scores.Update(output, target);

    /// <inheritdoc/>
    public double Compute() => Scores.MeanIoU;

    /// <inheritdoc/>
    public void Reset() => Scores.Reset();

    /// <summary>The mean IoU of one batch (or of a whole data set's predictions).</summary>
    /// <param name="output">Scores <c>[N, K, H, W]</c> or a label map <c>[N, H, W]</c>.</param>
    /// <param name="target">Masks <c>[N, H, W]</c> of labels.</param>
    /// <param name="numClasses">K.</param>
    /// <param name="ignoreIndex">A target label whose pixels are not counted, or null.</param>
    public static double Of(Tensor output, Tensor target, int numClasses, int? ignoreIndex = null)
    {
        var metric = new MeanIoU(numClasses, ignoreIndex);
        metric.Update(output, target);
        return metric.Compute();
    }
}
