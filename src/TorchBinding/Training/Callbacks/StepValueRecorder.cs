using System.Text.Json.Nodes;

namespace TorchBinding.Training.Callbacks;

/// <summary>
/// Records every training step's values (<see cref="TrainingContext.LastStep"/>: <c>loss</c> and whatever the
/// step reports, e.g. a GAN's <c>d_loss</c>, <c>g_loss</c>, <c>d_real</c>, <c>d_fake</c>), per step and as
/// per-epoch means, for curves of custom training steps. Checkpoints carry what it recorded.
/// </summary>
/// <example>
/// <code>
/// var values = new StepValueRecorder();
/// new Trainer(gan, new GanStep(gan), gan.CreateOptimizers(), new TrainerOptions { Callbacks = [values] }).Fit(data);
/// new LineChart().Add("D", values.EpochMeans("d_loss")).Add("G", values.EpochMeans("g_loss")).Save("losses.png");
/// </code>
/// </example>
public sealed class StepValueRecorder : TrainingCallback
{
    readonly Dictionary<string, List<double>> _steps = new(StringComparer.Ordinal);
    readonly List<int> _epochEnds = [];
    int _count;

    /// <summary>The names of the recorded values, in order of first appearance.</summary>
    public IReadOnlyList<string> Names => [.. _steps.Keys];

    /// <summary>The number of steps recorded.</summary>
    public int StepCount => _count;

    /// <summary>The value of every step (NaN where a step did not report it).</summary>
    /// <exception cref="KeyNotFoundException">No step reported <paramref name="name"/>; the message lists what was recorded.</exception>
    public IReadOnlyList<double> Steps(string name) => Series(name);

    /// <summary>The mean of every finished epoch's steps (NaN values left out).</summary>
    /// <exception cref="KeyNotFoundException">No step reported <paramref name="name"/>; the message lists what was recorded.</exception>
    public IReadOnlyList<double> EpochMeans(string name)
    {
        var steps = Series(name);
        var means = new List<double>(_epochEnds.Count);
        var start = 0;
        foreach (var end in _epochEnds)
        {
            var finite = steps.Skip(start).Take(end - start).Where(v => !double.IsNaN(v)).ToList();
            means.Add(finite.Count > 0 ? finite.Average() : double.NaN);
            start = end;
        }
        return means;
    }

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context)
    {
        if (context.Epoch != 0 || context.GlobalStep != 0)
            return; // resumed: LoadState restored what was recorded
        _steps.Clear();
        _epochEnds.Clear();
        _count = 0;
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        foreach (var (name, value) in context.LastStep)
        {
            if (!_steps.TryGetValue(name, out var list))
            {
                list = [.. Enumerable.Repeat(double.NaN, _count)];
                _steps[name] = list;
            }
            list.Add(value);
        }
        _count++;
        foreach (var list in _steps.Values)
        {
            if (list.Count < _count)
                list.Add(double.NaN);
        }
    }

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochRecord epoch) => _epochEnds.Add(_count);

    /// <inheritdoc/>
    public override string StateKey => "step_values";

    /// <inheritdoc/>
    public override JsonNode SaveState() => new JsonObject
    {
        ["count"] = _count,
        ["epoch_ends"] = new JsonArray([.. _epochEnds.Select(e => (JsonNode)e)]),
        ["steps"] = new JsonObject(_steps.Select(s => KeyValuePair.Create(s.Key, (JsonNode?)new JsonArray([.. s.Value.Select(Number)])))),
    };

    /// <inheritdoc/>
    public override void LoadState(JsonNode state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _count = (int)state["count"]!;
        _epochEnds.Clear();
        _epochEnds.AddRange(state["epoch_ends"]!.AsArray().Select(e => (int)e!));
        _steps.Clear();
        foreach (var (name, values) in state["steps"]!.AsObject())
            _steps[name] = [.. values!.AsArray().Select(v => v is null ? double.NaN : (double)v)];
    }

    IReadOnlyList<double> Series(string name) =>
        _steps.TryGetValue(name, out var list)
            ? list
            : throw new KeyNotFoundException($"No step reported '{name}'; the steps reported: {(_steps.Count == 0 ? "nothing yet" : string.Join(", ", _steps.Keys))}.");

    // JSON has no NaN or infinities: non-finite values are stored as null (read back as NaN).
    static JsonNode? Number(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;
}
