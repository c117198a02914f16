using System.Text.Json.Nodes;

namespace TorchBinding.Training;

/// <summary>What one epoch of training produced.</summary>
/// <param name="Epoch">The epoch number, from 1.</param>
/// <param name="Values">The epoch's values by series name: <c>train_loss</c>, <c>val_loss</c>, <c>lr</c>,
/// <c>seconds</c>, and metrics as <c>train_NAME</c> / <c>val_NAME</c> (e.g. <c>val_accuracy</c>).</param>
public sealed record EpochRecord(int Epoch, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>A value of this epoch, or null when the series has none for it.</summary>
    public double? this[string name] => Values.TryGetValue(name, out var v) ? v : null;
}

/// <summary>
/// The record of a training run, as Keras' <c>fit</c> returns it: one <see cref="EpochRecord"/> per epoch
/// and the loss and learning rate of every optimizer step. Plots draw it; checkpoints store it.
/// </summary>
public sealed class TrainingHistory
{
    readonly List<EpochRecord> _epochs = [];
    readonly List<double> _stepLosses = [];
    readonly List<double> _stepLearningRates = [];

    /// <summary>Why training stopped before its last epoch (early stopping, a non-finite loss, cancellation); null if it ran to the end.</summary>
    public string? StopReason { get; set; }

    /// <summary>The finished epochs, in order.</summary>
    public IReadOnlyList<EpochRecord> Epochs => _epochs;

    /// <summary>The training loss of every optimizer step, in order.</summary>
    public IReadOnlyList<double> StepLosses => _stepLosses;

    /// <summary>The learning rate used at every optimizer step, in order.</summary>
    public IReadOnlyList<double> StepLearningRates => _stepLearningRates;

    /// <summary>The names of the per-epoch series present in any epoch.</summary>
    public IReadOnlyList<string> SeriesNames => _epochs.SelectMany(e => e.Values.Keys).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>A per-epoch series by name (NaN for epochs without that value).</summary>
    public IReadOnlyList<double> Series(string name)
    {
        if (!_epochs.Any(e => e.Values.ContainsKey(name)))
            throw new KeyNotFoundException($"The history has no series '{name}'; it has: {string.Join(", ", SeriesNames)}.");
        return _epochs.Select(e => e[name] ?? double.NaN).ToList();
    }

    /// <summary>The last epoch's value of a series, or null.</summary>
    public double? Last(string name) => _epochs.Count == 0 ? null : _epochs[^1][name];

    /// <summary>Records an optimizer step.</summary>
    public void AddStep(double loss, double learningRate)
    {
        _stepLosses.Add(loss);
        _stepLearningRates.Add(learningRate);
    }

    /// <summary>Records a finished epoch.</summary>
    public void AddEpoch(EpochRecord epoch)
    {
        ArgumentNullException.ThrowIfNull(epoch);
        _epochs.Add(epoch);
    }

    /// <summary>The history as JSON (for checkpoints and run folders).</summary>
    public JsonObject ToJson() => new()
    {
        ["epochs"] = new JsonArray(_epochs.Select(e => (JsonNode)new JsonObject
        {
            ["epoch"] = e.Epoch,
            ["values"] = new JsonObject(e.Values.Select(v => KeyValuePair.Create(v.Key, (JsonNode?)JsonNumber(v.Value)))),
        }).ToArray()),
        ["step_losses"] = new JsonArray(_stepLosses.Select(v => JsonNumber(v)).ToArray()),
        ["step_learning_rates"] = new JsonArray(_stepLearningRates.Select(v => JsonNumber(v)).ToArray()),
        ["stop_reason"] = StopReason,
    };

    /// <summary>Replaces this history's content with what <see cref="ToJson"/> wrote.</summary>
    public void LoadJson(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        _epochs.Clear();
        _stepLosses.Clear();
        _stepLearningRates.Clear();
        foreach (var epoch in json["epochs"]!.AsArray())
        {
            var values = epoch!["values"]!.AsObject().ToDictionary(v => v.Key, v => Number(v.Value));
            _epochs.Add(new EpochRecord((int)epoch["epoch"]!, values));
        }
        _stepLosses.AddRange(json["step_losses"]!.AsArray().Select(Number));
        _stepLearningRates.AddRange(json["step_learning_rates"]!.AsArray().Select(Number));
        StopReason = (string?)json["stop_reason"];
    }

    // JSON has no NaN or infinities: those are stored as strings.
    static JsonNode JsonNumber(double value) => double.IsFinite(value) ? JsonValue.Create(value) : JsonValue.Create(value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    static double Number(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<double>(out var number) ? number : double.Parse((string)node!, System.Globalization.CultureInfo.InvariantCulture);
}
