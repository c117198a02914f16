using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchBinding.Statistics;
using TorchBinding.Training;
using TorchSharp;

namespace TorchBinding.Experiments;

/// <summary>
/// One run of an example or CLI command: parses the common options, seeds everything, resolves the
/// device, owns the output folder, collects metrics, and at the end writes <c>metrics.json</c> (a flat
/// object of numbers in snake_case, always with <c>seconds</c>) and prints the summary as the last line.
/// Every run is profiled (<see cref="Profiler"/>: the trainer's, samplers' and plots' sections, and the example's own
/// <see cref="Profiler.Measure"/> sections); the profile goes to <c>profile.json</c> and <c>profile.txt</c> and, with <c>--profile</c>, to the console.
/// </summary>
public sealed partial class ExperimentRun
{
    readonly SortedDictionary<string, double> _metrics = new(StringComparer.Ordinal);
    readonly Profiler _profiler;

    ExperimentRun(ExperimentOptions options, torch.Device device)
    {
        Options = options;
        Device = device;
        _profiler = Profiler.Start(synchronizeCuda: device.type == DeviceType.CUDA);
        Directory.CreateDirectory(options.OutputDirectory);
        // A run that ended at once mid-write (killed, or a second Ctrl+C) may have left a temporary file here.
        AtomicFile.RemoveStaleTemporaries(options.OutputDirectory);
    }

    /// <summary>The parsed options.</summary>
    public ExperimentOptions Options { get; }

    /// <summary>The device the run computes on.</summary>
    public torch.Device Device { get; }

    /// <summary>The seed everything was seeded with.</summary>
    public int Seed => Options.Seed;

    /// <summary>Whether this is the fast (CI) mode (the options' fast defaults are already in <see cref="Options"/>).</summary>
    public bool Fast => Options.Fast;

    /// <summary>
    /// The trainer options of this run: the training shuffle seeded with <see cref="Seed"/>, everything else the
    /// trainer's defaults. Set the rest with <c>with</c>:
    /// <c>new Trainer(model, loss, Optim.Adam(1e-3), run.TrainerOptions with { Epochs = 5, BatchSize = 100 })</c>. A loop
    /// over seeds names its own (<c>new TrainerOptions { Seed = seed, ... }</c>). The model's device stays the example's
    /// to choose (<c>.to(run.Device)</c>), before anything holds its parameters.
    /// </summary>
    public TrainerOptions TrainerOptions => new() { Seed = Seed };

    /// <summary>The output folder.</summary>
    public string OutputDirectory => Options.OutputDirectory;

    /// <summary>The metrics recorded so far.</summary>
    public IReadOnlyDictionary<string, double> Metrics => _metrics;

    /// <summary>
    /// Starts a run from a command line; returns null after printing the usage for <c>--help</c>.
    /// Bad options print the problem and the usage and exit with code 2.
    /// </summary>
    public static ExperimentRun? Start(string[] args, string name, string description, params ExtraOption[] extras)
    {
        ExperimentOptions options;
        try
        {
            options = ExperimentOptions.Parse(args, name, extras);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Environment.Exit(2);
            return null;
        }
        if (options.HelpRequested)
        {
            Console.WriteLine(description);
            Console.WriteLine(ExperimentOptions.Usage(name, extras));
            return null;
        }
        return Start(options, description);
    }

    /// <summary>Starts a run from parsed options: seeds, resolves the device, creates the output folder.</summary>
    public static ExperimentRun Start(ExperimentOptions options, string description)
    {
        TorchRuntime.EnsureInitialized();
        var device = Devices.Resolve(options.Device);
        Seeding.SeedEverything(options.Seed);
        var run = new ExperimentRun(options, device);
        Console.WriteLine($"{options.Name}: {description}");
        Console.WriteLine($"  device {device}, seed {options.Seed}{(options.Fast ? ", fast mode" : "")}, output {Path.GetFullPath(options.OutputDirectory)}");
        return run;
    }

    /// <summary>
    /// A part of the run, named in its profile (the trainer's and samplers' sections nest inside it):
    /// <c>using (run.Section("DCGAN")) { ... }</c>.
    /// </summary>
    public ProfilerSection Section(string name) => Profiler.Measure(name);

