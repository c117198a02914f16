using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchBinding.Cli.Commands;
using TorchBinding.Runtime;

namespace TorchBinding.Cli.Sweeps;

/// <summary>One training of a sweep: a setting (the swept options' values) and a seed, in its own folder.</summary>
/// <param name="Index">The run's number (a Slurm array task's id).</param>
/// <param name="Setting">The setting's name, e.g. <c>lr=0.001 model=mlp</c>.</param>
/// <param name="Options">The swept options' values, as given.</param>
/// <param name="Seed">The seed.</param>
/// <param name="Folder">The run folder, relative to the sweep's (<c>&lt;setting&gt;/seed-&lt;n&gt;</c>).</param>
sealed record SweepRun(int Index, string Setting, IReadOnlyDictionary<string, string> Options, int Seed, string Folder);

/// <summary>
/// A sweep: base settings of <c>torchbinding train</c>, a grid over some of them and seeds, expanded into runs with a
/// folder each, and the manifest <c>sweep.json</c> that records them (with each run's last known state and the Slurm
/// jobs that ran them). Every run's settings are written as its folder's <c>run.json</c> before anything runs, so a run
/// is <c>torchbinding train --config &lt;its run.json&gt;</c> wherever it runs.
/// </summary>
sealed class SweepPlan
{
    /// <summary>The manifest's file name in the sweep folder.</summary>
    public const string ManifestName = "sweep.json";

    /// <summary>The sweep's name (its folder's).</summary>
    public required string Name { get; init; }

    /// <summary>The sweep folder (absolute).</summary>
    public required string Folder { get; init; }

    /// <summary>The settings every run shares (a train config object).</summary>
    public required JsonObject Base { get; init; }

    /// <summary>The swept options and their values, in the order given.</summary>
    public required IReadOnlyList<(string Key, IReadOnlyList<string> Values)> Grid { get; init; }

    /// <summary>The seeds every setting runs with.</summary>
    public required IReadOnlyList<int> Seeds { get; init; }

    /// <summary>Every run: settings in grid order (the last option varying fastest), each with every seed.</summary>
    public required IReadOnlyList<SweepRun> Runs { get; init; }

    /// <summary>Slurm jobs submitted for this sweep (ids, oldest first).</summary>
    public List<string> SlurmJobs { get; init; } = [];

    /// <summary>The path of a run's folder.</summary>
    public string RunFolder(SweepRun run) => Path.Combine(Folder, run.Folder);

    /// <summary>The distinct settings, in order.</summary>
    public IReadOnlyList<string> Settings => [.. Runs.Select(r => r.Setting).Distinct()];

