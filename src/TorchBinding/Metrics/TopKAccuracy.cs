using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// The fraction of samples whose true class is among the <c>k</c> highest scores (<c>top5_accuracy</c> for k = 5).
/// The output is scores <c>[N, K]</c> with K ≥ k, the target labels <c>[N]</c>. Ties at the k-th score are broken
/// as libtorch's top-k breaks them.
/// </summary>
public sealed class TopKAccuracy : IMetric
{
    /// <summary>Creates the metric.</summary>
    /// <param name="k">How many of the highest scores count (≥ 1).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is below 1.</exception>
    public TopKAccuracy(int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        K = k;
    }

    /// <summary>How many of the highest scores count.</summary>
    public int K { get; }

    /// <inheritdoc/>
    public string Name => $"top{K}_accuracy";

    /// <summary>Samples whose class was among the top k so far.</summary>
    public long Correct { get; private set; }

    /// <summary>Samples so far.</summary>
    public long Total { get; private set; }

    /// <inheritdoc/>
    public void Update(Tensor output, Tensor target)
    {
        const string function = "TopKAccuracy.Update";
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(target);
        TorchRuntime.EnsureInitialized();
        if (output.dim() != 2 || !TensorChecks.IsFloating(output.dtype))
            throw new ArgumentException($"{function}: outputs must be floating-point scores [N, K]; got {output.dtype} {Shapes.Format(output)}.", nameof(output));
        if (output.shape[1] < K)
            throw new ArgumentException($"{function}: top-{K} accuracy needs at least {K} classes; scores {Shapes.Format(output)} have K = {output.shape[1]}.", nameof(output));
        if (target.dim() != 1)
            throw new ArgumentException($"{function}: targets must be labels [N] = [{output.shape[0]}]; got {Shapes.Format(target)}.", nameof(target));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (_, truth) = ClassPredictions.Labels(function, output, target, null);
        var top = output.topk(K, dim: 1).Item2;
        Correct += top.eq(truth.unsqueeze(1)).any(1).sum().item<long>();
        Total += truth.numel();
    }

    /// <inheritdoc/>
    public double Compute() => Total == 0 ? double.NaN : (double)Correct / Total;

    /// <inheritdoc/>
    public void Reset() => (Correct, Total) = (0, 0);

    /// <summary>The top-k accuracy of one batch.</summary>
    /// <param name="output">Scores <c>[N, K]</c>.</param>
    /// <param name="target">Labels <c>[N]</c>.</param>
    /// <param name="k">How many of the highest scores count.</param>
    public static double Of(Tensor output, Tensor target, int k)
    {
        var metric = new TopKAccuracy(k);
        metric.Update(output, target);
        return metric.Compute();
    }
}
