using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Synthetic;

/// <summary>A tensor's values as a .NET array, for exact assertions.</summary>
static class TensorValues
{
    public static float[] Floats(Tensor tensor)
    {
        using var cpu = tensor.cpu().contiguous();
        return cpu.data<float>().ToArray();
    }

    public static long[] Longs(Tensor tensor)
    {
        using var cpu = tensor.cpu().contiguous();
        return cpu.data<long>().ToArray();
    }

    /// <summary>Whether two tensors have the same shape, dtype and values.</summary>
    public static bool Identical(Tensor a, Tensor b) => a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();
}
