using System.Text.Json;

namespace TorchBinding.Examples.Tests;

public class QuickStartTests
{
    [Test]
    public void QuickStart_reaches_95_percent_on_held_out_digits_and_writes_metrics_and_figures()
    {
        using var folder = TestSupport.TemporaryFolder();
        var result = TestSupport.RunDotnet(TestSupport.ProjectOutput("examples/QuickStart", "QuickStart"), ["--out", folder.Path, "--device", "cpu"]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "metrics.json")));
        var accuracy = json.RootElement.GetProperty("test_accuracy").GetDouble();
        Assert.Multiple(() =>
        {
            Assert.That(accuracy, Is.GreaterThanOrEqualTo(0.95), "held-out test accuracy (the issue's bound)");
            Assert.That(json.RootElement.GetProperty("test_samples").GetDouble(), Is.EqualTo(360).Within(1));
            Assert.That(result.Output.TrimEnd().Split('\n')[^1], Does.StartWith("QuickStart: test accuracy"));
            Assert.That(result.Output, Does.Contain("epoch  30/30"));
            foreach (var figure in new[] { "loss.png", "confusion_matrix.png" })
                Assert.That(File.ReadAllBytes(Path.Combine(folder.Path, figure)).Take(4), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }), figure);
        });
    }
}
