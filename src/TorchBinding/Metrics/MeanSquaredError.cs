using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The mean squared error (<c>mse</c>) over every element of every batch: <c>Σ (o − y)² / count</c>. Outputs and
/// targets have the same shape, or <c>[N, 1]</c> against <c>[N]</c>.
/// </summary>
public sealed class MeanSquaredError : IMetric
{
    double _sum;
    long _count;

    /// <inheritdoc/>
    public string Name => "mse";

    /// <inheritdoc/>
    public void Update(Tensor output, Tensor target)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (o, y) = RegressionInputs.Prepare("MeanSquaredError.Update", output, target);
        _sum += (o - y).square().sum().item<double>();
        _count += o.numel();
    }

    /// <inheritdoc/>
    public double Compute() => _count == 0 ? double.NaN : _sum / _count;

    /// <inheritdoc/>
    public void Reset() => (_sum, _count) = (0, 0);

    /// <summary>The mean squared error of one batch.</summary>
    /// <inheritdoc cref="Update"/>
    public static double Of(Tensor output, Tensor target)
    {
        var metric = new MeanSquaredError();
        metric.Update(output, target);
        return metric.Compute();
    }
}
