using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The coefficient of determination (<c>r2</c>), <c>R² = 1 − Σ (y − o)² / Σ (y − ȳ)²</c>, per output column over all
/// samples of all batches, then averaged uniformly over the columns (scikit-learn's default for several outputs). 1 for a
/// perfect prediction, 0 for predicting the mean, negative for worse. A column whose targets are all equal has no
/// variance to explain: its R² is 1 if predicted exactly, else 0 (as scikit-learn does). The target mean and
/// variance are merged batch by batch (Chan et al.), so the batches give the value of the whole.
/// </summary>
public sealed class RSquared : IMetric
{
    long _count;
    double[] _mean = [];
    double[] _squaredDeviations = [];
    double[] _squaredErrors = [];

    /// <inheritdoc/>
    public string Name => "r2";

    /// <inheritdoc/>
    /// <param name="output">Predictions <c>[N]</c> or <c>[N, D]</c>.</param>
    /// <param name="target">Targets of the same shape (or <c>[N]</c> against <c>[N, 1]</c>).</param>
    public void Update(Tensor output, Tensor target)
    {
        const string function = "RSquared.Update";
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (o, y) = RegressionInputs.Prepare(function, output, target);
        var columns = (int)o.shape[1];
        if (_count == 0)
        {
            _mean = new double[columns];
            _squaredDeviations = new double[columns];
            _squaredErrors = new double[columns];
        }
        else if (columns != _mean.Length)
        {
            throw new ArgumentException($"{function}: this batch has {columns} output columns ({Shapes.Format(output)}); earlier batches had {_mean.Length}.", nameof(output));
        }
        var n = o.shape[0];
        var batchMean = y.mean([0]);
        var batchDeviations = (y - batchMean).square().sum(dim: 0).cpu().data<double>().ToArray();
        var errors = (y - o).square().sum(dim: 0).cpu().data<double>().ToArray();
        var means = batchMean.cpu().data<double>().ToArray();
        var total = _count + n;
        for (var d = 0; d < columns; d++)
        {
            var delta = means[d] - _mean[d];
            _squaredDeviations[d] += batchDeviations[d] + delta * delta * _count * n / total;
            _mean[d] += delta * n / total;
            _squaredErrors[d] += errors[d];
        }
        _count = total;
    }

    /// <inheritdoc/>
    public double Compute()
    {
        if (_count == 0)
            return double.NaN;
        return Enumerable.Range(0, _mean.Length).Average(d => _squaredDeviations[d] > 0
            ? 1 - _squaredErrors[d] / _squaredDeviations[d]
            : _squaredErrors[d] == 0 ? 1.0 : 0.0);
    }

    /// <inheritdoc/>
    public void Reset()
    {
        _count = 0;
        _mean = _squaredDeviations = _squaredErrors = [];
    }

    /// <summary>R² of one batch (or of a whole data set's predictions).</summary>
    /// <inheritdoc cref="Update"/>
    public static double Of(Tensor output, Tensor target)
    {
        var metric = new RSquared();
        metric.Update(output, target);
        return metric.Compute();
    }
}