    /// <summary>
    /// Whether the run's no-gradient work computes in bfloat16 (<c>--inference-precision</c>; auto: where
    /// <see cref="Bf16Support.IsNative"/> and libtorch has <see cref="Autocast"/>). Recorded as the metric
    /// <c>inference_bf16</c> when an example uses it.
    /// </summary>
    public bool InferenceInBf16 => InBf16(Options.InferencePrecision);

    /// <summary>
    /// The precision of the trainings an example has checked to keep their numbers in bfloat16 (<c>--training-precision</c>;
    /// auto: <see cref="Precision.Bf16Autocast"/> where <see cref="Bf16Support.IsNative"/> and libtorch has
    /// <see cref="Autocast"/>, else <see cref="Precision.Default"/>). Recorded as the metric <c>training_bf16</c>:
    /// <c>run.TrainerOptions with { Precision = run.TrainingPrecision }</c>.
    /// </summary>
    public Precision TrainingPrecision
    {
        get
        {
            var bf16 = InBf16(Options.TrainingPrecision);
            Metric("training_bf16", bf16 ? 1 : 0);
            return bf16 ? Precision.Bf16Autocast : Precision.Default;
        }
    }

    bool InBf16(string precision) => precision switch
    {
        "bf16" => true,
        "float32" => false,
        _ => Bf16Support.IsNative(Device) && Autocast.IsAvailable,
    };

    /// <summary>
    /// A scope for sampling, generation and searches without gradients, in the run's inference precision: libtorch's
    /// autocast to bfloat16 on the run's device (convolutions and matrix products in bf16, the weights untouched) or
    /// nothing. <c>using (run.Inference()) samples = ddpm.Sample(unet, 1000);</c>
    /// </summary>
    public IDisposable Inference()
    {
        var bf16 = InferenceInBf16;
        Metric("inference_bf16", bf16 ? 1 : 0);
        return bf16 ? Autocast.Enable(Device.type) : new NoScope();
    }

    sealed class NoScope : IDisposable
    {
        public void Dispose() { }
    }

    /// <summary>
    /// The training set with a validation part held out of it: a twelfth (5,001 of MNIST's 60,000: each class rounded), stratified, always
    /// the same images (split seed <see cref="TorchBinding.Data.DatasetCatalog.SplitSeed"/>) whatever the run's seed.
    /// The per-epoch curves and any choice of recipe read the validation part; the test set is read once, at the end.
    /// </summary>
    public static (InMemoryDataset Train, InMemoryDataset Validation) HoldOutValidation(InMemoryDataset train) =>
        DatasetSplits.TrainValidation(train, 1.0 / 12, DatasetCatalog.SplitSeed);

    /// <summary>The path of a file in the output folder.</summary>
    public string PathFor(string fileName) => Path.Combine(OutputDirectory, fileName);

    /// <summary>Records a metric (snake_case name, e.g. <c>test_accuracy</c>).</summary>
    public void Metric(string name, double value)
    {
        if (!SnakeCase().IsMatch(name))
            throw new ArgumentException($"Metric name '{name}' is not snake_case (lower-case letters, digits, underscores).", nameof(name));
        _metrics[name] = value;
    }

    /// <summary>
    /// Records a result and prints it on its own line, so what the console says and what metrics.json holds
    /// never disagree: <c>run.Report("test_accuracy", 0.9812, "test accuracy", "P2")</c> prints
    /// <c>  test accuracy: 98.12 %</c>.
    /// </summary>
    /// <param name="metric">The snake_case metrics.json key.</param>
    /// <param name="value">The value.</param>
    /// <param name="label">What the console calls it (default: the key with spaces).</param>
    /// <param name="format">A .NET numeric format (e.g. <c>P2</c>, <c>F4</c>, <c>N0</c>; default: up to 4 decimals).</param>
    /// <returns><paramref name="value"/>, for use in an expression.</returns>
    public double Report(string metric, double value, string? label = null, string format = "0.####")
    {
        Metric(metric, value);
        Console.WriteLine($"  {label ?? metric.Replace('_', ' ')}: {value.ToString(format, System.Globalization.CultureInfo.InvariantCulture)}");
        return value;
    }

