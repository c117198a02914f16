using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// Per-class pixel counts of a segmentation, accumulated over batches, and the intersection over union (IoU,
/// Jaccard) and Dice (F1) scores computed from them.
/// </summary>
/// <remarks>
/// <para>For class c, over every pixel of every batch: I = pixels predicted c whose truth is c, P = pixels predicted c,
/// T = pixels whose truth is c. IoU_c = I / (P + T − I) and Dice_c = 2I / (P + T). Counting over all pixels first, then
/// dividing, makes the score of a data set independent of how it is cut into batches (it is not the mean of per-image
/// scores).</para>
/// <para>A class absent from both the prediction and the truth (P + T = 0) has an undefined score (NaN per class) and is
/// left out of the means; a class only predicted, or only true, scores 0 and counts.</para>
/// </remarks>
public sealed class SegmentationScores
{
    readonly long[] _intersection;
    readonly long[] _predicted;
    readonly long[] _truth;

    /// <summary>Creates empty counts.</summary>
    /// <param name="numClasses">K, the number of classes (≥ 1).</param>
    /// <param name="ignoreIndex">A target label whose pixels are not counted (e.g. 255 for "void"), or null.</param>
    public SegmentationScores(int numClasses, int? ignoreIndex = null)
    {
        if (numClasses < 1)
            throw new ArgumentException($"SegmentationScores: the number of classes must be at least 1; got {numClasses}.", nameof(numClasses));
        NumClasses = numClasses;
        IgnoreIndex = ignoreIndex;
        _intersection = new long[numClasses];
        _predicted = new long[numClasses];
        _truth = new long[numClasses];
    }

    /// <summary>K, the number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The target label whose pixels are not counted, or null.</summary>
    public int? IgnoreIndex { get; }

    /// <summary>Pixels counted so far.</summary>
    public long Pixels { get; private set; }

    /// <summary>Per class: pixels predicted as the class whose truth is the class.</summary>
    public IReadOnlyList<long> Intersection => _intersection;

    /// <summary>Per class: pixels predicted as the class.</summary>
    public IReadOnlyList<long> PredictedCount => _predicted;

    /// <summary>Per class: pixels whose truth is the class.</summary>
    public IReadOnlyList<long> TrueCount => _truth;

    /// <summary>
    /// Adds a batch: scores <c>[N, K, H, W]</c> (the prediction is the arg-max over K) or a label map <c>[N, H, W]</c>
    /// (an integer dtype), against masks <c>[N, H, W]</c> of labels 0..K−1 (or the ignore index).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or dtypes do not fit, K differs, or a label is outside 0..K−1.</exception>
    public void Update(Tensor output, Tensor target)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (predicted, truth) = ClassPredictions.Labels("SegmentationScores.Update", output, target, NumClasses, IgnoreIndex);
        Add(_intersection, truth.masked_select(predicted.eq(truth)));
        Add(_predicted, predicted);
        Add(_truth, truth);
        Pixels += truth.numel();
    }

    void Add(long[] counts, Tensor labels)
    {
        var batch = labels.bincount(null, NumClasses).cpu().data<long>().ToArray();
        for (var c = 0; c < NumClasses; c++)
            counts[c] += batch[c];
    }

    /// <summary>Forgets every pixel.</summary>
    public void Reset()
    {
        Array.Clear(_intersection);
        Array.Clear(_predicted);
        Array.Clear(_truth);
        Pixels = 0;
    }

    /// <summary>Whether the class occurs in the prediction or the truth (and so counts in the means).</summary>
    public bool IsPresent(int c) => _predicted[c] + _truth[c] > 0;

    /// <summary>IoU per class, I / (P + T − I); NaN for a class absent from both prediction and truth.</summary>
    public double[] IoUPerClass() => Enumerable.Range(0, NumClasses)
        .Select(c => IsPresent(c) ? (double)_intersection[c] / (_predicted[c] + _truth[c] - _intersection[c]) : double.NaN).ToArray();

    /// <summary>Dice per class, 2I / (P + T); NaN for a class absent from both prediction and truth.</summary>
    public double[] DicePerClass() => Enumerable.Range(0, NumClasses)
        .Select(c => IsPresent(c) ? 2.0 * _intersection[c] / (_predicted[c] + _truth[c]) : double.NaN).ToArray();

    /// <summary>The mean IoU over the classes present; NaN before any pixel.</summary>
    public double MeanIoU => MeanOfPresent(IoUPerClass());

    /// <summary>The mean Dice over the classes present; NaN before any pixel.</summary>
    public double MeanDice => MeanOfPresent(DicePerClass());

    double MeanOfPresent(double[] perClass)
    {
        var present = perClass.Where(v => !double.IsNaN(v)).ToList();
        return present.Count == 0 ? double.NaN : present.Average();
    }
}
