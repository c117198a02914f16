namespace TorchBinding.Usage.Tests;

/// <summary><c>torchbinding doctor</c>: one table of every start-up check, a verdict each, exit 1 when something is wrong.</summary>
public class DoctorTests
{
    /// <summary>The table's rows by check: verdict and finding, with the lines a wrapped cell spans joined again.</summary>
    static Dictionary<string, (string Verdict, string Finding)> Rows(string output)
    {
        var rows = new Dictionary<string, (string Verdict, string Finding)>();
        string? current = null;
        foreach (var line in output.Split('\n').Where(l => l.StartsWith("| ", StringComparison.Ordinal)))
        {
            var cells = line.Split('|').Skip(1).Select(c => c.Trim()).ToArray();
            if (cells[0] == "check")
                continue; // the header
            if (cells[0].Length > 0)
            {
                current = cells[0];
                rows[current] = (cells[1], cells[2]);
            }
            else if (current is not null)
            {
                var (verdict, finding) = rows[current];
                rows[current] = (verdict, $"{finding} {cells[2]}".Trim());
            }
        }
        return rows;
    }

    [Test]
    public void Doctor_checks_every_start_up_item_and_passes_on_this_machine()
    {
        using var cli = new Cli();
        var result = cli.Run("doctor");
        Assert.Multiple(() =>
        {
            Assert.That(result.ExitCode, Is.Zero, result.ToString());
            var rows = Rows(result.Output);
            Assert.That(rows.Keys, Is.SupersetOf(new[] { "libtorch", "GLIBCXX fix", "CPU", "conv gradients", "op gradients", "threads", "CUDA", "cache folder", "data: digits", "data: mnist" }));
            Assert.That(rows.Values.Select(r => r.Verdict), Is.All.AnyOf("ok", "note"));
            Assert.That(rows["libtorch"].Finding, Does.StartWith("2.10.0 from libtorch-cpu package"));
            Assert.That(rows["conv gradients"].Finding, Does.Match(@"^start-up: right \(84 gradients, \d+ ms\); now: right"), "one thread: 14 convolutions (6 channels-last) x 2 gradients x 3 repeats");
            Assert.That(rows["op gradients"].Finding, Does.Match(@"^\d+ cases of \d+ ops right"));
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
        var convolutions = Rows(worked.Output)["conv gradients"];
        Assert.Multiple(() =>
        {
            Assert.That(worked.ExitCode, Is.Zero, worked.ToString());
            Assert.That(convolutions.Verdict, Is.EqualTo("note"));
            Assert.That(convolutions.Finding, Does.StartWith("start-up: right with workaround: oneDNN convolutions off"));
            Assert.That(convolutions.Finding, Does.Contain("fault seen on this CPU: conv2d [3,4,8,8]"));
        });

        cli.Environment["TORCHBINDING_KERNEL_CHECK_FAULT"] = "always";
        var failed = cli.Run("doctor");
        Assert.Multiple(() =>
        {
            Assert.That(failed.ExitCode, Is.EqualTo(1), failed.ToString());
            Assert.That(Rows(failed.Output)["conv gradients"].Verdict, Is.EqualTo("WRONG"), failed.Output);
            Assert.That(Rows(failed.Output)["conv gradients"].Finding, Does.StartWith("start-up: WRONG: conv2d [3,4,8,8]"));
            Assert.That(failed.Output, Does.Contain("doctor: 1 of"));
        });
    }
}
