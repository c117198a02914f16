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
}
