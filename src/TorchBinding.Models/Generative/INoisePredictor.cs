using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>
/// A diffusion model's network as <see cref="Ddpm"/> uses it: ε̂(x_t, t[, label]), the noise that was added to
/// make x_t. <see cref="DiffusionMlp"/> and <see cref="DiffusionUNet"/> implement it; so can a closed form (the
/// exact predictor of a Gaussian, in the tests).
/// </summary>
public interface INoisePredictor
{
    /// <summary>The shape of one sample, e.g. <c>[1]</c> or <c>[1, 28, 28]</c>.</summary>
    IReadOnlyList<long> SampleShape { get; }

    /// <summary>
    /// The number of classes it is conditioned on (0: unconditional). A conditional predictor takes labels
    /// <c>0..Classes−1</c> and the label <c>Classes</c> for "no class", which classifier-free guidance needs.
    /// </summary>
    int Classes { get; }

    /// <summary>The predicted noise <c>[N, ...SampleShape]</c> of noisy samples <paramref name="x"/> at steps <paramref name="t"/> <c>[N]</c> (0..T−1).</summary>
    /// <param name="x">Noisy samples <c>[N, ...SampleShape]</c>.</param>
    /// <param name="t">The step of each sample, integers <c>[N]</c>.</param>
    /// <param name="labels">Class labels <c>[N]</c> of a conditional predictor (null: "no class" for all), null for an unconditional one.</param>
    Tensor PredictNoise(Tensor x, Tensor t, Tensor? labels = null);
}
