using System.Globalization;
using System.Text;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// A K × K confusion matrix accumulated over batches: <c>this[t, p]</c> counts the samples of true class <c>t</c>
/// (row) predicted as class <c>p</c> (column). From it: accuracy, per-class precision, recall and F1, their macro
/// averages, and a text rendering with the class names.
/// </summary>
/// <remarks>
/// Where a ratio has nothing to count, the convention is scikit-learn's <c>zero_division = 0</c>: the precision of a
/// class never predicted, the recall of a class absent from the truth, and F1 = 2TP / (2TP + FP + FN) with all three
/// zero, are 0. The macro averages are taken over the classes that occur in the truth or in the predictions; a class
/// absent from both has no evidence either way and is left out (it would otherwise pull every average down by 1/K).
/// </remarks>
public sealed class ConfusionMatrix
{
    readonly long[] _counts;

    /// <summary>Creates an empty matrix.</summary>
    /// <param name="numClasses">K, the number of classes (≥ 1).</param>
    /// <param name="classNames">Names of the classes for <see cref="Render"/> (default: 0, 1, ...).</param>
    /// <exception cref="ArgumentException">K is below 1, or the number of names is not K.</exception>
    public ConfusionMatrix(int numClasses, IReadOnlyList<string>? classNames = null)
    {
        if (numClasses < 1)
            throw new ArgumentException($"ConfusionMatrix: the number of classes must be at least 1; got {numClasses}.", nameof(numClasses));
        if (classNames is not null && classNames.Count != numClasses)
            throw new ArgumentException($"ConfusionMatrix: {classNames.Count} class names given for {numClasses} classes.", nameof(classNames));
        NumClasses = numClasses;
        ClassNames = classNames ?? Enumerable.Range(0, numClasses).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();
        _counts = new long[numClasses * numClasses];
    }

    /// <summary>K, the number of classes.</summary>
    public int NumClasses { get; }

