using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

/// <summary>libtorch's determinism switches, which TorchSharp 0.107 does not bind, set through its global context.</summary>
[NonParallelizable]
public class DeterminismTests
{
    [Test]
    public void Enable_sets_every_switch_and_disposing_restores_the_settings_found()
    {
        var original = Determinism.Current;
        try
        {
            var before = new DeterminismSettings(Algorithms: false, WarnOnly: false, CudnnDeterministic: false, CudnnBenchmark: true);
            Determinism.Apply(before);
            Assert.That(Determinism.Current, Is.EqualTo(before), "read back as set");
            using (Determinism.Enable(warnOnly: true))
                Assert.That(Determinism.Current, Is.EqualTo(new DeterminismSettings(true, true, true, false)));
            Assert.That(Determinism.Current, Is.EqualTo(before), "restored on dispose");
        }
        finally
        {
            Determinism.Apply(original);
        }
    }

    [Test]
    public void Libtorch_operations_see_the_switch()
    {
        Assert.That(Determinism.Current.Algorithms, Is.False, "libtorch's default");
        using (Determinism.Enable())
        {
            // Deterministic mode fills uninitialised memory (NaN for floats), so that reading it is reproducible too.
            using var uninitialised = empty(64);
            Assert.That(uninitialised.isnan().all().item<bool>(), Is.True);
        }
        Assert.That(Determinism.Current, Is.EqualTo(new DeterminismSettings(false, false, false, false)), "libtorch's defaults back");
    }
}
