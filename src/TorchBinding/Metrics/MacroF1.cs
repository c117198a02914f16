using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>The macro-averaged F1 score (<c>macro_f1</c>), accumulated in a <see cref="ConfusionMatrix"/>.</summary>
/// <param name="numClasses">K, the number of classes.</param>
public sealed class MacroF1(int numClasses) : IMetric
{
    /// <summary>The confusion matrix behind the score (per-class values, rendering).</summary>
    public ConfusionMatrix Matrix { get; } = new(numClasses);

    /// <inheritdoc/>
    public string Name => "macro_f1";

    /// <inheritdoc/>
    public void Update(Tensor output, Tensor target) => Matrix.Update(output, target);

    /// <inheritdoc/>
    public double Compute() => Matrix.MacroF1;

    /// <inheritdoc/>
    public void Reset() => Matrix.Reset();
}
