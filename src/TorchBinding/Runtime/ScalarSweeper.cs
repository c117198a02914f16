using System.Diagnostics;

namespace TorchBinding.Runtime;

/// <summary>
/// Frees the libtorch scalars that TorchSharp leaves to finalizers, between the steps of a loop. Every operator or method
/// taking a .NET number (<c>tensor * 2.0</c>, <c>tensor - 0.5</c>) wraps it in a <see cref="TorchSharp.Scalar"/> that
/// nothing disposes: its native <c>at::Scalar</c> (a few bytes from <c>malloc</c>) is freed only by the finalizer, and a
/// training loop allocates so little managed memory that the collector may not run for minutes. Meanwhile each new
/// scalar is carved out of the free memory the last step's activations left, so the next step's multi-megabyte blocks
/// no longer fit there and the heap grows instead: measured on the course's 1-D diffusion MLP (batch 2048), 3 MB per
/// step, 2.8 GB after 900 steps, with every tensor disposed. A young-generation collection at most once a second keeps
/// it near flat (3.8 GB → 1.03 GB peak for that example's fast mode with 60 epochs; every 100 ms: 0.94 GB, but the course
/// ResNet's trainer step measured 2–5 % slower, a collection at nearly every 85 ms step).
/// </summary>
/// <remarks>
/// The collection runs on the loop's own thread, at a step's end (<see cref="AtStepEnd"/>: the trainer after each step
/// and evaluation batch, the samplers after each denoising step), never from a timer: TorchSharp does not keep a
/// scalar alive while a native call on another thread still reads it, so a collection in the middle of a call frees
/// the scalar under it (tried: libtorch then fails with "Unknown scalar type"). Between steps every scalar that is
/// unreachable is truly finished with — unless the program calls TorchSharp on other threads at the same time, where
/// it should be turned off. Turned off by <see cref="RuntimeOptions.ScalarSweepInterval"/> = zero
/// (<c>TORCHBINDING_SCALAR_SWEEP_MS=0</c>).
/// </remarks>
public static class ScalarSweeper
{
    static long _intervalTicks = -1;
    static long _lastSweep;
    static long _sweeps;

    /// <summary>The interval in use; zero when sweeping is off.</summary>
    public static TimeSpan Interval => _intervalTicks > 0 ? TimeSpan.FromSeconds(_intervalTicks / (double)Stopwatch.Frequency) : TimeSpan.Zero;

    /// <summary>How many collections the sweeper has run.</summary>
    public static long Sweeps => Interlocked.Read(ref _sweeps);

    /// <summary>Sets the interval from the options; returns what it did, for the verbose start-up log.</summary>
    internal static string Configure(RuntimeOptions options)
    {
        var interval = options.ScalarSweepInterval;
        Interlocked.Exchange(ref _intervalTicks, interval > TimeSpan.Zero ? (long)(interval.TotalSeconds * Stopwatch.Frequency) : 0);
        return interval > TimeSpan.Zero
            ? $"scalar sweeper: a young-generation collection at most every {interval.TotalMilliseconds:F0} ms, between steps (frees the native scalars TorchSharp leaves to finalizers)"
            : $"scalar sweeper off ({RuntimeOptions.ScalarSweepVariable}=0): undisposed TorchSharp scalars wait for the garbage collector";
    }

    /// <summary>
    /// Call where a step of a loop has ended and its tensors are disposed (the trainer and the samplers do): collects the
    /// young generations if the interval has passed since the last sweep, and costs a clock read otherwise. Call it only
    /// where no other thread of yours is inside a TorchSharp call.
    /// </summary>
    public static void AtStepEnd()
    {
        var interval = Interlocked.Read(ref _intervalTicks);
        if (interval <= 0)
            return;
        var now = Stopwatch.GetTimestamp();
        if (now - Interlocked.Read(ref _lastSweep) < interval)
            return;
        Interlocked.Exchange(ref _lastSweep, now);
        // Generation 1 as well: a scalar still referenced at one sweep is promoted, and freed at the next.
        GC.Collect(1, GCCollectionMode.Forced, blocking: true);
        Interlocked.Increment(ref _sweeps);
    }
}
