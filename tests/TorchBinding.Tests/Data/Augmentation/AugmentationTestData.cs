using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Augmentation;

/// <summary>Seeded input batches for the augmentation tests.</summary>
static class AugmentationTestData
{
    /// <summary>A batch [n, c, h, w] of uniform values in [0, 1), the same for the same seed.</summary>
    public static Tensor RandomBatch(long n = 8, long c = 3, long h = 16, long w = 16, int seed = 0, ScalarType dtype = ScalarType.Float32)
    {
        using var generator = new Generator((ulong)seed);
        return rand([n, c, h, w], generator: generator).to(dtype);
    }

    /// <summary>Whether two tensors are equal in shape and every value.</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    /// <summary>Tensors alive on this thread (TorchSharp's own count).</summary>
    public static long LiveTensors => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
}
