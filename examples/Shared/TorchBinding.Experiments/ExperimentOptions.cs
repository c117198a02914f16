using System.Globalization;
using TorchBinding.Runtime;

namespace TorchBinding.Experiments;

/// <summary>
/// An option an example or command accepts beyond the common ones, e.g. <c>--epochs 5</c>, declared with its default in
/// both modes: <c>new ExtraOption("epochs", "training epochs", "30", FastDefault: "15")</c> reads 30, 15 under
/// <c>--fast</c>, and whatever the command line says when it names <c>--epochs</c> (in either mode).
/// </summary>
/// <param name="Name">The option without dashes, e.g. "epochs".</param>
/// <param name="Help">What it sets.</param>
/// <param name="Default">Its default value, as text (null: none).</param>
/// <param name="IsFlag">A switch without a value (<c>--reuse-model</c>): "true" when given, "false" otherwise; read it with <see cref="ExperimentOptions.GetFlag"/>.</param>
/// <param name="FastDefault">Its default under <c>--fast</c>, the CI mode (null: <paramref name="Default"/> in both modes). Not for flags.</param>
public sealed record ExtraOption(string Name, string Help, string? Default = null, bool IsFlag = false, string? FastDefault = null);

/// <summary>
/// The command line every example and CLI run shares: <c>--out DIR</c> (default <c>runs/NAME</c>),
/// <c>--device auto|cpu|cuda|cuda:N</c>, <c>--seed N</c>, <c>--fast</c> (the CI mode), plus its own extras.
/// </summary>
public sealed record ExperimentOptions
{
    /// <summary>The run's name (used for the default output folder).</summary>
    public required string Name { get; init; }

    /// <summary>Where metrics.json and the figures go.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>The device asked for.</summary>
    public DeviceRequest Device { get; init; } = new(DeviceKind.Auto);

    /// <summary>The seed.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>
    /// Fewer epochs or a subset: the CI mode, still checking something meaningful. The extra options that declare an
    /// <see cref="ExtraOption.FastDefault"/> take it, unless the command line names them.
    /// </summary>
    public bool Fast { get; init; }

    /// <summary>Whether <c>--profile</c> was given: print where the seconds went (always written to <c>profile.json</c>).</summary>
    public bool Profile { get; init; }

    /// <summary>
    /// <c>--inference-precision auto|float32|bf16</c>: the precision of the no-gradient work an example marks as such
    /// (sampling, generation, a gradient-free search). auto: bfloat16 where the device computes it natively
    /// (<see cref="Bf16Support"/>), float32 elsewhere. The metrics' judges stay float32; training follows <see cref="TrainingPrecision"/>.
    /// </summary>
    public string InferencePrecision { get; init; } = "auto";

    /// <summary>
    /// <c>--training-precision auto|float32|bf16</c>: the precision of the trainings an example marks as fit for bfloat16
    /// (<see cref="ExperimentRun.TrainingPrecision"/>: under autocast, float32 weights). auto: bfloat16 where the device
    /// computes it natively, float32 elsewhere. Other trainings stay float32.
    /// </summary>
    public string TrainingPrecision { get; init; } = "auto";

    /// <summary>Whether <c>--help</c> was given.</summary>
    public bool HelpRequested { get; init; }

    /// <summary>Values of the extra options, by name (defaults filled in: each option's <see cref="ExtraOption.FastDefault"/> under <c>--fast</c>, if it has one).</summary>
    public IReadOnlyDictionary<string, string> Extras { get; init; } = new Dictionary<string, string>();

