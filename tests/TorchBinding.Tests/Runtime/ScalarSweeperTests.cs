using System.Runtime.CompilerServices;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

public class ScalarSweeperTests
{
    static void RequireDefaultInterval()
    {
        TorchRuntime.EnsureInitialized();
        if (Environment.GetEnvironmentVariable(RuntimeOptions.ScalarSweepVariable) is not null)
            Assert.Ignore($"{RuntimeOptions.ScalarSweepVariable} steers the sweeper in this environment.");
        Assert.That(ScalarSweeper.Interval, Is.EqualTo(TimeSpan.FromSeconds(1)));
    }

    [Test]
    public void A_scalar_nobody_disposed_is_freed_at_the_first_step_end_after_the_interval()
    {
        RequireDefaultInterval();
        var dropped = DropScalar();
        ScalarSweeper.AtStepEnd(); // resets the clock (or sweeps already)
        Thread.Sleep(1100);
        var sweeps = ScalarSweeper.Sweeps;
        ScalarSweeper.AtStepEnd();
        Assert.That(ScalarSweeper.Sweeps, Is.EqualTo(sweeps + 1));
        Assert.That(dropped.IsAlive, Is.False, "the dropped Scalar is still alive after a sweep");
        // Within the interval a step end costs a clock read and collects nothing.
        ScalarSweeper.AtStepEnd();
        Assert.That(ScalarSweeper.Sweeps, Is.EqualTo(sweeps + 1));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    static WeakReference DropScalar()
    {
        // What `tensor * 2.5` does inside TorchSharp: a native scalar that only its finalizer frees.
        Scalar scalar = 2.5;
        return new WeakReference(scalar);
    }

    [Test]
    public void The_trainer_sweeps_between_its_steps()
    {
        RequireDefaultInterval();
        using var data = new TorchBinding.Data.InMemoryDataset(randn(4096, 8), zeros(4096, dtype: int64), "noise");
        var model = nn.Sequential(nn.Linear(8, 256), nn.ReLU(), nn.Linear(256, 2));
        var sweeps = ScalarSweeper.Sweeps;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        new Trainer(model, (o, y) => nn.functional.cross_entropy(o * 1.0, y), Optim.Adam(1e-3),
            new TrainerOptions { Epochs = 100_000, BatchSize = 64, Progress = false, Callbacks = [new StopAfter(TimeSpan.FromMilliseconds(2500), clock)] }).Fit(data);
        Assert.That(ScalarSweeper.Sweeps - sweeps, Is.GreaterThanOrEqualTo(2), $"sweeps in {clock.ElapsedMilliseconds} ms of training");
    }

    sealed class StopAfter(TimeSpan time, System.Diagnostics.Stopwatch clock) : TrainingCallback
    {
        public override void OnBatchEnd(TrainingContext context)
        {
            if (clock.Elapsed > time)
                context.RequestStop("time is up");
        }
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
