using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// A metric accumulated batch by batch, as a training loop evaluates: <see cref="Update"/> with each
/// batch's output and target, <see cref="Compute"/> at the end, <see cref="Reset"/> before the next pass.
/// </summary>
public interface IMetric
{
    /// <summary>The metric's snake_case name, e.g. <c>accuracy</c>; the trainer reports it as <c>train_NAME</c> / <c>val_NAME</c>.</summary>
    string Name { get; }

    /// <summary>Adds one batch.</summary>
    void Update(Tensor output, Tensor target);

    /// <summary>The value over everything added since the last reset.</summary>
    double Compute();

    /// <summary>Forgets everything added.</summary>
    void Reset();
}
