using TorchBinding.Analysis.Interpretability;
using TorchBinding.Data;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Robustness;

/// <summary>Accuracy on clean or attacked inputs, batch by batch.</summary>
public static class RobustAccuracy
{
    /// <summary>
    /// The fraction of <paramref name="data"/> (its first <paramref name="limit"/> samples, if given) the model classifies
    /// correctly after <paramref name="attack"/> (null: clean accuracy). The model runs in eval mode; its modes are restored.
    /// </summary>
    /// <param name="model">The classifier.</param>
    /// <param name="data">Inputs and class labels.</param>
    /// <param name="attack">Makes adversarial inputs from (inputs, labels), e.g. <c>(x, y) =&gt; Attacks.Pgd(model, x, y, options)</c>.</param>
    /// <param name="device">Where batches go (default: the model's device).</param>
    /// <param name="batchSize">Samples per batch (default 500).</param>
    /// <param name="limit">Evaluate only the first this many samples (null: all).</param>
    /// <exception cref="ArgumentException">An input (or an attacked input) is NaN or infinite: its prediction would be meaningless, and all-NaN images would score 100 %.</exception>
    public static double Evaluate(nn.Module<Tensor, Tensor> model, InMemoryDataset data, Func<Tensor, Tensor, Tensor>? attack = null,
        Device? device = null, int batchSize = 500, int? limit = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var section = Profiler.Measure(attack is null ? "accuracy" : "robust accuracy");
        ArgumentNullException.ThrowIfNull(data);
        AttributionChecks.Positive(batchSize, nameof(batchSize), "RobustAccuracy");
        device ??= model.parameters().FirstOrDefault()?.device ?? CPU;
        var count = Math.Min(data.Count, limit ?? data.Count);
        if (count <= 0)
            throw new ArgumentException($"RobustAccuracy: {data.Name} has no samples to evaluate.", nameof(data));
        // NaN images give NaN scores, whose argmax is an arbitrary class that can match the labels: refuse them.
        using (var inputs = data.Inputs.narrow(0, 0, count))
            TensorChecks.RequireFinite($"RobustAccuracy ({data.Name})", inputs, "inputs");
        using var eval = new EvalMode(model);
        long correct = 0;
        for (var start = 0; start < count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            var n = Math.Min(batchSize, count - start);
            var x = data.Inputs.narrow(0, start, n).to(device);
            var y = data.Targets.narrow(0, start, n).to(device);
            if (attack is not null)
            {
                x = attack(x, y);
                TensorChecks.RequireFinite($"RobustAccuracy (the attack on samples {start}..{start + n - 1})", x, "attacked inputs");
            }
            using (no_grad())
                correct += model.call(x).argmax(1).eq(y).sum().item<long>();
        }
        return (double)correct / count;
    }
}
