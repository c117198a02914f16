using static TorchSharp.torch;

namespace TorchBinding.Data.Synthetic;

/// <summary>
/// An image with "+" and "−" patterns and the map a "+" detector should output (see
/// <see cref="PatternDetection.PlusMinusImage"/>). It owns its tensors (they survive the dispose scope
/// it was made in) until disposed.
/// </summary>
/// <param name="Image">The image, float32 <c>[1, 1, size, size]</c>: 1 on the patterns, 0 elsewhere.</param>
/// <param name="Target">The detection target, float32 <c>[1, 1, size-2, size-2]</c> (a valid 3x3 convolution's
/// output): +1 at target[r-1, c-1] for a "+" centred at (r, c), -1 everywhere else.</param>
/// <param name="PlusCenters">The (row, column) centres of the "+" patterns in the image.</param>
/// <param name="MinusCenters">The (row, column) centres of the "−" patterns in the image.</param>
public sealed record PatternImage(Tensor Image, Tensor Target, IReadOnlyList<(int Row, int Column)> PlusCenters,
    IReadOnlyList<(int Row, int Column)> MinusCenters) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose()
    {
        Image.Dispose();
        Target.Dispose();
    }
}
