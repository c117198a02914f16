using TorchBinding.Runtime;
using TorchBinding.Runtime.Kernels;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

/// <summary>
/// The start-up's convolution gradient self-check. This machine's kernels are right, so the fault is injected: in-process
/// into the check's float32 gradients, and in child processes through TORCHBINDING_KERNEL_CHECK_FAULT, which makes the
/// whole start-up see the fault on the routes it lists (default-kernels: libtorch as it is; avx, sse41, onednn-off; always).
/// </summary>
public class KernelSelfCheckTests
{
    static string Probe => TestSupport.ProjectOutput("tests/TorchBinding.TestChild", "TorchBinding.TestChild");

    [Test]
    public void The_runtime_checked_its_convolution_gradients_and_they_are_right()
    {
        TorchRuntime.EnsureInitialized();
        var report = TorchRuntime.KernelCheck!;
        Assert.Multiple(() =>
        {
            Assert.That(report.Passed, Is.True, report.ToString());
            var passes = 3 + (get_num_threads() > 1 ? 1 : 0);
            Assert.That(report.LastCheck!.Evaluations, Is.EqualTo(ConvolutionGradientCheck.Cases.Count * 2 * passes), "14 convolutions (6 of them channels-last) x 2 gradients x (3 repeats, and 1 single-threaded where more threads run)");
            Assert.That(TorchRuntime.Describe().ToString(), Does.Contain("conv gradients   right"));
        });
        // Checked again now, as the process runs (with whatever workaround the start-up applied).
        var again = ConvolutionGradientCheck.Run();
        Assert.That(again.Passed, Is.True, again.Worst.ToString());
        Assert.That(again.Worst.RelativeError, Is.LessThan(1e-5), "float32 rounding alone");
    }

    [Test]
    public void The_checks_differentiate_also_inside_a_no_grad_block()
    {
        TorchRuntime.EnsureInitialized();
        using (no_grad())
        {
            var convolutions = ConvolutionGradientCheck.Run(repeats: 1);
            Assert.That(convolutions.Passed, Is.True, convolutions.Worst.ToString());
            var ops = OpGradientSuite.Run(OpGradientSuite.Cases.Take(5));
            Assert.That(ops.Failures, Is.Empty, ops.ToString());
            Assert.That(is_grad_enabled(), Is.False, "the caller's no_grad is restored");
        }
    }

    [Test]
    public void An_injected_gradient_a_third_off_fails_the_check_with_op_shape_and_error()
    {
        TorchRuntime.EnsureInitialized();
        var result = ConvolutionGradientCheck.Run(repeats: 1, fault: (c, g) => c.Op == "conv1d" ? g * 1.3 : g);
        Assert.Multiple(() =>
        {
            Assert.That(result.Passed, Is.False);
            Assert.That(result.Worst.Case.Op, Is.EqualTo("conv1d"));
            Assert.That(result.Worst.RelativeError, Is.EqualTo(0.3).Within(1e-4));
            Assert.That(result.Worst.ToString(), Does.StartWith("conv1d [4,3,20] -> 5 channels, kernel 5").And.Contain("off by 0.3"));
        });
    }

    [Test]
    public void A_fault_only_in_the_channels_last_kernels_fails_the_check_and_says_so()
    {
        TorchRuntime.EnsureInitialized();
        Assert.That(ConvolutionGradientCheck.Cases.Count(c => c.ChannelsLast), Is.EqualTo(6));
        var result = ConvolutionGradientCheck.Run(repeats: 1, fault: (c, g) => c.ChannelsLast && c.Op == "conv2d" && c.Kernel == 1 ? g * 0.5 : g);
        Assert.Multiple(() =>
        {
            Assert.That(result.Passed, Is.False);
            Assert.That(result.Worst.Case.ChannelsLast, Is.True);
            Assert.That(result.Worst.ToString(), Does.StartWith("conv2d [2,4,6,6] -> 8 channels, kernel 1, stride 2, padding 0, channels-last").And.Contain("off by 0.5"));
        });
    }

    [Test]
    public void A_NaN_gradient_counts_as_an_infinite_error()
    {
        TorchRuntime.EnsureInitialized();
        var result = ConvolutionGradientCheck.Run(repeats: 1, fault: (c, g) => c.Op == "conv_transpose2d" ? g.index_put_(tensor(double.NaN, g.dtype), tensor(0L)) : g);
        Assert.That(result.Passed, Is.False);
        Assert.That(result.Worst.RelativeError, Is.EqualTo(double.PositiveInfinity));
        Assert.That(result.Worst.ToString(), Does.Contain("conv_transpose2d").And.Contain("NaN/inf"));
    }

