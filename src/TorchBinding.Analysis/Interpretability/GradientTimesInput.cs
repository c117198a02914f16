using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>
/// Gradient × input (Shrikumar et al., 2016): each input value times its gradient, a first-order estimate of its
/// contribution to the score relative to a zero input. Exact for a linear model (where it equals Integrated Gradients with
/// a zero baseline). Works on any batch <c>[N, ...]</c>; its attributions have the inputs' shape.
/// </summary>
public sealed class GradientTimesInput : IAttributionMethod
{
    /// <summary>A gradient × input method with the given options.</summary>
    /// <param name="options">Score and batch size (null: the defaults).</param>
    /// <exception cref="ArgumentOutOfRangeException">BatchSize &lt; 1.</exception>
    public GradientTimesInput(AttributionOptions? options = null)
    {
        Options = options ?? new AttributionOptions();
        AttributionChecks.Positive(Options.BatchSize, nameof(Options.BatchSize), "GradientTimesInput");
    }

    /// <summary>The method's options.</summary>
    public AttributionOptions Options { get; }

    /// <inheritdoc/>
    /// <remarks>Default <c>gradient_x_input</c>.</remarks>
    public string Name { get; init; } = "gradient_x_input";

    /// <summary>x · ∂score/∂x, of the inputs' shape (signed: positive values raise the score).</summary>
    /// <inheritdoc cref="IAttributionMethod.Attribute"/>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var section = Profiler.Measure("gradient x input");
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "GradientTimesInput");
        using var eval = new EvalMode(model);
        return Attribution.Batched(inputs, targets, Options.BatchSize, (x, t) => Attribution.ScoreGradient(model, x, t, Options.Score, "GradientTimesInput").Gradient * x);
    }
}
