using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>
/// The input checks every model runs first in <c>forward</c>, so that a predictable mistake (no batch or channel
/// dimension, the wrong channel count, integer pixels, input and model on different devices) is reported with the
/// module's name and both shapes instead of surfacing from libtorch.
/// </summary>
static class InputChecks
{
    /// <summary>A batch of images <c>[N, C, H, W]</c> with <paramref name="channels"/> channels, of the dtype and on the device of <paramref name="parameter"/>.</summary>
    public static void Images(Tensor input, string model, string firstLayer, long channels, Tensor parameter)
    {
        Alive(input, model);
        if (input.dim() != 4)
        {
            var hint = input.dim() == 3
                ? channels == 1
                    ? ": add the channel dimension (input.unsqueeze(1)) for a batch of grey images, or the batch dimension (input.unsqueeze(0)) for a single image"
                    : ": add the batch dimension (input.unsqueeze(0)) for a single image"
                : "";
            throw new ArgumentException($"{model} expects a batch of images [N, {channels}, H, W], got {Shapes.Format(input)}{hint}.", nameof(input));
        }
        if (input.shape[1] != channels)
            throw new ArgumentException($"{model}.{firstLayer} expects {channels} input channel(s), got {input.shape[1]}: input {Shapes.Format(input)}.", nameof(input));
        LikeParameters(input, model, parameter);
    }

    /// <summary>The cheap part of <see cref="Images"/> for building blocks called on their own: rank 4 and the channel count.</summary>
    public static void BlockInput(Tensor input, string block, long channels)
    {
        Alive(input, block);
        if (input.dim() != 4 || input.shape[1] != channels)
            throw new ArgumentException($"{block}.conv1 expects a batch of feature maps [N, {channels}, H, W], got {Shapes.Format(input)}.", nameof(input));
    }

    /// <summary>A tensor that is there: not null, not disposed (which libtorch would report only as "empty handle").</summary>
    public static void Alive(Tensor input, string model)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.IsInvalid)
            throw new ObjectDisposedException(nameof(input), $"{model}: the input tensor was disposed before the call (e.g. by a dispose scope or using block that ended).");
        if (input.dim() > 0 && input.shape[0] == 0)
            throw new ArgumentException($"{model}: the batch is empty (input {Shapes.Format(input)}); give it at least one sample.", nameof(input));
    }

    /// <summary>A floating-point input of the parameters' dtype, on their device.</summary>
    public static void LikeParameters(Tensor input, string model, Tensor parameter)
    {
        if (!input.is_floating_point())
            throw new ArgumentException($"{model} expects floating-point values, got {input.dtype}: input {Shapes.Format(input)}; convert it with input.to(float32) (pixels scaled to [0, 1]).", nameof(input));
        // Under autocast a float32 model takes the bfloat16 activations autocast made: that is the point of it.
        if (input.dtype != parameter.dtype && !(parameter.is_floating_point() && Runtime.Autocast.IsEnabled(input.device_type)))
            throw new ArgumentException($"{model}'s parameters are {parameter.dtype} but the input is {input.dtype}: input {Shapes.Format(input)}; convert it with input.to({parameter.dtype}).", nameof(input));
        if (input.device_type != parameter.device_type || input.device_index != parameter.device_index)
            throw new ArgumentException($"{model} is on {parameter.device} but the input is on {input.device}: input {Shapes.Format(input)}; move it with input.to(device).", nameof(input));
    }

    /// <summary>More than one value per channel to normalise: batch norm cannot train on a batch of one.</summary>
    public static void BatchNormCanTrain(Tensor input, bool training, string model)
    {
        if (training && input.shape[0] == 1 && input.numel() / Math.Max(1, input.shape[1]) <= 1)
            throw new ArgumentException($"{model} uses batch norm and cannot train on a batch of one sample: input {Shapes.Format(input)}; use larger batches, or call model.eval() to predict.", nameof(input));
    }

    /// <summary>
    /// Every value finite: the message names the model, the argument, the first NaN or infinity and its element (flat
    /// index), and <paramref name="consequence"/> (why it matters here).
    /// </summary>
    public static void Finite(Tensor values, string model, string argument, string consequence)
    {
        if (TensorChecks.FirstNonFinite(values) is { } bad)
            throw new ArgumentException($"{model}: {argument} must be finite; got {TensorChecks.Describe(bad.Value)} at element {bad.Index} of {argument} {Shapes.Format(values)}. {consequence}", argument);
    }

    /// <summary>
    /// Diffusion steps: integers <c>[N]</c> in <c>0..T−1</c> (with <paramref name="steps"/> null only non-negative); the
    /// message names the first step outside, T and where T comes from (<paramref name="stepsSource"/>).
    /// </summary>
    public static void DiffusionSteps(Tensor t, string model, int? steps, string stepsSource)
    {
        if (t.is_floating_point() || t.dtype == ScalarType.Bool)
            throw new ArgumentException($"{model} expects integer steps, got {t.dtype}: t {Shapes.Format(t)}.", nameof(t));
        if (t.numel() == 0)
            return;
        using var scope = NewDisposeScope();
        var outside = steps is { } T ? t.lt(0).logical_or(t.ge(T)) : t.lt(0);
        if (!outside.any().item<bool>())
            return;
        var step = t.masked_select(outside)[0].to(int64).item<long>();
        throw new ArgumentException(steps is { } count
            ? $"{model}: step {step} is outside 0..T−1 = 0..{count - 1} (T = {count}, {stepsSource}); sample and train it with a Ddpm of the same T."
            : $"{model}: step {step} is negative; steps count from 0.", nameof(t));
    }

    /// <summary>Class indices: an integer tensor with every value in <c>0..classes−1</c> (the message names the first one outside).</summary>
    public static void ClassLabels(Tensor labels, string model, long classes)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.is_floating_point() || labels.dtype == ScalarType.Bool)
            throw new ArgumentException($"{model} expects integer class labels, got {labels.dtype}: labels {Shapes.Format(labels)}; convert them with labels.to(int64).", nameof(labels));
        if (labels.numel() == 0)
            return;
        using var scope = NewDisposeScope();
        var outside = labels.lt(0).logical_or(labels.ge(classes));
        if (outside.any().item<bool>())
        {
            var label = labels.masked_select(outside)[0].to(int64).item<long>();
            throw new ArgumentException($"{model}: label {label} is out of range for {classes} classes (expected 0..{classes - 1}).", nameof(labels));
        }
    }
}
