using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TorchBinding.Cli.Commands;

/// <summary>
/// Everything a training run is made of. Each setting is an option of <c>torchbinding train</c> and a key of a
/// <c>--config</c> JSON file (the option's name without dashes, e.g. <c>{"model": "cnn-course", "batch-size": 100}</c>);
/// an option given on the command line wins over the file. A run writes its resolved settings to
/// <c>OUT/run.json</c>, which is itself a config: <c>torchbinding train --config runs/x/run.json</c> repeats it.
/// </summary>
sealed record TrainSettings
{
    public string Model { get; init; } = "mlp";
    public string Data { get; init; } = "digits";
    public int Epochs { get; init; } = 5;
    public string Optimizer { get; init; } = "adam";
    public double Lr { get; init; } = 1e-3;
    public string Loss { get; init; } = "log";
    public int BatchSize { get; init; } = 100;
    public double Validation { get; init; } = 0.1;
    public int? Limit { get; init; }
    public IReadOnlyList<int>? Hidden { get; init; }
    public string? Out { get; init; }
    public string Device { get; init; } = "auto";
    public int Seed { get; init; } = 42;
    public string Precision { get; init; } = "fp32";

    /// <summary>The output folder: <c>--out</c>, else <c>runs/MODEL-DATA</c>.</summary>
    public string OutputDirectory => Out ?? Path.Combine("runs", $"{Model}-{Data}");

