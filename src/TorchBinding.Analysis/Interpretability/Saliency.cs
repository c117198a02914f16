using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>Saliency's options.</summary>
public sealed record SaliencyOptions : AttributionOptions
{
    /// <summary>
    /// Return the gradient's magnitude |∂score/∂x| (Simonyan et al.'s saliency map, and Captum's default) instead of the
    /// signed gradient (the default here: its sign says which way a change of the value moves the score).
    /// </summary>
    public bool Absolute { get; init; }
}

/// <summary>
/// Vanilla gradient saliency (Simonyan et al., 2014): ∂score/∂x, how much a small change of each input value changes the
/// class score. Works on any batch <c>[N, ...]</c>; its attributions have the inputs' shape.
/// </summary>
/// <example><code>
/// var gradient = new Saliency().Attribute(model, images, labels);                       // [N, 1, 28, 28], signed
/// var map = Attribution.ToPixelMap(gradient);                                           // [N, 28, 28], max |gradient| over channels
/// </code></example>
public sealed class Saliency : IAttributionMethod
{
    /// <summary>A saliency method with the given options.</summary>
    /// <param name="options">Absolute values, score, batch size (null: the defaults).</param>
    /// <exception cref="ArgumentOutOfRangeException">BatchSize &lt; 1.</exception>
    public Saliency(SaliencyOptions? options = null)
    {
        Options = options ?? new SaliencyOptions();
        AttributionChecks.Positive(Options.BatchSize, nameof(Options.BatchSize), "Saliency");
    }

    /// <summary>The method's options.</summary>
    public SaliencyOptions Options { get; }

    /// <inheritdoc/>
    /// <remarks>Default <c>saliency</c>.</remarks>
    public string Name { get; init; } = "saliency";

    /// <summary>∂score/∂x (or its magnitude with <see cref="SaliencyOptions.Absolute"/>), of the inputs' shape.</summary>
    /// <inheritdoc cref="IAttributionMethod.Attribute"/>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var section = Profiler.Measure("saliency");
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "Saliency");
        using var eval = new EvalMode(model);
        return Attribution.Batched(inputs, targets, Options.BatchSize, (x, t) =>
        {
            var gradient = Attribution.ScoreGradient(model, x, t, Options.Score, "Saliency").Gradient;
            return Options.Absolute ? gradient.abs() : gradient;
        });
    }
}
