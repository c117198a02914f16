namespace TorchBinding.Runtime.Kernels;

/// <summary>What the start-up does about libtorch's float32 convolution gradients (<c>TORCHBINDING_KERNEL_CHECK</c>).</summary>
public enum KernelCheckMode
{
    /// <summary>Check; work around a fault; stop with <see cref="KernelFaultException"/> if no workaround helps (default).</summary>
    On,

    /// <summary>Check and work around as <see cref="On"/>, but go on with a warning if no workaround helps.</summary>
    Warn,

    /// <summary>No check (and no automatic workaround; a forced one is still applied).</summary>
    Off,
}

/// <summary>
/// A route around wrong oneDNN convolution kernels, cheapest first as measured by <c>scripts/bench.sh kernels</c>
/// (<c>TORCHBINDING_KERNEL_WORKAROUND</c>: auto, none, avx, sse41, onednn-off).
/// </summary>
public enum KernelWorkaround
{
    /// <summary>libtorch as it is.</summary>
    None,

    /// <summary>
    /// oneDNN's JIT kernels capped at AVX (<c>ONEDNN_MAX_CPU_ISA=AVX</c>): forward convolutions keep a JIT kernel (jit:avx),
    /// both backward passes take oneDNN's im2col + GEMM route (gemm:jit), not the direct AVX2/AVX-512 kernels measured
    /// wrong. Applied at start-up only, like every cap. 1.6-1.7x slower training steps (course CNN and ResNet, 2-core EPYC).
    /// </summary>
    IsaAvx,

    /// <summary>
    /// oneDNN's JIT kernels capped at SSE4.1 (<c>ONEDNN_MAX_CPU_ISA=SSE41</c>): every case right on the affected CPU, 2.3x
    /// slower training steps here (2.7x measured on the affected CPU). oneDNN reads the cap once, before its first kernel, so it is applied at start-up only.
    /// </summary>
    IsaSse41,

    /// <summary>
    /// oneDNN off for convolutions (<c>at::Context::setUserEnabledMkldnn(false)</c>): libtorch's own kernels, those float64
    /// takes. Can be applied to a running process; 4-6x slower training steps.
    /// </summary>
    OneDnnOff,
}

/// <summary>Names of the workarounds in settings, cache files and reports.</summary>
public static class KernelWorkarounds
{
    /// <summary>The automatic ladder, cheapest first.</summary>
    public static IReadOnlyList<KernelWorkaround> Ladder { get; } = [KernelWorkaround.IsaAvx, KernelWorkaround.IsaSse41, KernelWorkaround.OneDnnOff];

    /// <summary>The <c>ONEDNN_MAX_CPU_ISA</c> value of a cap, or null for a workaround that is not one.</summary>
    public static string? IsaCap(this KernelWorkaround workaround) => workaround switch
    {
        KernelWorkaround.IsaAvx => "AVX",
        KernelWorkaround.IsaSse41 => "SSE41",
        _ => null,
    };

    /// <summary>The setting's spelling: none, sse41, onednn-off.</summary>
    public static string Name(this KernelWorkaround workaround) => workaround switch
    {
        KernelWorkaround.None => "none",
        KernelWorkaround.IsaAvx => "avx",
        KernelWorkaround.IsaSse41 => "sse41",
        KernelWorkaround.OneDnnOff => "onednn-off",
        _ => throw new ArgumentOutOfRangeException(nameof(workaround), workaround, null),
    };

    /// <summary>What it does, for reports.</summary>
    public static string Describe(this KernelWorkaround workaround) => workaround switch
    {
        KernelWorkaround.None => "none",
        KernelWorkaround.IsaAvx => $"oneDNN capped at AVX ({OneDnn.MaxCpuIsaVariable}=AVX)",
        KernelWorkaround.IsaSse41 => $"oneDNN capped at SSE4.1 ({OneDnn.MaxCpuIsaVariable}=SSE41)",
        KernelWorkaround.OneDnnOff => "oneDNN convolutions off (libtorch's own kernels)",
        _ => throw new ArgumentOutOfRangeException(nameof(workaround), workaround, null),
    };

    /// <summary>Parses a setting: a workaround's name, or "auto" (null).</summary>
    public static bool TryParse(string text, out KernelWorkaround? workaround)
    {
        workaround = null;
        var value = text.Trim().ToLowerInvariant();
        if (value == "auto")
            return true;
        foreach (var candidate in Enum.GetValues<KernelWorkaround>())
        {
            if (candidate.Name() == value)
            {
                workaround = candidate;
                return true;
            }
        }
        return false;
    }
}

/// <summary>libtorch computes wrong convolution gradients here and no workaround fixed them; the message says which and what to do.</summary>
public sealed class KernelFaultException : RuntimeInitializationException
{
    /// <summary>Creates the exception.</summary>
    public KernelFaultException(string message, ConvolutionGradientError fault) : base(message) => Fault = fault;

    /// <summary>The failing convolution, gradient and error.</summary>
    public ConvolutionGradientError Fault { get; }
}
