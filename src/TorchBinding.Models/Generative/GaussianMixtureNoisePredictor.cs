using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>
/// The exact noise predictor of a diffusion model whose data is a mixture of isotropic Gaussians
/// Σ_k π_k N(μ_k, s_k² I): no network, the answer a perfectly trained one would give. Given x_t, component k has
/// x_t ~ N(√ᾱ_t μ_k, v_k I) with v_k = ᾱ_t s_k² + 1 − ᾱ_t, and E[ε | x_t] = Σ_k r_k √(1 − ᾱ_t) (x_t − √ᾱ_t μ_k) / v_k
/// with r_k the posterior probability of component k. Sampling with it separates what a schedule and a sampler do
/// from what training does (e.g. a schedule whose ᾱ_T is far from 0 mis-weights the modes even with this predictor).
/// </summary>
public sealed class GaussianMixtureNoisePredictor : INoisePredictor
{
    readonly Ddpm _ddpm;
    readonly double[] _logWeights;
    readonly double[][] _means;
    readonly double[] _variances;

    /// <summary>The predictor of the mixture with these weights (summing to 1), means (one per component, all of one length) and standard deviations.</summary>
    /// <exception cref="ArgumentException">The components disagree in number or length, a weight or deviation is not positive, or the weights do not sum to 1.</exception>
    public GaussianMixtureNoisePredictor(Ddpm ddpm, IReadOnlyList<double> weights, IReadOnlyList<IReadOnlyList<double>> means, IReadOnlyList<double> stds)
    {
        _ddpm = ddpm ?? throw new ArgumentNullException(nameof(ddpm));
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(stds);
        if (weights.Count == 0 || means.Count != weights.Count || stds.Count != weights.Count)
            throw new ArgumentException($"GaussianMixtureNoisePredictor: {weights.Count} weight(s), {means.Count} mean(s) and {stds.Count} standard deviation(s); give one of each per component.");
        if (weights.Any(w => !(w > 0)) || Math.Abs(weights.Sum() - 1) > 1e-9)
            throw new ArgumentException($"GaussianMixtureNoisePredictor: the weights must be positive and sum to 1, got [{string.Join(", ", weights)}].", nameof(weights));
        if (stds.Any(s => !(s > 0)))
            throw new ArgumentException($"GaussianMixtureNoisePredictor: the standard deviations must be positive, got [{string.Join(", ", stds)}].", nameof(stds));
        var size = means[0].Count;
        if (size == 0 || means.Any(m => m.Count != size))
            throw new ArgumentException("GaussianMixtureNoisePredictor: every mean must have the same, positive length.", nameof(means));
        _logWeights = [.. weights.Select(w => Math.Log(w))];
        _means = [.. means.Select(m => m.ToArray())];
        _variances = [.. stds.Select(s => s * s)];
    }

    /// <inheritdoc/>
    public IReadOnlyList<long> SampleShape => [_means[0].Length];

    /// <summary>Always 0: the mixture is unconditional.</summary>
    public int Classes => 0;

    /// <inheritdoc/>
    public Tensor PredictNoise(Tensor x, Tensor t, Tensor? labels = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        if (labels is not null)
            throw new ArgumentException("GaussianMixtureNoisePredictor is unconditional and takes no labels.", nameof(labels));
        var size = _means[0].Length;
        if (x.dim() != 2 || x.shape[1] != size || t.dim() != 1 || t.shape[0] != x.shape[0])
            throw new ArgumentException($"GaussianMixtureNoisePredictor expects x [N, {size}] and t [N], got x {Shapes.Format(x)} and t {Shapes.Format(t)}.", nameof(x));
        InputChecks.DiffusionSteps(t, "GaussianMixtureNoisePredictor", _ddpm.Steps, "the steps of its Ddpm");
        using var scope = NewDisposeScope();
        var alphaBar = tensor(_ddpm.AlphaBars.ToArray(), dtype: float64, device: x.device).index_select(0, t.to(int64)).reshape(-1, 1);
        var xd = x.to(float64);
        var logDensities = new List<Tensor>();
        var noises = new List<Tensor>();
        for (var k = 0; k < _means.Length; k++)
        {
            var v = alphaBar * _variances[k] + (1 - alphaBar);
            var deviation = xd - alphaBar.sqrt() * tensor(_means[k], dtype: float64, device: x.device).reshape(1, -1);
            logDensities.Add(_logWeights[k] - deviation.square().sum(dim: 1, keepdim: true) / (2 * v) - size / 2.0 * v.log());
            noises.Add((1 - alphaBar).sqrt() * deviation / v);
        }
        var responsibilities = softmax(cat(logDensities, 1), 1);
        var noise = zeros_like(xd);
        for (var k = 0; k < _means.Length; k++)
            noise += responsibilities[.., k..(k + 1)] * noises[k];
        return noise.to(x.dtype).MoveToOuterDisposeScope();
    }
}
