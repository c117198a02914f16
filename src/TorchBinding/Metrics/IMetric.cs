using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// A metric accumulated over batches, as a trainer evaluates: <see cref="Reset"/> at the start of an evaluation,
/// <see cref="Update"/> with every batch's output and target, <see cref="Compute"/> at the end. Computing over the
/// batches one by one gives the value computed on the whole data at once (the metrics keep counts and sums, never
/// per-batch averages). Updates read the tensors without tracking gradients and keep only .NET numbers.
/// </summary>
public interface IMetric
{
    /// <summary>The metric's name in snake_case, as run records use it: <c>accuracy</c>, <c>top5_accuracy</c>, <c>mean_iou</c>, <c>mse</c>.</summary>
    string Name { get; }

    /// <summary>Adds one batch.</summary>
    /// <param name="output">The model's output for the batch (scores, predicted labels, or values; see the implementation).</param>
    /// <param name="target">The batch's targets.</param>
    /// <exception cref="ArgumentException">The output and target do not fit together; the message says how.</exception>
    void Update(Tensor output, Tensor target);

    /// <summary>The metric over every batch since the last <see cref="Reset"/>; NaN when no sample has been added (as the
    /// trainer reports an epoch without samples).</summary>
    double Compute();

    /// <summary>Forgets every batch.</summary>
    void Reset();
}
