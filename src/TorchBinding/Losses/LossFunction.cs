using static TorchSharp.torch;

namespace TorchBinding.Losses;

/// <summary>
/// A loss as a training loop uses it: the model's <paramref name="output"/> and the batch's
/// <paramref name="target"/> in, one scalar tensor (or per-sample values, with <see cref="Reduction.None"/>) out,
/// differentiable with respect to the output. Make one with <see cref="LossCatalog"/>
/// (e.g. <c>LossCatalog.SquaredHinge.Create(Squash.Sigmoid)</c>) or from a lambda over <see cref="LectureLosses"/>.
/// </summary>
/// <param name="output">The model's output, e.g. raw scores <c>[N, K]</c>.</param>
/// <param name="target">The targets, e.g. one-hot <c>[N, K]</c> or class indices <c>[N]</c>.</param>
/// <returns>The loss of the batch.</returns>
public delegate Tensor LossFunction(Tensor output, Tensor target);

/// <summary>
/// The σ of the lecture's loss table: how raw scores <c>o</c> become the probability estimate <c>σ(o)</c>
/// that the expectation, Chebyshev, hinge, log, Tanimoto and Cauchy–Schwarz losses compare with the target.
/// Janocha &amp; Czarnecki (2017), from whom the table is transcribed, use softmax; it is the default here.
/// </summary>
public enum Squash
{
    /// <summary>No squashing: the outputs already are <c>σ(o)</c> (e.g. a model ending in softmax), or, for the
    /// hinge family, the margin is taken on the raw scores.</summary>
    Identity,

    /// <summary>The logistic function per class, <c>σ(o)_j = 1 / (1 + e^(−o_j))</c>: independent classes (multi-label).</summary>
    Sigmoid,

    /// <summary>Softmax over the classes, <c>σ(o)_j = e^(o_j) / Σ_k e^(o_k)</c>: one class per sample (the table's default).</summary>
    Softmax,
}

/// <summary>How the per-sample losses of a batch become the batch's loss.</summary>
public enum Reduction
{
    /// <summary>The mean over the samples (the default): the loss does not grow with the batch size.</summary>
    Mean,

    /// <summary>The sum over the samples.</summary>
    Sum,

    /// <summary>No reduction: one value per sample, shape <c>[N]</c>.</summary>
    None,
}