    /// <summary>
    /// Expands a grid into runs and checks every run's settings as <c>train</c> would (keys, kinds, ranges), so a typo
    /// fails before anything runs.
    /// </summary>
    public static SweepPlan Create(string folder, JsonObject baseSettings, IReadOnlyList<(string Key, IReadOnlyList<string> Values)> grid, IReadOnlyList<int> seeds)
    {
        if (grid.Count == 0)
            throw new UsageException("sweep: give at least one --grid KEY=V1,V2,... (or a sweep file with a \"grid\").");
        if (seeds.Count == 0)
            throw new UsageException("sweep: --seeds names no seed.");
        if (seeds.Distinct().Count() < seeds.Count)
            throw new UsageException($"sweep: --seeds names a seed twice ({string.Join(",", seeds)}).");
        foreach (var (key, values) in grid)
        {
            if (key is "seed" or "out")
                throw new UsageException($"sweep: '{key}' cannot be swept: {(key == "seed" ? "use --seeds" : "each run has its own folder")}.");
            if (!TrainSettings.Keys.Contains(key))
                throw new UsageException($"sweep: --grid '{key}' is not a setting of train; the settings are: {string.Join(", ", TrainSettings.Keys.Where(k => k is not ("seed" or "out")))}.");
            if (values.Count == 0 || values.Any(string.IsNullOrWhiteSpace))
                throw new UsageException($"sweep: --grid {key} needs values (KEY=V1,V2,...).");
            if (values.Distinct().Count() < values.Count)
                throw new UsageException($"sweep: --grid {key} names a value twice.");
        }
        if (grid.GroupBy(g => g.Key).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            throw new UsageException($"sweep: --grid {repeated.Key} is given twice.");
        foreach (var key in new[] { "seed", "out" })
            baseSettings.Remove(key);

        folder = Path.GetFullPath(folder);
        var settings = new List<Dictionary<string, string>> { new() };
        foreach (var (key, values) in grid)
            settings = [.. settings.SelectMany(s => values.Select(v => new Dictionary<string, string>(s) { [key] = v }))];
        var runs = new List<SweepRun>();
        foreach (var options in settings)
        {
            var name = string.Join(' ', grid.Select(g => $"{g.Key}={options[g.Key]}"));
            var folderName = string.Join('_', grid.Select(g => $"{g.Key}-{Safe(options[g.Key])}"));
            foreach (var seed in seeds)
                runs.Add(new SweepRun(runs.Count, name, options, seed, Path.Combine(folderName, $"seed-{seed}")));
        }
        var plan = new SweepPlan { Name = Path.GetFileName(folder), Folder = folder, Base = baseSettings, Grid = grid, Seeds = seeds, Runs = runs };
        foreach (var run in runs)
        {
            var checkedSettings = TrainSettings.FromJson(plan.Config(run), $"sweep setting '{run.Setting}'");
            checkedSettings.Validate();
            Guard.Name(() => TorchBinding.Models.ModelCatalog.Get(checkedSettings.Model));
            Guard.Name(() => TorchBinding.Data.DatasetCatalog.Get(checkedSettings.Data));
        }
        return plan;
    }

    /// <summary>A run's train config: the base, its setting's values, its seed and folder.</summary>
    public JsonObject Config(SweepRun run)
    {
        var config = (JsonObject)Base.DeepClone();
        foreach (var (key, value) in run.Options)
            config[key] = TrainSettings.ValueNode(key, value);
        config["seed"] = run.Seed;
        config["out"] = RunFolder(run);
        return config;
    }

    /// <summary>Writes every run's run.json (where it has not started) and the manifest.</summary>
    public void Prepare()
    {
        Directory.CreateDirectory(Folder);
        foreach (var run in Runs)
        {
            var folder = RunFolder(run);
            Directory.CreateDirectory(folder);
            var config = Path.Combine(folder, "run.json");
            if (!File.Exists(config))
                AtomicFile.WriteAllText(config, Config(run).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        Save(null);
    }

    /// <summary>Writes sweep.json, with each run's state where known.</summary>
    public void Save(IReadOnlyDictionary<int, RunState>? states)
    {
        var grid = new JsonObject();
        foreach (var (key, values) in Grid)
            grid[key] = new JsonArray([.. values.Select(v => (JsonNode)JsonValue.Create(v))]);
        var runs = new JsonArray();
        foreach (var run in Runs)
        {
            var options = new JsonObject();
            foreach (var (key, value) in run.Options)
                options[key] = value;
            runs.Add(new JsonObject
            {
                ["index"] = run.Index,
                ["setting"] = run.Setting,
                ["options"] = options,
                ["seed"] = run.Seed,
                ["folder"] = run.Folder,
                ["state"] = states is not null && states.TryGetValue(run.Index, out var state) ? state.ToString().ToLowerInvariant() : "planned",
            });
        }
        var manifest = new JsonObject
        {
            ["name"] = Name,
            ["base"] = Base.DeepClone(),
            ["grid"] = grid,
            ["seeds"] = new JsonArray([.. Seeds.Select(s => (JsonNode)JsonValue.Create(s))]),
            ["slurm_jobs"] = new JsonArray([.. SlurmJobs.Select(j => (JsonNode)JsonValue.Create(j))]),
            ["runs"] = runs,
        };
        AtomicFile.WriteAllText(Path.Combine(Folder, ManifestName), manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>Reads a sweep folder's manifest.</summary>
    public static SweepPlan Load(string folder)
    {
        folder = Path.GetFullPath(folder);
        var path = Path.Combine(folder, ManifestName);
        if (!File.Exists(path))
            throw new UsageException($"'{folder}' is not a sweep: it has no {ManifestName}.");
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException($"{path} is not a JSON object.");
            var grid = ((JsonObject)json["grid"]!).Select(p => (p.Key, (IReadOnlyList<string>)[.. ((JsonArray)p.Value!).Select(v => v!.GetValue<string>())])).ToList();
            var runs = ((JsonArray)json["runs"]!).Select(r => new SweepRun(
                r!["index"]!.GetValue<int>(), r["setting"]!.GetValue<string>(),
                ((JsonObject)r["options"]!).ToDictionary(o => o.Key, o => o.Value!.GetValue<string>()),
                r["seed"]!.GetValue<int>(), r["folder"]!.GetValue<string>())).ToList();
            return new SweepPlan
            {
                Name = json["name"]!.GetValue<string>(), Folder = folder, Base = (JsonObject)json["base"]!.DeepClone(), Grid = grid,
                Seeds = [.. ((JsonArray)json["seeds"]!).Select(s => s!.GetValue<int>())], Runs = runs,
                SlurmJobs = [.. ((JsonArray?)json["slurm_jobs"] ?? []).Select(j => j!.GetValue<string>())],
            };
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidCastException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path} is not a sweep manifest ({e.Message}).", e);
        }
    }

    /// <summary>Whether another plan describes the same runs (a sweep started again with the same command).</summary>
    public bool SameRunsAs(SweepPlan other) =>
        Runs.Count == other.Runs.Count && Runs.Zip(other.Runs).All(p => p.First.Folder == p.Second.Folder && p.First.Seed == p.Second.Seed)
        && JsonNode.DeepEquals(Base, other.Base);

    /// <summary>Parses <c>KEY=V1,V2,...</c>.</summary>
    public static (string Key, IReadOnlyList<string> Values) ParseGrid(string text)
    {
        var equals = text.IndexOf('=');
        if (equals <= 0)
            throw new UsageException($"sweep: --grid '{text}' is not KEY=V1,V2,...");
        return (text[..equals].Trim(), [.. text[(equals + 1)..].Split(',', StringSplitOptions.TrimEntries)]);
    }

    /// <summary>Parses a comma-separated list of seeds.</summary>
    public static IReadOnlyList<int> ParseSeeds(string text) =>
        [.. text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed) ? seed : throw new UsageException($"sweep: --seeds '{text}': '{s}' is not a whole number."))];

    /// <summary>A value as part of a folder name: letters, digits, '.', '-' and '+' kept, anything else '_'.</summary>
    static string Safe(string value)
    {
        var safe = new StringBuilder(value.Length);
        foreach (var c in value)
            safe.Append(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '+' ? c : '_');
        return safe.ToString();
    }
}