    /// <summary>The settings as a config file's JSON.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["model"] = Model,
            ["data"] = Data,
            ["epochs"] = Epochs,
            ["optimizer"] = Optimizer,
            ["lr"] = Lr,
            ["loss"] = Loss,
            ["batch-size"] = BatchSize,
            ["validation"] = Validation,
            ["out"] = OutputDirectory,
            ["device"] = Device,
            ["seed"] = Seed,
            ["precision"] = Precision,
        };
        if (Limit is { } limit)
            json["limit"] = limit;
        if (Hidden is { } hidden)
            json["hidden"] = new JsonArray(hidden.Select(h => (JsonNode)h).ToArray());
        return json;
    }

    /// <summary>Reads a config file; unknown keys and values of the wrong kind are usage mistakes naming the key.</summary>
    public static TrainSettings FromFile(string path)
    {
        if (!File.Exists(path))
            throw new UsageException($"--config: '{path}' does not exist.");
        JsonObject json;
        try
        {
            var text = File.ReadAllText(path);
            // JsonObject refuses a repeated key with "An item with the same key has already been added", naming
            // neither the file nor that it is a usage mistake; a document lists every property as written.
            using (var document = JsonDocument.Parse(text))
            {
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var property in document.RootElement.EnumerateObject())
                    {
                        if (!seen.Add(property.Name))
                            throw new UsageException($"--config: '{path}' sets '{property.Name}' twice; give each key once.");
                    }
                }
            }
            json = JsonNode.Parse(text) as JsonObject ?? throw new UsageException($"--config: '{path}' is not a JSON object.");
        }
        catch (JsonException e)
        {
            throw new UsageException($"--config: '{path}' is not valid JSON ({e.Message}).");
        }
        return FromJson(json, $"--config: '{path}'");
    }

    /// <summary>
    /// Settings from a config object (<paramref name="source"/> names it in messages: a file, a sweep's setting);
    /// unknown keys and values of the wrong kind are usage mistakes naming the key.
    /// </summary>
    public static TrainSettings FromJson(JsonObject json, string source)
    {
        var settings = new TrainSettings();
        foreach (var (key, node) in json)
        {
            string Text() => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : throw Wrong(key, "a string");
            double Number() => TryNumber(node, out var d) ? d : throw Wrong(key, "a number");
            int Whole() => TryNumber(node, out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue ? (int)d : throw Wrong(key, "a whole number");
            settings = key switch
            {
                "model" => settings with { Model = Text() },
                "data" => settings with { Data = Text() },
                "epochs" => settings with { Epochs = Whole() },
                "optimizer" => settings with { Optimizer = Text() },
                "lr" => settings with { Lr = Number() },
                "loss" => settings with { Loss = Text() },
                "batch-size" => settings with { BatchSize = Whole() },
                "validation" => settings with { Validation = Number() },
                "limit" => settings with { Limit = Whole() },
                "hidden" => settings with { Hidden = node is JsonArray array ? array.Select(h => h is JsonValue v && v.TryGetValue<int>(out var i) ? i : throw Wrong(key, "a list of whole numbers")).ToList() : throw Wrong(key, "a list of whole numbers") },
                "out" => settings with { Out = Text() },
                "device" => settings with { Device = Text() },
                "seed" => settings with { Seed = Whole() },
                "precision" => settings with { Precision = Text() },
                _ => throw new UsageException($"{source} has the unknown key '{key}'; the keys are: {string.Join(", ", Keys)}."),
            };
        }
        return settings;

        UsageException Wrong(string key, string what) => new($"{source}: '{key}' must be {what}.");
    }

    /// <summary>A number, whether the node was parsed from text or built in code (an int-backed value is no double to TryGetValue).</summary>
    static bool TryNumber(JsonNode? node, out double number)
    {
        number = 0;
        if (node is not JsonValue value)
            return false;
        if (value.TryGetValue(out number))
            return true;
        if (value.TryGetValue<long>(out var whole))
        {
            number = whole;
            return true;
        }
        if (value.TryGetValue<int>(out var small))
        {
            number = small;
            return true;
        }
        return false;
    }

    public static readonly IReadOnlyList<string> Keys = ["model", "data", "epochs", "optimizer", "lr", "loss", "batch-size", "validation", "limit", "hidden", "out", "device", "seed", "precision"];

    /// <summary>
    /// A setting's value as written on a command line (<c>--set lr=1e-3</c>, <c>--grid hidden=64,128+64</c>) turned into
    /// the JSON a config file holds: numbers for the numeric keys, a list for <c>hidden</c> (sizes joined by '+'),
    /// text for the rest. What the key does not accept is refused by <see cref="FromJson"/>, naming it.
    /// </summary>
    public static JsonNode ValueNode(string key, string text) => key switch
    {
        "epochs" or "lr" or "batch-size" or "validation" or "limit" or "seed" =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? JsonValue.Create(number) : JsonValue.Create(text),
        "hidden" => new JsonArray([.. text.Split('+').Select(size => int.TryParse(size, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? (JsonNode)JsonValue.Create(n) : JsonValue.Create(size))]),
        _ => JsonValue.Create(text),
    };

    /// <summary>Checks the values' ranges (names are checked against the catalogs where they are used).</summary>
    public void Validate()
    {
        if (Epochs < 1)
            throw new UsageException($"--epochs must be at least 1, got {Epochs}.");
        if (!(Lr > 0) || !double.IsFinite(Lr))
            throw new UsageException($"--lr must be a positive number, got {Lr.ToString(CultureInfo.InvariantCulture)}.");
        if (BatchSize < 1)
            throw new UsageException($"--batch-size must be at least 1, got {BatchSize}.");
        if (Validation is < 0 or >= 1 || double.IsNaN(Validation))
            throw new UsageException($"--validation is the held-out fraction of the training part, in [0, 1); got {Validation.ToString(CultureInfo.InvariantCulture)}.");
        if (Limit is < 1)
            throw new UsageException($"--limit must be at least 1, got {Limit}.");
        if (Hidden is { } hidden && hidden.Any(h => h < 1))
            throw new UsageException($"--hidden sizes must be positive, got {string.Join(",", hidden)}.");
    }
}

/// <summary>The options of <c>torchbinding train</c>, one per setting, without defaults (so a config file's value shows through).</summary>
sealed class TrainOptions
{
    public Option<string?> Config { get; } = new("--config") { Description = "a JSON file of settings (keys: the options' names, e.g. {\"model\": \"cnn-course\", \"epochs\": 5}); options given here win" };
    public Option<string?> Model { get; } = new("--model") { Description = "the model: " + string.Join(", ", Models.ModelCatalog.Names) + " (default mlp)" };
    public Option<string?> Data { get; } = new("--data") { Description = "the data set: " + string.Join(", ", TorchBinding.Data.DatasetCatalog.Names) + " (default digits)" };
    public Option<int?> Epochs { get; } = new("--epochs") { Description = "training epochs (default 5)" };
    public Option<string?> Optimizer { get; } = new("--optimizer") { Description = "the optimizer: " + string.Join(", ", Training.Optimizers.Names) + " (default adam)" };
    public Option<double?> Lr { get; } = new("--lr") { Description = "learning rate (default 1e-3)" };
    public Option<string?> Loss { get; } = new("--loss") { Description = "the loss, from the lecture's table: " + string.Join(", ", Losses.LossCatalog.All.Select(l => l.Name)) + " (default log: cross-entropy)" };
    public Option<int?> BatchSize { get; } = new("--batch-size") { Description = "training batch size (default 100)" };
    public Option<double?> Validation { get; } = new("--validation") { Description = "fraction of the training part held out for validation, 0 for none (default 0.1)" };
    public Option<int?> Limit { get; } = new("--limit") { Description = "train on at most this many samples (default: all)" };
    public Option<string?> Hidden { get; } = new("--hidden") { Description = "hidden layer sizes, comma-separated, e.g. 500 or 256,128 (mlp; cnn-small's head)" };
    public Option<string?> Out { get; } = new("--out") { Description = "the run folder: metrics.json, figures, checkpoints, run.json (default runs/MODEL-DATA)" };
    public Option<string?> Device { get; } = new("--device") { Description = "auto, cpu, cuda or cuda:N (default auto)" };
    public Option<int?> Seed { get; } = new("--seed") { Description = "seed of everything random (default 42)" };
    public Option<string?> Precision { get; } = new("--precision") { Description = "fp32, or bf16: forward and backward in bfloat16 with float32 master weights (normalisation layers stay float32; default fp32)" };
    public Option<bool> Fast { get; } = new("--fast") { Description = "CI mode: one epoch on at most 1000 samples" };
    public Option<string?> Resume { get; } = new("--resume") { Description = "a checkpoint (OUT/last.ckpt) to continue from; --epochs is the total" };

    public IEnumerable<Option> All => [Config, Model, Data, Epochs, Optimizer, Lr, Loss, BatchSize, Validation, Limit, Hidden, Out, Device, Seed, Precision, Fast, Resume];

    /// <summary>The settings: the config file's, overridden by the options given.</summary>
    public TrainSettings Resolve(ParseResult parse)
    {
        var config = parse.GetValue(Config) is { } path ? TrainSettings.FromFile(path) : new TrainSettings();
        var settings = config with
        {
            Model = parse.GetValue(Model) ?? config.Model,
            Data = parse.GetValue(Data) ?? config.Data,
            Epochs = parse.GetValue(Epochs) ?? config.Epochs,
            Optimizer = parse.GetValue(Optimizer) ?? config.Optimizer,
            Lr = parse.GetValue(Lr) ?? config.Lr,
            Loss = parse.GetValue(Loss) ?? config.Loss,
            BatchSize = parse.GetValue(BatchSize) ?? config.BatchSize,
            Validation = parse.GetValue(Validation) ?? config.Validation,
            Limit = parse.GetValue(Limit) ?? config.Limit,
            Hidden = parse.GetValue(Hidden) is { } hidden ? ParseSizes(hidden) : config.Hidden,
            Out = parse.GetValue(Out) ?? config.Out,
            Device = parse.GetValue(Device) ?? config.Device,
            Seed = parse.GetValue(Seed) ?? config.Seed,
            Precision = parse.GetValue(Precision) ?? config.Precision,
        };
        if (parse.GetValue(Fast))
            settings = settings with { Epochs = 1, Limit = Math.Min(settings.Limit ?? 1000, 1000) };
        settings.Validate();
        return settings;
    }

    static List<int> ParseSizes(string text) =>
        text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : throw new UsageException($"--hidden '{text}' is not a comma-separated list of whole numbers."))
            .ToList();
}
