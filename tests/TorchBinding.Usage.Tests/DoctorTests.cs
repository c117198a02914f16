namespace TorchBinding.Usage.Tests;

/// <summary><c>torchbinding doctor</c>: one table of every start-up check, a verdict each, exit 1 when something is wrong.</summary>
public class DoctorTests
{
    [Test]
    public void Doctor_checks_every_start_up_item_and_passes_on_this_machine()
    {
        using var cli = new Cli();
        var result = cli.Run("doctor");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            foreach (var check in new[] { "libtorch", "GLIBCXX fix", "CPU", "conv gradients", "op gradients", "threads", "CUDA", "cache folder", "data: digits", "data: mnist" })
                Assert.That(result.Output, Does.Contain($"| {check} "), $"row '{check}'\n{result.Output}");
            Assert.That(result.Output, Does.Contain("2.10.0 from libtorch-cpu package"));
            Assert.That(result.Output, Does.Match(@"start-up: right \(36 gradients, \d+ ms\); now: right"), "one thread: 6 convolutions x 2 gradients x 3 repeats");
            Assert.That(result.Output, Does.Match(@"\d+ cases of \d+ ops right"));
            Assert.That(result.Output, Does.Match(@"doctor: all \d+ checks passed"));
        });
    }

    [Test]
    public void Doctor_shows_a_worked_around_fault_and_exits_1_when_nothing_helps()
    {
        using var cache = TestSupport.TemporaryFolder();
        using var cli = new Cli();
        cli.Environment["TORCHBINDING_CACHE"] = cache.Path;
        cli.Environment["TORCHBINDING_KERNEL_CHECK_FAULT"] = "default-kernels";
        var worked = cli.Run("doctor");
        Assert.Multiple(() =>
        {
            Assert.That(worked.ExitCode, Is.Zero, worked.ToString());
            Assert.That(worked.Output, Does.Contain("| conv gradients | note").And.Contain("right with workaround: oneDNN convolutions off"));
            Assert.That(worked.Output, Does.Contain("fault seen on this CPU: conv2d [3,4,8,8]"));
        });

        cli.Environment["TORCHBINDING_KERNEL_CHECK_FAULT"] = "always";
        var failed = cli.Run("doctor");
        Assert.Multiple(() =>
        {
            Assert.That(failed.ExitCode, Is.EqualTo(1), failed.ToString());
            Assert.That(failed.Output, Does.Contain("| conv gradients | WRONG").And.Contain("TORCHBINDING_KERNEL_WORKAROUND=sse41"));
            Assert.That(failed.Output, Does.Contain("doctor: 1 of"));
        });
    }
}
