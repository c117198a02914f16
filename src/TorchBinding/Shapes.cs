using static TorchSharp.torch;

namespace TorchBinding;

/// <summary>Shape formatting for messages, e.g. <c>[100, 1, 28, 28]</c>.</summary>
public static class Shapes
{
    /// <summary>A tensor's shape as <c>[d0, d1, ...]</c>.</summary>
    public static string Format(Tensor tensor) => Format(tensor.shape);

    /// <summary>A shape as <c>[d0, d1, ...]</c>.</summary>
    public static string Format(ReadOnlySpan<long> shape) => $"[{string.Join(", ", shape.ToArray())}]";
}
