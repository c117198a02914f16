using static TorchSharp.torch;

namespace TorchBinding.Training.Callbacks;

/// <summary>
/// Clips gradients between <c>backward()</c> and the optimizer step: by their global norm (rescaled so the
/// norm over the stepping optimizers' parameters is at most <c>maxNorm</c>) or by value (each entry clamped to ±<c>maxValue</c>).
/// With flat optimizers (<see cref="FlatOptimizer"/>) the norm is one per buffer instead of one per tensor.
/// </summary>
public sealed class GradientClipping : TrainingCallback
{
    GradientClipping(double? maxNorm, double normType, double? maxValue) => (MaxNorm, NormType, MaxValue) = (maxNorm, normType, maxValue);

    /// <summary>Clip the global gradient norm to <paramref name="maxNorm"/> (the <paramref name="normType"/>-norm, default 2).</summary>
    public static GradientClipping ByNorm(double maxNorm, double normType = 2)
    {
        if (!(maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be positive.");
        return new GradientClipping(maxNorm, normType, null);
    }

    /// <summary>Clamp every gradient entry to [−<paramref name="maxValue"/>, <paramref name="maxValue"/>].</summary>
    public static GradientClipping ByValue(double maxValue)
    {
        if (!(maxValue > 0))
            throw new ArgumentOutOfRangeException(nameof(maxValue), maxValue, "The maximum gradient value must be positive.");
        return new GradientClipping(null, 2, maxValue);
    }

    /// <summary>The norm bound, when clipping by norm.</summary>
    public double? MaxNorm { get; }

    /// <summary>The norm's order.</summary>
    public double NormType { get; }

    /// <summary>The value bound, when clipping by value.</summary>
    public double? MaxValue { get; }

    /// <summary>The global gradient norm before the last clip by norm.</summary>
    public double LastNorm { get; private set; }

    /// <inheritdoc/>
    public override void OnAfterBackward(TrainingContext context)
    {
        // The gradients of what is about to step: a GAN's discriminator step clips the discriminator's alone.
        var stepping = context.SteppingOptimizers;
        if (stepping is [FlatOptimizer flat])
        {
            if (MaxNorm is { } max)
                LastNorm = flat.ClipGradientNorm(max, NormType);
            else
                flat.ClipGradientValue(MaxValue!.Value);
            return;
        }
        var parameters = stepping.SelectMany(o => o.parameters()).Where(p => p.grad is not null).ToList();
        if (parameters.Count == 0)
            return;
        if (MaxNorm is { } maxNorm)
            LastNorm = nn.utils.clip_grad_norm_(parameters, maxNorm, NormType);
        else
            nn.utils.clip_grad_value_(parameters, MaxValue!.Value);
    }
}