    /// <summary>The command line the options were parsed from, as given (recorded in the run's <c>provenance.json</c>).</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Parses a command line; unknown options and malformed values are <see cref="ArgumentException"/>s that show the usage.</summary>
    public static ExperimentOptions Parse(IReadOnlyList<string> args, string name, IReadOnlyList<ExtraOption>? extras = null, int defaultSeed = 42)
    {
        extras ??= [];
        if (extras.FirstOrDefault(e => e.IsFlag && e.FastDefault is not null) is { } flag)
            throw new ArgumentException($"--{flag.Name} is a flag: it has no value, so no fast default either.", nameof(extras));
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var options = new ExperimentOptions { Name = name, OutputDirectory = Path.Combine("runs", name), Seed = defaultSeed };
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{arg} needs a value.\n{Usage(name, extras)}");
            switch (arg)
            {
                case "--out": options = options with { OutputDirectory = Value() }; break;
                case "--device":
                    try { options = options with { Device = Devices.Parse(Value()) }; }
                    catch (ArgumentException e) { throw new ArgumentException($"{e.Message}\n{Usage(name, extras)}", e); }
                    break;
                case "--seed":
                    var seed = Value();
                    options = options with { Seed = int.TryParse(seed, NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) ? s : throw new ArgumentException($"--seed '{seed}' is not a whole number.\n{Usage(name, extras)}") };
                    break;
                case "--fast": options = options with { Fast = true }; break;
                case "--profile": options = options with { Profile = true }; break;
                case "--inference-precision":
                    var precision = Value();
                    options = options with { InferencePrecision = precision is "auto" or "float32" or "bf16" ? precision : throw new ArgumentException($"--inference-precision '{precision}' is not one of auto, float32, bf16.\n{Usage(name, extras)}") };
                    break;
                case "--training-precision":
                    var training = Value();
                    options = options with { TrainingPrecision = training is "auto" or "float32" or "bf16" ? training : throw new ArgumentException($"--training-precision '{training}' is not one of auto, float32, bf16.\n{Usage(name, extras)}") };
                    break;
                case "--help" or "-h": options = options with { HelpRequested = true }; break;
                default:
                    var extra = arg.StartsWith("--", StringComparison.Ordinal) ? extras.FirstOrDefault(e => e.Name == arg[2..]) : null;
                    if (extra is null)
                        throw new ArgumentException($"Unknown option '{arg}'.\n{Usage(name, extras)}");
                    values[extra.Name] = extra.IsFlag ? "true" : Value();
                    break;
            }
        }
        // What the command line did not name takes its default: the fast one under --fast (wherever --fast stood).
        foreach (var extra in extras)
        {
            var fallback = extra.IsFlag ? "false" : options.Fast ? extra.FastDefault ?? extra.Default : extra.Default;
            if (fallback is not null)
                values.TryAdd(extra.Name, fallback);
        }
        return options with { Extras = values, Arguments = [.. args] };
    }

    /// <summary>An extra option as a whole number.</summary>
    public int GetInt(string name) => int.TryParse(GetString(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--{name} '{GetString(name)}' is not a whole number.");

    /// <summary>An extra option as a number.</summary>
    public double GetDouble(string name) => double.TryParse(GetString(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--{name} '{GetString(name)}' is not a number.");

    /// <summary>
    /// An extra option as a comma-separated list of seeds (e.g. <c>--seeds 42,1,2</c>); <paramref name="fallback"/>
    /// alone where the option was not given and has no default.
    /// </summary>
    public int[] GetSeeds(string name, int fallback)
    {
        if (!Extras.TryGetValue(name, out var text))
            return [fallback];
        var seeds = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new ArgumentException($"--{name} '{text}': '{s}' is not a whole number."))
            .ToArray();
        return seeds.Length == 0 ? throw new ArgumentException($"--{name} '{text}' names no seed.")
            : seeds.Distinct().Count() < seeds.Length ? throw new ArgumentException($"--{name} '{text}' names a seed twice.") : seeds;
    }

    /// <summary>An extra flag: whether it was given.</summary>
    public bool GetFlag(string name) => GetString(name) == "true";

    /// <summary>An extra option's text.</summary>
    public string GetString(string name) => Extras.TryGetValue(name, out var v) ? v : throw new ArgumentException($"--{name} was not given and has no default.");

    /// <summary>The usage text.</summary>
    public static string Usage(string name, IReadOnlyList<ExtraOption>? extras = null)
    {
        var lines = new List<string>
        {
            $"usage: {name} [--out DIR] [--device auto|cpu|cuda|cuda:N] [--seed N] [--fast] [--profile] [--inference-precision P] [--training-precision P]" + string.Concat((extras ?? []).Select(e => e.IsFlag ? $" [--{e.Name}]" : $" [--{e.Name} VALUE]")),
            $"  --out DIR      where metrics.json and figures go (default runs/{name})",
            "  --device D     auto (CUDA if available), cpu, cuda, cuda:N (default auto)",
            "  --seed N       seed for everything random (default 42)",
            "  --fast         CI mode: fewer epochs or a subset",
            "  --profile      print where the seconds went (forward, backward, optimizer, data, sampling, plots...)",
            "  --inference-precision auto|float32|bf16  sampling and generation in bf16 where the CPU computes it natively (auto, the default)",
            "  --training-precision auto|float32|bf16   the example's bf16-fit trainings under autocast where the CPU computes bf16 natively (auto, the default)",
        };
        lines.AddRange((extras ?? []).Select(e => $"  --{e.Name,-12} {e.Help}{Defaults(e)}"));
        return string.Join(Environment.NewLine, lines);
    }

    static string Defaults(ExtraOption option) => (option.Default, option.FastDefault) switch
    {
        (null, null) => "",
        ({ } full, null) => $" (default {full})",
        (null, { } fast) => $" (--fast: {fast})",
        ({ } full, { } fast) => $" (default {full}; --fast: {fast})",
    };
}
