using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Runtime;

/// <summary>
/// Whether bfloat16 computes faster than float32 here. A CPU with AVX512_BF16 or AMX has bf16 dot-product instructions,
/// which oneDNN's kernels use (measured on a 2-core AVX512_BF16 EPYC: the course CNN's forward pass 1.6×, the diffusion
/// U-Net's 2.0× faster; <c>scripts/bench.sh precision</c>); elsewhere libtorch converts bf16 in software and it is
/// slower than float32. Detected from the CPU's flags, never assumed.
/// </summary>
public static class Bf16Support
{
    static readonly Lazy<IReadOnlyList<string>> s_cpuFeatures = new(ReadCpuFeatures);

    /// <summary>The CPU's bf16 instruction sets as Linux names them (<c>avx512_bf16</c>, <c>amx_bf16</c>); empty when none or unknown.</summary>
    public static IReadOnlyList<string> CpuFeatures => s_cpuFeatures.Value;

    /// <summary>
    /// Whether <paramref name="device"/> computes bf16 natively: a CPU with one of <see cref="CpuFeatures"/>. CUDA devices
    /// answer false: TorchSharp does not tell a GPU's compute capability, and bf16 is native only from sm_80 (Ampere).
    /// </summary>
    public static bool IsNative(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return device.type == DeviceType.CPU && CpuFeatures.Count > 0;
    }

    static IReadOnlyList<string> ReadCpuFeatures()
    {
        const string cpuinfo = "/proc/cpuinfo";
        if (!OperatingSystem.IsLinux() || !File.Exists(cpuinfo))
            return [];
        var flags = File.ReadLines(cpuinfo).FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(':', 2) is [_, var list]
            ? list.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];
        return flags.Where(f => f is "avx512_bf16" or "amx_bf16").ToArray();
    }
}
