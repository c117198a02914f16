using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// A transform of a whole batch, e.g. a random augmentation applied to every training batch. The library's
/// transforms take an image batch <c>[N, C, H, W]</c> of a floating dtype on any device and return a new
/// tensor of the same shape, dtype and device (never the input itself, so the caller may dispose both).
/// </summary>
public interface IBatchTransform
{
    /// <summary>Transforms <paramref name="batch"/> into a new tensor.</summary>
    /// <param name="batch">The batch, <c>[N, C, H, W]</c> for the library's transforms.</param>
    /// <returns>The transformed batch, in the caller's dispose scope.</returns>
    Tensor Apply(Tensor batch);
}
