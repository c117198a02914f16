using System.Runtime.InteropServices;

namespace TorchBinding.Runtime;

/// <summary>
/// Keeps freed tensor memory in the process on Linux (glibc), so that the next training step reuses it instead of
/// faulting fresh pages in. libtorch's CPU allocator is plain <c>malloc</c>/<c>free</c>. glibc serves a block of a few MB
/// (a batch's activation maps) from the heap only after its adaptive threshold has grown past that size, and it gives
/// the top of the heap back to the system whenever more than twice that threshold lies free there — which happens at
/// the end of every step, when the step's dispose scope frees the forward pass's tensors together. Each step then
/// touches its activation and gradient memory as new pages, one page fault per 4 KiB (about 3 µs each in a VM): measured
/// on the course ResNet (batch 100, one thread), 7,000 to 28,000 faults per step, 20 to 80 ms of a 160 ms step
/// (PyTorch 1.13's own loop: about 7,000). Fixing both thresholds (blocks up to 32 MiB from the heap, up to 1 GiB of free heap kept)
/// brings that to nearly none. Larger blocks are still mapped and unmapped per use, as before.
/// </summary>
/// <remarks>
/// Skipped where the user steers glibc's allocator already (<c>MALLOC_MMAP_THRESHOLD_</c>, <c>MALLOC_TRIM_THRESHOLD_</c>,
/// <c>MALLOC_TOP_PAD_</c> or malloc tunables in <c>GLIBC_TUNABLES</c>), where it is turned off
/// (<see cref="RuntimeOptions.MallocTuning"/>, <c>TORCHBINDING_MALLOC_TUNING=0</c>), and off glibc. The cost is memory:
/// the process keeps its peak heap (up to 1 GiB beyond what is in use) rather than returning it between steps.
/// </remarks>
static partial class MallocTuning
{
    const int MTrimThreshold = -1, MMmapThreshold = -3;

    /// <summary>The largest block served from the heap: glibc's ceiling for the mmap threshold on 64-bit systems.</summary>
    public const int HeapBlockLimit = 32 << 20;

    /// <summary>How much free memory at the top of the heap is kept rather than returned to the system.</summary>
    public const long KeptFreeMemory = 1L << 30;

    /// <summary>Whether the thresholds were set by this process.</summary>
    public static bool Applied { get; private set; }

    /// <summary>Sets glibc's thresholds as the options say; returns what it did, for the verbose start-up log.</summary>
    public static string Apply(RuntimeOptions options)
    {
        if (!options.MallocTuning)
            return $"malloc left as it is ({RuntimeOptions.MallocTuningVariable}=0)";
        if (!OperatingSystem.IsLinux())
            return "malloc left as it is (not Linux)";
        if (new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_" }.Any(v => Environment.GetEnvironmentVariable(v) is not null)
            || (Environment.GetEnvironmentVariable("GLIBC_TUNABLES")?.Contains("glibc.malloc.", StringComparison.Ordinal) ?? false))
            return "malloc left as it is (the environment sets its thresholds)";
        try
        {
            if (mallopt(MMmapThreshold, HeapBlockLimit) == 0 || mallopt(MTrimThreshold, (int)Math.Min(KeptFreeMemory, int.MaxValue)) == 0)
                return "malloc left as it is (mallopt refused the thresholds)";
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return "malloc left as it is (no glibc mallopt)";
        }
        Applied = true;
        return $"malloc keeps freed memory for reuse: blocks up to {HeapBlockLimit >> 20} MiB from the heap, up to {KeptFreeMemory >> 20} MiB of it kept free";
    }

    [LibraryImport("libc")]
    private static partial int mallopt(int parameter, int value);
}
