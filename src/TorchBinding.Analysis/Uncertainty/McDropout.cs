using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Uncertainty;

/// <summary>
/// What <see cref="McDropout.Predict"/> returns, one row per input: the predictive distribution (the mean of the
/// passes' softmax outputs) and its uncertainty split as Gal &amp; Ghahramani and Houlsby et al. (BALD) split it:
/// <c>Entropy</c> = H[p̄] (total), <c>ExpectedEntropy</c> = mean over passes of H[p_t] (aleatoric: what each
/// sampled network is unsure about), <c>MutualInformation</c> = H[p̄] − E[H[p_t]] (epistemic: how much the sampled
/// networks disagree). Entropies are in nats. Tensors are float32, on the device of the input; dispose the result.
/// </summary>
public sealed class McDropoutPrediction : IDisposable
{
    internal McDropoutPrediction(Tensor mean, Tensor entropy, Tensor expectedEntropy, Tensor mutualInformation, int passes) =>
        (Mean, Entropy, ExpectedEntropy, MutualInformation, Passes) = (mean, entropy, expectedEntropy, mutualInformation, passes);

    /// <summary>The predictive distribution p̄, <c>[N, K]</c> (rows sum to 1).</summary>
    public Tensor Mean { get; }

    /// <summary>The predictive entropy H[p̄], <c>[N]</c>, in [0, log K].</summary>
    public Tensor Entropy { get; }

    /// <summary>The mean entropy of the passes, E_t H[p_t], <c>[N]</c>.</summary>
    public Tensor ExpectedEntropy { get; }

    /// <summary>The mutual information between the prediction and the weights, H[p̄] − E_t H[p_t] ≥ 0, <c>[N]</c>.</summary>
    public Tensor MutualInformation { get; }

    /// <summary>The number of stochastic passes averaged.</summary>
    public int Passes { get; }

    /// <summary>The predicted classes (argmax of <see cref="Mean"/>), <c>[N]</c>.</summary>
    public Tensor Predicted => Mean.argmax(1);

    /// <summary>Frees the tensors.</summary>
    public void Dispose()
    {
        Mean.Dispose();
        Entropy.Dispose();
        ExpectedEntropy.Dispose();
        MutualInformation.Dispose();
    }
}

