using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Runtime;

/// <summary>How a convolutional model lays out its feature maps in memory (PyTorch's <c>memory_format</c>).</summary>
public enum ActivationLayout
{
    /// <summary>
    /// Channels-last on the CPU, where oneDNN's convolutions, batch norm and pooling work in that layout natively (the
    /// course CNNs' training steps measured 1.3–1.8x faster, the course ResNet's 1.1–1.4x, float32 and bfloat16); on
    /// other devices the input's own layout.
    /// </summary>
    Auto,

    /// <summary>The input's own layout, normally channels-first (NCHW, contiguous).</summary>
    ChannelsFirst,

    /// <summary>Channels-last (NHWC in memory, still indexed <c>[N, C, H, W]</c>) on every device.</summary>
    ChannelsLast,
}

/// <summary>
/// Channels-last feature maps, which TorchSharp does not expose (PyTorch's <c>x.to(memory_format=torch.channels_last)</c>).
/// A channels-last tensor keeps its shape <c>[N, C, H, W]</c> and its values; only its strides change, so each pixel's
/// channels lie next to each other. Convolutions given such an input compute and return channels-last, and the
/// element-wise layers, batch norm and pooling after them keep it, so converting a model's input is enough.
/// </summary>
/// <remarks>
/// TorchSharp's raw byte access (<c>bytes</c>, <c>Tensor.Save</c>) refuses non-contiguous tensors: call
/// <c>contiguous()</c> on a channels-last feature map before reading its memory (<c>data&lt;T&gt;()</c> follows the
/// strides). Parameters stay contiguous, so models save and load as before.
/// </remarks>
public static class MemoryLayout
{
    /// <summary>
    /// The same values as <paramref name="images"/> <c>[N, C, H, W]</c> in channels-last strides: a view where the
    /// memory already is in that order (always for one channel), else a copy. A new tensor handle either way.
    /// </summary>
    /// <exception cref="ArgumentException">The tensor is not 4-D.</exception>
    public static Tensor ToChannelsLast(this Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
            throw new ArgumentException($"Channels-last needs images [N, C, H, W], got {Shapes.Format(images)}.", nameof(images));
        var (n, c, h, w) = (images.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        if (c == 1)
        {
            // With one channel both layouts hold the same memory; only the strides tell libtorch which one is meant,
            // and permute(...).contiguous() would see nothing to do and keep the channels-first ones.
            using var nhwc = images.reshape(n, h, w, 1);
            return nhwc.permute(0, 3, 1, 2);
        }
        using var permuted = images.permute(0, 2, 3, 1);
        using var packed = permuted.contiguous();
        return packed.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// Whether libtorch reads <paramref name="tensor"/>'s strides as channels-last, as it does to choose a convolution's
    /// layout (its <c>is_channels_last_strides_2d</c>): 4-D, and strides growing from channels to width, height and batch.
    /// A one-channel tensor counts only with the strides <see cref="ToChannelsLast"/> gives it.
    /// </summary>
    public static bool IsChannelsLast(this Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.dim() != 4)
            return false;
        var (shape, strides) = (tensor.shape, tensor.stride());
        if (strides[1] == 0)
            return false;
        long least = 0;
        foreach (var d in new[] { 1, 3, 2, 0 })
        {
            if (shape[d] == 0 || strides[d] < least)
                return false;
            // Ambiguous (e.g. [N, 1, 1, 1]): libtorch falls back to channels-first.
            if (d == 0 && least == strides[1])
                return false;
            least = strides[d] * (shape[d] > 1 ? shape[d] : 1);
        }
        return true;
    }

    /// <summary>Whether a model with <paramref name="layout"/> lays out feature maps channels-last for an input on <paramref name="device"/>.</summary>
    public static bool UsesChannelsLast(this ActivationLayout layout, DeviceType device) => layout switch
    {
        ActivationLayout.ChannelsLast => true,
        ActivationLayout.Auto => device == DeviceType.CPU,
        _ => false,
    };

    /// <summary>A model's input in its <paramref name="layout"/>: <paramref name="images"/> itself where nothing changes, else the channels-last tensor.</summary>
    public static Tensor Arrange(Tensor images, ActivationLayout layout) =>
        layout.UsesChannelsLast(images.device_type) && images.dim() == 4 && !images.IsChannelsLast() ? images.ToChannelsLast() : images;
}
