using System.Runtime.CompilerServices;
using TorchBinding.Runtime;
using TorchSharp;

namespace TorchBinding.Tests.Runtime;

public class ScalarSweeperTests
{
    [Test]
    public void A_scalar_nobody_disposed_is_freed_without_anyone_calling_the_collector()
    {
        TorchRuntime.EnsureInitialized();
        if (Environment.GetEnvironmentVariable(RuntimeOptions.ScalarSweepVariable) is not null)
            Assert.Ignore($"{RuntimeOptions.ScalarSweepVariable} steers the sweeper in this environment.");
        Assert.That(ScalarSweeper.Interval, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
        var sweeps = ScalarSweeper.Sweeps;
        var dropped = DropScalar();
        // Waits without collecting itself; the sweeper must find the allocation above and collect within a few intervals.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while ((dropped.IsAlive || ScalarSweeper.Sweeps == sweeps) && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
        Assert.That(dropped.IsAlive, Is.False, "the dropped Scalar is still alive after 30 s");
        Assert.That(ScalarSweeper.Sweeps, Is.GreaterThan(sweeps));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference DropScalar()
    {
        // What `tensor * 2.5` does inside TorchSharp: a native scalar that only its finalizer frees.
        Scalar scalar = 2.5;
        return new WeakReference(scalar);
    }

    [Test]
    public void The_interval_comes_from_the_environment_and_zero_turns_it_off()
    {
        var saved = Environment.GetEnvironmentVariable(RuntimeOptions.ScalarSweepVariable);
        try
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.ScalarSweepVariable, "250");
            Assert.That(RuntimeOptions.FromEnvironment().ScalarSweepInterval, Is.EqualTo(TimeSpan.FromMilliseconds(250)));
            Environment.SetEnvironmentVariable(RuntimeOptions.ScalarSweepVariable, "0");
            Assert.That(RuntimeOptions.FromEnvironment().ScalarSweepInterval, Is.EqualTo(TimeSpan.Zero));
            Assert.That(ScalarSweeper.Start(new RuntimeOptions { ScalarSweepInterval = TimeSpan.Zero }), Does.Contain("off"));
            Environment.SetEnvironmentVariable(RuntimeOptions.ScalarSweepVariable, "soon");
            Assert.That(() => RuntimeOptions.FromEnvironment(),
                Throws.TypeOf<RuntimeInitializationException>().With.Message.Contains("TORCHBINDING_SCALAR_SWEEP_MS='soon'"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.ScalarSweepVariable, saved);
        }
    }
}