/// <summary>
/// Monte Carlo dropout (Gal &amp; Ghahramani, 2016): a network trained with dropout, run T times with dropout still
/// on, samples from an approximate posterior over networks; the spread of its T predictions measures how unsure the
/// model is about an input — large far from the training data. Only the dropout layers sample: every other layer
/// (batch norm above all) is in evaluation mode, so that a pass does not depend on the rest of its batch.
/// </summary>
/// <example><code>
/// using var p = McDropout.Predict(model, images, passes: 50);
/// var uncertain = p.MutualInformation.gt(0.1);   // the inputs the sampled networks disagree on
/// </code></example>
public static class McDropout
{
    /// <summary>
    /// Runs <paramref name="passes"/> forward passes of <paramref name="model"/> over <paramref name="inputs"/> with its
    /// dropout modules (<c>Dropout</c>, <c>Dropout1d/2d/3d</c>, <c>AlphaDropout</c>, <c>FeatureAlphaDropout</c>) in
    /// training mode and every other module in evaluation mode, without gradients, and summarises the softmax outputs.
    /// The modules' modes are put back afterwards. Dropout masks come from libtorch's generator (seed it to repeat).
    /// </summary>
    /// <param name="model">A classifier returning logits <c>[N, K]</c>, K ≥ 2, with at least one dropout module.</param>
    /// <param name="inputs">The inputs, on the model's device; the first dimension is the batch.</param>
    /// <param name="passes">T, the number of stochastic passes (at least 2; 50 is usual).</param>
    /// <param name="batchSize">Inputs per forward pass (limits memory; does not change the result).</param>
    /// <exception cref="ArgumentException">The model has no dropout module, the outputs are not <c>[N, K]</c> logits, or a count is out of range.</exception>
    public static McDropoutPrediction Predict(nn.Module<Tensor, Tensor> model, Tensor inputs, int passes = 50, int batchSize = 1024)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(inputs);
        TorchRuntime.EnsureInitialized();
        if (passes < 2)
            throw new ArgumentOutOfRangeException(nameof(passes), passes, "MC dropout needs at least 2 passes to measure disagreement (50 is usual).");
        if (batchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        if (inputs.dim() < 1 || inputs.shape[0] == 0)
            throw new ArgumentException($"McDropout.Predict: the inputs {Shapes.Format(inputs)} hold no samples.", nameof(inputs));
        var modules = new[] { (nn.Module)model }.Concat(model.modules()).Distinct().ToList();   // the model first, then its descendants
        if (!modules.Any(IsDropout))
            throw new ArgumentException($"McDropout.Predict: {model.GetName()} has no dropout module, so its {passes} passes would all be equal; MC dropout needs a network trained with dropout.", nameof(model));

        var modes = modules.Select(m => (Module: m, Training: m.training)).ToList();
        try
        {
            model.eval();
            foreach (var dropout in modules.Where(IsDropout))
                dropout.train();
            using var noGrad = no_grad();
            var n = inputs.shape[0];
            var parts = new List<(Tensor Mean, Tensor ExpectedEntropy)>();
            using var scope = NewDisposeScope();
            for (long start = 0; start < n; start += batchSize)
            {
                var batch = inputs.narrow(0, start, Math.Min(batchSize, n - start));
                Tensor? sum = null, entropySum = null;
                for (var t = 0; t < passes; t++)
                {
                    using var passScope = NewDisposeScope();
                    var logits = model.call(batch);
                    if (logits.dim() != 2 || logits.shape[0] != batch.shape[0] || logits.shape[1] < 2)
                        throw new ArgumentException($"McDropout.Predict: {model.GetName()} returned {Shapes.Format(logits)} for a batch of {batch.shape[0]}; expected class logits [{batch.shape[0]}, K] with K ≥ 2.", nameof(model));
                    var p = nn.functional.softmax(logits.to(float64), 1);
                    var entropy = EntropyOf(p);
                    sum = sum is null ? p.MoveToOuterDisposeScope() : sum.add_(p);
                    entropySum = entropySum is null ? entropy.MoveToOuterDisposeScope() : entropySum.add_(entropy);
                }
                parts.Add((sum!.div_(passes), entropySum!.div_(passes)));
            }
            var mean = cat(parts.Select(p => p.Mean).ToList(), 0);
            var expected = cat(parts.Select(p => p.ExpectedEntropy).ToList(), 0);
            var total = EntropyOf(mean);
            // H[p̄] ≥ E H[p_t] by Jensen's inequality; rounding can leave −1e-16, which is zero.
            var information = (total - expected).clamp_min(0);
            return new McDropoutPrediction(
                mean.to(float32).MoveToOuterDisposeScope(), total.to(float32).MoveToOuterDisposeScope(),
                expected.to(float32).MoveToOuterDisposeScope(), information.to(float32).MoveToOuterDisposeScope(), passes);
        }
        finally
        {
            // Parents come before their children, so restoring in order (train() recurses) leaves every module as it was.
            foreach (var (module, training) in modes)
                module.train(training);
        }
    }

    /// <summary>Whether a module is one of TorchSharp's dropout layers.</summary>
    public static bool IsDropout(nn.Module module) => module is TorchSharp.Modules.Dropout or TorchSharp.Modules.Dropout1d
        or TorchSharp.Modules.Dropout2d or TorchSharp.Modules.Dropout3d or TorchSharp.Modules.AlphaDropout or TorchSharp.Modules.FeatureAlphaDropout;

    /// <summary>−Σ p log p over the last dimension, with 0 log 0 = 0.</summary>
    static Tensor EntropyOf(Tensor p) => -(p * p.clamp_min(1e-300).log()).sum(dim: 1);
}
