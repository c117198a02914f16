using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>How a trainer computes: as the model is, or in bfloat16 with float32 master weights.</summary>
public enum Precision
{
    /// <summary>In the model's own dtype (float32 normally).</summary>
    Default,

    /// <summary>
    /// Forward and backward in bfloat16: the inputs are converted once (on the device), the outputs go to the loss in
    /// float32, and the flat optimizer updates float32 master weights. Needs a model prepared with
    /// <see cref="MixedPrecision.ToBf16"/> before its optimizer is made.
    /// </summary>
    Bf16Mixed,

    /// <summary>
    /// Forward passes (training, validation, evaluation and prediction) under libtorch's autocast to bfloat16
    /// (<see cref="Runtime.Autocast"/>): convolutions and matrix products compute in bfloat16 from float32 weights,
    /// losses, softmaxes and normalisations in float32; the backward pass follows the forward pass's dtypes. The model,
    /// its gradients and the optimizer stay float32, so it works with any model, step and optimizer, unprepared. Faster
    /// only where the CPU computes bfloat16 natively (<see cref="Runtime.Bf16Support.IsNative"/>; measured here on the
    /// course's small CNN 1.7×, the diffusion U-Net 1.35×); elsewhere libtorch emulates it, slower than float32.
    /// </summary>
    Bf16Autocast,
}

/// <summary>
/// bfloat16 mixed precision (<see cref="Precision.Bf16Mixed"/>; <see cref="Precision.Bf16Autocast"/> needs no
/// preparation). bfloat16 keeps float32's 8 exponent bits (only the mantissa is shorter, 8 bits instead of 24), so small gradients do not underflow as they do in float16: no loss scaling is needed. What needs float32 is
/// kept in float32: the master weights and optimizer state (<see cref="FlatOptimizer"/>), the loss, and normalisation
/// layers, whose statistics (a mean and a variance over a batch) lose too much in 8 mantissa bits.
/// </summary>
/// <example><code>
/// var model = Cnn.Course().to(device);
/// MixedPrecision.ToBf16(model);                                  // before the trainer builds its optimizer
/// var trainer = new Trainer(model, loss, Optim.Adam(), new TrainerOptions { Precision = Precision.Bf16Mixed });
/// </code></example>
public static class MixedPrecision
{
    /// <summary>Converts the model's parameters and buffers to bfloat16, except those of normalisation layers (batch, layer, group and instance norm).</summary>
    /// <returns>The same model.</returns>
    public static T ToBf16<T>(T model) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(model);
        model.to(ScalarType.BFloat16);
        foreach (var module in model.modules().Where(IsNormalization))
            module.to(ScalarType.Float32);
        return model;
    }

    /// <summary>Whether a module is a normalisation layer (kept in float32).</summary>
    public static bool IsNormalization(nn.Module module) => module is TorchSharp.Modules.BatchNorm1d or TorchSharp.Modules.BatchNorm2d
        or TorchSharp.Modules.BatchNorm3d or TorchSharp.Modules.LayerNorm or TorchSharp.Modules.GroupNorm
        or TorchSharp.Modules.InstanceNorm1d or TorchSharp.Modules.InstanceNorm2d or TorchSharp.Modules.InstanceNorm3d;

    /// <summary>
    /// Checks that a model and its optimizers fit <see cref="Precision.Bf16Mixed"/>: some parameters in bfloat16 (the model
    /// was prepared), and flat optimizers, which keep float32 master weights (a per-tensor optimizer would update the
    /// bfloat16 weights directly and lose small updates).
    /// </summary>
    internal static void Check(nn.Module model, IReadOnlyList<optim.Optimizer> optimizers)
    {
        if (!model.parameters().Any(p => p.dtype == ScalarType.BFloat16))
            throw new ArgumentException("Precision.Bf16Mixed needs a model in bfloat16: call MixedPrecision.ToBf16(model) before making its optimizer.");
        if (optimizers.FirstOrDefault(o => o is not FlatOptimizer) is { } other)
            throw new ArgumentException($"Precision.Bf16Mixed needs flat optimizers (FlatSgd, FlatAdam, FlatRmsProp, or Optimizers.Create), which keep float32 master weights; got {other.GetType().Name}.");
    }

    /// <summary>The autocast region of a <see cref="Precision.Bf16Autocast"/> forward pass on <paramref name="device"/>, or null for other precisions.</summary>
    internal static IDisposable? AutocastFor(Precision precision, Device device) =>
        precision == Precision.Bf16Autocast ? Runtime.Autocast.Enable(device.type) : null;

    /// <summary>Checks that libtorch's autocast can be reached (it is found through libtorch's exported functions).</summary>
    internal static void CheckAutocast()
    {
        if (!Runtime.Autocast.IsAvailable)
            throw new InvalidOperationException("Precision.Bf16Autocast needs libtorch's autocast functions, which this libtorch does not export; use Precision.Bf16Mixed or Precision.Default.");
    }
}
