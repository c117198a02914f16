using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>
/// Perplexity of a next-token model (<c>perplexity</c>): exp of the mean negative log-likelihood per token,
/// exp(−(1/T) Σ log p(y_t)), accumulated over batches token by token. Outputs are logits <c>[N, K]</c> or
/// <c>[N, T, K]</c>, targets token indices <c>[N]</c> or <c>[N, T]</c>. A uniform model over K tokens has perplexity K.
/// </summary>
public sealed class Perplexity : IMetric
{
    double _nll;
    long _tokens;

    /// <inheritdoc/>
    public string Name => "perplexity";

    /// <inheritdoc/>
    public void Update(Tensor output, Tensor target)
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        if (output.dim() < 2 || target.dim() != output.dim() - 1 || !output.shape[..^1].SequenceEqual(target.shape))
            throw new ArgumentException($"Perplexity.Update: expected logits [N, K] or [N, T, K] and targets [N] or [N, T]; got output {Shapes.Format(output)} and target {Shapes.Format(target)}.");
        var classes = output.shape[^1];
        var labels = target.to(int64).flatten();
        if (labels.numel() > 0 && (labels.min().item<long>() < 0 || labels.max().item<long>() >= classes))
            throw new ArgumentException($"Perplexity.Update: token indices must lie in 0..{classes - 1}; got {labels.min().item<long>()}..{labels.max().item<long>()}.");
        var logits = output.reshape(-1, classes).to(float64);
        _nll += nn.functional.cross_entropy(logits, labels, reduction: nn.Reduction.Sum).item<double>();
        _tokens += labels.numel();
    }

    /// <inheritdoc/>
    public double Compute() => _tokens == 0 ? double.NaN : Math.Exp(_nll / _tokens);

    /// <inheritdoc/>
    public void Reset() => (_nll, _tokens) = (0, 0);
}