    [Test]
    public void With_oneDNN_convolutions_off_gradients_stay_right_and_the_switch_reads_back()
    {
        TorchRuntime.EnsureInitialized();
        var before = OneDnn.ConvolutionsEnabled;
        try
        {
            OneDnn.ConvolutionsEnabled = false;
            Assert.That(OneDnn.ConvolutionsEnabled, Is.False);
            var result = ConvolutionGradientCheck.Run(repeats: 1);
            Assert.That(result.Passed, Is.True, result.Worst.ToString());
        }
        finally
        {
            OneDnn.ConvolutionsEnabled = before;
        }
        Assert.That(OneDnn.ConvolutionsEnabled, Is.EqualTo(before));
    }

    [Test]
    public void A_fault_is_kept_for_good_and_a_failed_workaround_is_never_marked_passed_again()
    {
        TorchRuntime.EnsureInitialized();
        using var folder = TestSupport.TemporaryFolder();
        var cache = KernelVerdictCache.For(folder.Path, "/opt/libtorch/lib/libtorch_cpu.so");
        var fault = new ConvolutionGradientError(ConvolutionGradientCheck.Cases[0], "input", 0.42, 2);
        Assert.That(cache.Fault, Is.Null);
        cache.RecordFault(fault, "test CPU");
        cache.RecordFault(fault with { RelativeError = 0.1 }, "test CPU");
        cache.RecordOutcome(KernelWorkaround.IsaSse41, passed: false);
        cache.RecordOutcome(KernelWorkaround.IsaSse41, passed: true);
        cache.RecordOutcome(KernelWorkaround.OneDnnOff, passed: true);
        var reread = KernelVerdictCache.For(folder.Path, "/opt/libtorch/lib/libtorch_cpu.so");
        Assert.Multiple(() =>
        {
            Assert.That(reread.Fault, Does.Contain("off by 0.42"), "the first fault stays");
            Assert.That(reread.Outcome(KernelWorkaround.IsaSse41), Is.False);
            Assert.That(reread.Outcome(KernelWorkaround.OneDnnOff), Is.True);
            Assert.That(KernelVerdictCache.For(folder.Path, "/other/libtorch_cpu.so").Fault, Is.Null, "another libtorch build has its own verdict");
        });
    }

    [Test]
    public void Settings_with_unknown_values_are_refused_with_the_accepted_ones()
    {
        foreach (var (variable, accepted) in new[] { ("TORCHBINDING_KERNEL_CHECK", "on, warn, off"), ("TORCHBINDING_KERNEL_WORKAROUND", "auto, none, avx, sse41, onednn-off") })
        {
            Environment.SetEnvironmentVariable(variable, "sometimes");
            try
            {
                Assert.That(RuntimeOptions.FromEnvironment, Throws.TypeOf<RuntimeInitializationException>().With.Message.Contain(variable).And.Message.Contain(accepted));
            }
            finally
            {
                Environment.SetEnvironmentVariable(variable, null);
            }
        }
        Environment.SetEnvironmentVariable("TORCHBINDING_KERNEL_WORKAROUND", "onednn-off");
        try
        {
            Assert.That(RuntimeOptions.FromEnvironment().KernelWorkaround, Is.EqualTo(KernelWorkaround.OneDnnOff));
        }
        finally
        {
            Environment.SetEnvironmentVariable("TORCHBINDING_KERNEL_WORKAROUND", null);
        }
    }

    static TestSupport.ProcessResult Start(string cache, params (string Key, string Value)[] settings)
    {
        var environment = new Dictionary<string, string?> { ["TORCHBINDING_CACHE"] = cache };
        foreach (var (key, value) in settings)
            environment[key] = value;
        return TestSupport.RunDotnet(Probe, [], environment);
    }

    [Test]
    public void A_fault_in_the_default_kernels_is_worked_around_rechecked_reported_and_remembered()
    {
        using var cache = TestSupport.TemporaryFolder();
        var first = Start(cache.Path, ("TORCHBINDING_KERNEL_CHECK_FAULT", "default-kernels"));
        Assert.Multiple(() =>
        {
            Assert.That(first.ExitCode, Is.Zero, first.ToString());
            Assert.That(first.Error, Does.Contain("libtorch computes wrong float32 convolution gradients on this CPU").And.Contain("off by 0.3"));
            Assert.That(first.Output, Does.Contain("conv gradients   right with workaround: oneDNN convolutions off"), "the route a running process can take");
            Assert.That(first.Output, Does.Contain("e=6 de/da=2 de/db=5"));
        });
        // The next start takes the cheapest route, which must be in place before libtorch starts, and checks it again.
        var second = Start(cache.Path, ("TORCHBINDING_KERNEL_CHECK_FAULT", "default-kernels"));
        Assert.Multiple(() =>
        {
            Assert.That(second.ExitCode, Is.Zero, second.ToString());
            Assert.That(second.Output, Does.Contain("conv gradients   right with workaround: oneDNN capped at AVX (ONEDNN_MAX_CPU_ISA=AVX)"));
            Assert.That(second.Output, Does.Contain("fault on this CPU: conv2d [3,4,8,8]"));
            Assert.That(second.Output, Does.Contain("oneDNN ISA       avx (capped by ONEDNN_MAX_CPU_ISA=AVX"));
            Assert.That(second.Error, Does.Not.Contain("warning"), "a known fault, worked around, is not news");
        });
    }

