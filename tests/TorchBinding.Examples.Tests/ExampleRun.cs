using System.Text.Json;

namespace TorchBinding.Examples.Tests;

/// <summary>One run of a lecture example as a child process (as a user runs it), with what it left behind.</summary>
sealed class ExampleRun : IDisposable
{
    readonly TemporaryFolder _folder = TestSupport.TemporaryFolder();

    ExampleRun(string name, IReadOnlyList<string> arguments)
    {
        Result = TestSupport.RunDotnet(TestSupport.ProjectOutput($"examples/{name}", name), ["--out", _folder.Path, "--device", "cpu", .. arguments], timeout: TimeSpan.FromMinutes(5));
        var metrics = Path.Combine(_folder.Path, "metrics.json");
        if (File.Exists(metrics))
        {
            using var json = JsonDocument.Parse(File.ReadAllText(metrics));
            Metrics = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : double.NaN);
        }
    }

    /// <summary>Runs <c>examples/NAME</c> with <c>--fast</c> (and the given arguments) into a temporary folder.</summary>
    public static ExampleRun Fast(string name, params string[] arguments) => new(name, ["--fast", .. arguments]);

    public TestSupport.ProcessResult Result { get; }

    public IReadOnlyDictionary<string, double> Metrics { get; } = new Dictionary<string, double>();

    public string LastLine => Result.Output.TrimEnd().Split('\n')[^1];

    public double this[string metric] => Metrics.TryGetValue(metric, out var value) ? value : throw new KeyNotFoundException($"metrics.json has no '{metric}'; it has {string.Join(", ", Metrics.Keys)}.\n{Result}");

    /// <summary>Asserts the run succeeded, wrote metrics.json with <c>seconds</c>, and wrote each PNG (a decodable PNG header).</summary>
    public void AssertCompleted(params string[] figures)
    {
        Assert.That(Result.ExitCode, Is.Zero, Result.ToString());
        Assert.That(Metrics, Does.ContainKey("seconds"), "metrics.json with seconds");
        foreach (var figure in figures)
        {
            var path = Path.Combine(_folder.Path, figure);
            Assert.That(File.Exists(path), Is.True, $"{figure} was written");
            Assert.That(File.ReadAllBytes(path).Take(8), Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }), $"{figure} is a PNG");
        }
    }

    public void Dispose() => _folder.Dispose();
}
