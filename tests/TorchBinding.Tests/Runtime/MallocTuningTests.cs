using TorchBinding.Runtime;

namespace TorchBinding.Tests.Runtime;

public class MallocTuningTests
{
    [Test]
    public void The_runtime_keeps_freed_memory_on_glibc_unless_told_not_to()
    {
        TorchRuntime.EnsureInitialized();
        var steered = new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "TORCHBINDING_MALLOC_TUNING" }
            .Any(v => Environment.GetEnvironmentVariable(v) is not null);
        if (!OperatingSystem.IsLinux() || steered)
            Assert.Ignore("Only on Linux with the allocator not steered by the environment.");
        Assert.That(MallocTuning.Applied, Is.True);
    }

    [Test]
    public void Switching_it_off_leaves_malloc_as_it_is()
    {
        Assert.That(MallocTuning.Apply(new RuntimeOptions { MallocTuning = false }), Does.Contain("TORCHBINDING_MALLOC_TUNING=0"));
        var saved = Environment.GetEnvironmentVariable(RuntimeOptions.MallocTuningVariable);
        try
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.MallocTuningVariable, "0");
            Assert.That(RuntimeOptions.FromEnvironment().MallocTuning, Is.False);
            Environment.SetEnvironmentVariable(RuntimeOptions.MallocTuningVariable, null);
            Assert.That(RuntimeOptions.FromEnvironment().MallocTuning, Is.True);
        }
        finally
        {
            Environment.SetEnvironmentVariable(RuntimeOptions.MallocTuningVariable, saved);
        }
    }

    [Test]
    public void Training_steps_fault_in_few_pages_once_warm()
    {
        TorchRuntime.EnsureInitialized();
        if (!OperatingSystem.IsLinux() || !MallocTuning.Applied)
            Assert.Ignore("Only where the runtime tuned glibc's malloc.");
        using var scope = TorchSharp.torch.NewDisposeScope();
        // Activations of a few MB each, freed together at the end of each step, as a dispose scope frees them.
        var x = TorchSharp.torch.rand(64, 16, 28, 28);
        void Step()
        {
            using var step = TorchSharp.torch.NewDisposeScope();
            var y = x;
            for (var i = 0; i < 8; i++)
                y = (y * 1.01).relu() + x;
        }
        for (var i = 0; i < 3; i++)
            Step();
        var before = MinorFaults();
        for (var i = 0; i < 10; i++)
            Step();
        // 8 x 2 tensors of 3.2 MB per step: about 8,000 pages a step if they were faulted in afresh.
        Assert.That((MinorFaults() - before) / 10.0, Is.LessThan(800));
    }

    static long MinorFaults() =>
        long.Parse(File.ReadAllText("/proc/self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[7], System.Globalization.CultureInfo.InvariantCulture);
}