    [Test]
    public void A_route_that_fails_its_recheck_is_dropped_for_good_and_the_next_one_is_taken()
    {
        using var cache = TestSupport.TemporaryFolder();
        // libtorch as it is and the AVX cap are "wrong" here; the SSE4.1 cap and oneDNN off are right.
        (string, string) fault = ("TORCHBINDING_KERNEL_CHECK_FAULT", "default-kernels,avx");
        var first = Start(cache.Path, fault);
        var second = Start(cache.Path, fault);
        var third = Start(cache.Path, fault);
        Assert.Multiple(() =>
        {
            Assert.That(first.Output, Does.Contain("right with workaround: oneDNN convolutions off"), first.ToString());
            Assert.That(second.ExitCode, Is.Zero, second.ToString());
            Assert.That(second.Output, Does.Contain("oneDNN ISA       avx (capped").And.Contain("right with workaround: oneDNN convolutions off"),
                "the AVX cap failed its re-check, so the process fell back to the route it can still take");
            Assert.That(third.Output, Does.Contain("right with workaround: oneDNN capped at SSE4.1"), third.ToString());
        });
        var verdict = File.ReadAllText(Directory.GetFiles(Path.Combine(cache.Path, "kernels")).Single());
        Assert.That(verdict, Does.Contain("\"avx\": \"failed\"").And.Contain("\"sse41\": \"passed\"").And.Contain("\"onednn-off\": \"passed\""));
    }

    [Test]
    public void A_fault_no_workaround_fixes_stops_the_start_up_naming_op_shape_error_and_the_settings()
    {
        using var cache = TestSupport.TemporaryFolder();
        var result = Start(cache.Path, ("TORCHBINDING_KERNEL_CHECK_FAULT", "always"));
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.EqualTo(3), result.ToString());
            Assert.That(result.Error, Does.Contain("KernelFaultException: libtorch computes wrong float32 convolution gradients on this machine"));
            Assert.That(result.Error, Does.Contain("conv2d [3,4,8,8] -> 8 channels, kernel 3, stride 1, padding 1: input gradient off by 0.3"));
            Assert.That(result.Error, Does.Contain("with oneDNN convolutions off"));
            Assert.That(result.Error, Does.Contain("TORCHBINDING_KERNEL_CHECK=warn").And.Contain("TORCHBINDING_KERNEL_WORKAROUND=avx, sse41 or onednn-off"));
        });
        var warned = Start(cache.Path, ("TORCHBINDING_KERNEL_CHECK_FAULT", "always"), ("TORCHBINDING_KERNEL_CHECK", "warn"));
        Assert.Multiple(() =>
        {
            Assert.That(warned.ExitCode, Is.Zero, warned.ToString());
            Assert.That(warned.Error, Does.Contain("Going on anyway (TORCHBINDING_KERNEL_CHECK=warn)"));
            Assert.That(warned.Output, Does.Contain("conv gradients   WRONG: conv2d [3,4,8,8]"));
        });
    }

    [Test]
    public void A_forced_workaround_is_applied_and_checked_and_off_skips_the_check()
    {
        using var cache = TestSupport.TemporaryFolder();
        var forced = Start(cache.Path, ("TORCHBINDING_KERNEL_WORKAROUND", "onednn-off"));
        Assert.That(forced.ExitCode, Is.Zero, forced.ToString());
        Assert.That(forced.Output, Does.Contain("conv gradients   right with workaround: oneDNN convolutions off (libtorch's own kernels) (forced by setting)"));
        var off = Start(cache.Path, ("TORCHBINDING_KERNEL_CHECK", "off"), ("TORCHBINDING_KERNEL_CHECK_FAULT", "always"));
        Assert.That(off.ExitCode, Is.Zero, off.ToString());
        Assert.That(off.Output, Does.Contain("conv gradients   not checked (TORCHBINDING_KERNEL_CHECK=off)"));
    }
}