    /// <summary>
    /// Records one result per seed and their summary: <c>{metric}_seed_{n}</c> for each seed, <c>{metric}_mean</c> and
    /// <c>{metric}_std</c> (the sample standard deviation, 0 for one seed), and prints the mean with its spread and the
    /// values. A stochastic headline is a mean over seeds, and this keeps every example's keys alike.
    /// </summary>
    /// <param name="metric">The snake_case stem of the keys.</param>
    /// <param name="bySeed">Each seed's value, in the order run.</param>
    /// <param name="label">What the console calls it.</param>
    /// <param name="format">A .NET numeric format for the printed values.</param>
    /// <returns>The summary (mean, standard deviation, median, range).</returns>
    public SampleSummary ReportOverSeeds(string metric, IReadOnlyList<(int Seed, double Value)> bySeed, string label, string format = "0.####")
    {
        if (bySeed.Count == 0)
            throw new ArgumentException($"'{metric}' over seeds needs at least one seed's value.", nameof(bySeed));
        foreach (var (seed, value) in bySeed)
            Metric($"{metric}_seed_{seed}", value);
        var summary = Descriptive.Summarize(bySeed.Select(s => s.Value).ToArray());
        Metric($"{metric}_mean", summary.Mean);
        Metric($"{metric}_std", summary.StandardDeviation);
        string F(double v) => v.ToString(format, System.Globalization.CultureInfo.InvariantCulture);
        Console.WriteLine($"  {label}: {F(summary.Mean)} ± {F(summary.StandardDeviation)} over seeds {string.Join(", ", bySeed.Select(s => s.Seed))} ({string.Join(", ", bySeed.Select(s => F(s.Value)))})");
        return summary;
    }

    /// <summary>Seconds since the process started (start-up, data loading and training included).</summary>
    public static double ElapsedSeconds
    {
        get
        {
            using var process = Process.GetCurrentProcess();
            return (DateTime.Now - process.StartTime).TotalSeconds;
        }
    }

    /// <summary>Writes metrics.json (with <c>seconds</c>, the whole process's wall time) atomically and prints <paramref name="summary"/> as the last line.</summary>
    public void Finish(string summary)
    {
        Metric("seconds", Math.Round(ElapsedSeconds, 3));
        _profiler.Dispose();
        _profiler.WriteJson(PathFor("profile.json"));
        var profile = _profiler.Report();
        AtomicFile.WriteAllText(PathFor("profile.txt"), profile + Environment.NewLine);
        if (Options.Profile)
            Console.WriteLine($"Where the seconds went (profile.json):\n{profile}");
        AtomicFile.Write(PathFor("metrics.json"), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            foreach (var (key, value) in _metrics)
            {
                if (double.IsFinite(value))
                    json.WriteNumber(key, value);
                else
                    json.WriteNull(key); // JSON has no NaN/Infinity; null keeps the key visible
            }
            json.WriteEndObject();
        });
        WriteRunDescription(summary);
        Console.WriteLine(summary);
    }

    /// <summary>
    /// Writes <c>provenance.json</c>: what produced the metrics (the command line, every option's value with its defaults, the
    /// summary line) and where (TorchSharp and libtorch versions, threads, host), so a recorded result says where it
    /// came from (<c>scripts/record.sh</c> copies it into <c>docs/results</c>).
    /// </summary>
    void WriteRunDescription(string summary)
    {
        var runtime = TorchRuntime.Describe();
        AtomicFile.Write(PathFor("provenance.json"), stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            json.WriteStartObject();
            json.WriteString("name", Options.Name);
            json.WriteStartArray("arguments");
            foreach (var argument in Options.Arguments)
                json.WriteStringValue(argument);
            json.WriteEndArray();
            json.WriteNumber("seed", Options.Seed);
            json.WriteBoolean("fast", Options.Fast);
            json.WriteStartObject("options");
            foreach (var (name, value) in Options.Extras.OrderBy(e => e.Key, StringComparer.Ordinal))
                json.WriteString(name, value);
            json.WriteEndObject();
            json.WriteString("summary", summary);
            json.WriteString("device", Device.ToString());
            json.WriteString("torchsharp", runtime.TorchSharpVersion);
            json.WriteString("libtorch", runtime.LibTorchVersion);
            json.WriteString("libtorch_source", runtime.Source);
            json.WriteNumber("intra_op_threads", runtime.IntraOpThreads);
            json.WriteNumber("inter_op_threads", runtime.InterOpThreads);
            json.WriteString("host", runtime.Host);
            json.WriteString("finished_utc", DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteEndObject();
        });
    }

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex SnakeCase();
}
