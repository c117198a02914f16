using System.Text;

namespace TorchBinding.Runtime;

/// <summary>What the runtime is running on; <see cref="ToString"/> gives the text <c>doctor</c>-style commands print.</summary>
/// <param name="TorchSharpVersion">The TorchSharp assembly version.</param>
/// <param name="LibTorchVersion">The libtorch version in use.</param>
/// <param name="Source">Where libtorch came from: the libtorch-cpu package, or the external setting.</param>
/// <param name="LibTorchDirectory">The folder libtorch was loaded from, where known.</param>
/// <param name="LibTorchSharpPath">The libLibTorchSharp file loaded (a cached weakened copy when the fix was applied).</param>
/// <param name="CompatibilityFix">Why the GLIBCXX fix was applied, or null when it was not needed.</param>
/// <param name="CudaAvailable">Whether CUDA is usable.</param>
/// <param name="CudaDevices">The CUDA devices' names, in index order.</param>
/// <param name="IntraOpThreads">libtorch's intra-op thread count.</param>
/// <param name="InterOpThreads">libtorch's inter-op thread count.</param>
/// <param name="Host">Operating system, architecture and .NET version.</param>
public sealed record RuntimeDescription(
    string TorchSharpVersion,
    string LibTorchVersion,
    string Source,
    string? LibTorchDirectory,
    string? LibTorchSharpPath,
    string? CompatibilityFix,
    bool CudaAvailable,
    IReadOnlyList<string> CudaDevices,
    int IntraOpThreads,
    int InterOpThreads,
    string Host)
{
    /// <summary>The convolution gradient self-check's verdict and workaround (null where the runtime did not run it).</summary>
    public Kernels.KernelCheckReport? KernelCheck { get; init; }

    /// <summary>Whether the GLIBCXX compatibility fix was applied.</summary>
    public bool CompatibilityFixApplied => CompatibilityFix is not null;

    /// <summary>A multi-line, human-readable description.</summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine("TorchBinding runtime");
        text.AppendLine($"  TorchSharp       {TorchSharpVersion} (built for libtorch {ExternalLibTorch.BuiltFor})");
        text.AppendLine($"  libtorch         {LibTorchVersion} from {Source}");
        text.AppendLine($"  natives folder   {LibTorchDirectory ?? "(resolved by .NET from the application)"}");
        if (LibTorchSharpPath is not null)
            text.AppendLine($"  LibTorchSharp    {LibTorchSharpPath}");
        text.AppendLine($"  GLIBCXX fix      {(CompatibilityFix is null ? "not needed" : "applied: " + CompatibilityFix)}");
        if (KernelCheck is not null)
        {
            text.AppendLine($"  conv gradients   {KernelCheck}");
            text.AppendLine($"  oneDNN ISA       {KernelCheck.Isa}");
        }
        text.AppendLine(CudaAvailable
            ? $"  CUDA             available, {CudaDevices.Count} device(s): {string.Join(", ", CudaDevices.Select((n, i) => $"cuda:{i} {n}"))}"
            : "  CUDA             not available");
        text.AppendLine($"  threads          {IntraOpThreads} intra-op, {InterOpThreads} inter-op");
        text.Append($"  host             {Host}");
        return text.ToString();
    }
}