    /// <summary>The class names, index = class.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The samples of true class <paramref name="trueClass"/> predicted as <paramref name="predictedClass"/>.</summary>
    public long this[int trueClass, int predictedClass]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(trueClass);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(trueClass, NumClasses);
            ArgumentOutOfRangeException.ThrowIfNegative(predictedClass);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(predictedClass, NumClasses);
            return _counts[trueClass * NumClasses + predictedClass];
        }
    }

    /// <summary>A copy of the counts, rows = true class, columns = predicted class.</summary>
    public long[,] Counts
    {
        get
        {
            var copy = new long[NumClasses, NumClasses];
            for (var t = 0; t < NumClasses; t++)
                for (var p = 0; p < NumClasses; p++)
                    copy[t, p] = _counts[t * NumClasses + p];
            return copy;
        }
    }

    /// <summary>The samples counted so far.</summary>
    public long Total => _counts.Sum();

    /// <summary>
    /// Adds a batch: scores <c>[N, K]</c> (the prediction is the arg-max) or predicted labels <c>[N]</c>, against labels
    /// <c>[N]</c>; segmentation-shaped inputs (<c>[N, K, H, W]</c> or <c>[N, H, W]</c> against <c>[N, H, W]</c>) count
    /// every pixel.
    /// </summary>
    /// <exception cref="ArgumentException">Shapes or dtypes do not fit, K differs, or a label is outside 0..K−1.</exception>
    public void Update(Tensor output, Tensor target)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (predicted, truth) = ClassPredictions.Labels("ConfusionMatrix.Update", output, target, NumClasses);
        var counts = (truth * NumClasses + predicted).bincount(null, NumClasses * NumClasses).cpu().data<long>().ToArray();
        for (var i = 0; i < _counts.Length; i++)
            _counts[i] += counts[i];
    }

    /// <summary>Forgets every sample.</summary>
    public void Reset() => Array.Clear(_counts);

    /// <summary>True positives of a class: the diagonal entry.</summary>
    public long TruePositives(int c) => this[c, c];

    /// <summary>Samples predicted as the class: its column sum.</summary>
    public long PredictedCount(int c) => Enumerable.Range(0, NumClasses).Sum(t => this[t, c]);

    /// <summary>Samples of the class (its support): its row sum.</summary>
    public long TrueCount(int c) => Enumerable.Range(0, NumClasses).Sum(p => this[c, p]);

    /// <summary>The fraction of all samples on the diagonal; NaN before any sample.</summary>
    public double Accuracy => Total == 0 ? double.NaN : (double)Enumerable.Range(0, NumClasses).Sum(TruePositives) / Total;

    /// <summary>Precision of a class, TP / (TP + FP): 0 when the class was never predicted.</summary>
    public double Precision(int c) => Ratio(TruePositives(c), PredictedCount(c));

    /// <summary>Recall of a class, TP / (TP + FN): 0 when the class is absent from the truth.</summary>
    public double Recall(int c) => Ratio(TruePositives(c), TrueCount(c));

    /// <summary>F1 of a class, the harmonic mean of precision and recall, 2TP / (2TP + FP + FN): 0 when that is 0 / 0.</summary>
    public double F1(int c) => Ratio(2 * TruePositives(c), PredictedCount(c) + TrueCount(c));

    /// <summary>Whether the class occurs in the truth or in the predictions (and so counts in the macro averages).</summary>
    public bool IsPresent(int c) => PredictedCount(c) + TrueCount(c) > 0;

    /// <summary>The mean precision over the classes present (see the remarks on <see cref="ConfusionMatrix"/>); NaN before any sample.</summary>
    public double MacroPrecision => Macro(Precision);

    /// <summary>The mean recall over the classes present.</summary>
    public double MacroRecall => Macro(Recall);

    /// <summary>The mean F1 over the classes present.</summary>
    public double MacroF1 => Macro(F1);

    static double Ratio(long numerator, long denominator) => denominator == 0 ? 0 : (double)numerator / denominator;

    double Macro(Func<int, double> perClass)
    {
        var present = Enumerable.Range(0, NumClasses).Where(IsPresent).ToList();
        return present.Count == 0 ? double.NaN : present.Average(perClass);
    }

    /// <summary>
    /// The matrix as text, rows = true class and columns = predicted class, then per-class precision, recall, F1 and
    /// support, the macro averages and the accuracy.
    /// </summary>
    public string Render()
    {
        var culture = CultureInfo.InvariantCulture;
        var nameWidth = Math.Max(ClassNames.Max(n => n.Length), "true \\ predicted".Length);
        var cellWidth = Math.Max(ClassNames.Max(n => n.Length), _counts.Length == 0 ? 1 : _counts.Max().ToString(culture).Length) + 2;
        var text = new StringBuilder();
        text.Append("true \\ predicted".PadRight(nameWidth));
        foreach (var name in ClassNames)
            text.Append(name.PadLeft(cellWidth));
        text.AppendLine();
        for (var t = 0; t < NumClasses; t++)
        {
            text.Append(ClassNames[t].PadRight(nameWidth));
            for (var p = 0; p < NumClasses; p++)
                text.Append(this[t, p].ToString(culture).PadLeft(cellWidth));
            text.AppendLine();
        }
        text.AppendLine();
        text.Append("class".PadRight(nameWidth)).AppendLine("  precision     recall         f1    support");
        for (var c = 0; c < NumClasses; c++)
            text.AppendLine(culture, $"{ClassNames[c].PadRight(nameWidth)}{Precision(c),11:F3}{Recall(c),11:F3}{F1(c),11:F3}{TrueCount(c),11}");
        if (Total > 0)
        {
            text.AppendLine(culture, $"{"macro".PadRight(nameWidth)}{MacroPrecision,11:F3}{MacroRecall,11:F3}{MacroF1,11:F3}{Total,11}");
            text.AppendLine(culture, $"accuracy {Accuracy:F3} ({Enumerable.Range(0, NumClasses).Sum(TruePositives)} of {Total})");
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    public override string ToString() => Render();

    /// <summary>The confusion matrix of one batch (or of a whole data set's outputs).</summary>
    /// <param name="output">Scores <c>[N, K, ...]</c> or predicted labels <c>[N, ...]</c>.</param>
    /// <param name="target">Labels <c>[N, ...]</c>.</param>
    /// <param name="numClasses">K.</param>
    /// <param name="classNames">Class names for the rendering.</param>
    public static ConfusionMatrix Of(Tensor output, Tensor target, int numClasses, IReadOnlyList<string>? classNames = null)
    {
        var matrix = new ConfusionMatrix(numClasses, classNames);
        matrix.Update(output, target);
        return matrix;
    }
}
