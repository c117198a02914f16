using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TorchBinding.Training.Callbacks;

/// <summary>Whether a monitored value should go down or up.</summary>
public enum MonitorMode
{
    /// <summary>From the name: values ending in <c>loss</c> or <c>error</c> go down, others (accuracy, IoU) up.</summary>
    Auto,

    /// <summary>Smaller is better.</summary>
    Min,

    /// <summary>Larger is better.</summary>
    Max,
}

/// <summary>
/// Stops training when a monitored epoch value (default <c>val_loss</c>) has not improved by more than
/// <c>minDelta</c> for <c>patience</c> epochs, and optionally puts back the weights of the best epoch.
/// </summary>
public sealed class EarlyStopping : TrainingCallback, IDisposable
{
    readonly Dictionary<string, Tensor> _bestWeights = new(StringComparer.Ordinal);
    int _wait;

    /// <summary>Creates the callback.</summary>
    /// <param name="monitor">The epoch value to watch, e.g. <c>val_loss</c> or <c>val_accuracy</c>.</param>
    /// <param name="patience">Epochs without improvement before stopping.</param>
    /// <param name="minDelta">The smallest change that counts as an improvement.</param>
    /// <param name="mode">Whether smaller or larger is better.</param>
    /// <param name="restoreBestWeights">At the end, put back the weights of the best epoch.</param>
    public EarlyStopping(string monitor = "val_loss", int patience = 5, double minDelta = 0, MonitorMode mode = MonitorMode.Auto, bool restoreBestWeights = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(patience);
        ArgumentOutOfRangeException.ThrowIfNegative(minDelta);
        Monitor = monitor;
        Patience = patience;
        MinDelta = minDelta;
        Mode = Resolve(mode, monitor);
        RestoreBestWeights = restoreBestWeights;
    }

    /// <summary>The value watched.</summary>
    public string Monitor { get; }

    /// <summary>Epochs without improvement tolerated.</summary>
    public int Patience { get; }

    /// <summary>The smallest improvement.</summary>
    public double MinDelta { get; }

    /// <summary>Min or Max (never Auto once created).</summary>
    public MonitorMode Mode { get; }

    /// <summary>Whether the best weights are restored at the end.</summary>
    public bool RestoreBestWeights { get; }

    /// <summary>The best value seen (null before the first epoch).</summary>
    public double? Best { get; private set; }

    /// <summary>The epoch of the best value (0 before the first).</summary>
    public int BestEpoch { get; private set; }

    /// <summary>The epoch at which it stopped training (null if it did not).</summary>
    public int? StoppedEpoch { get; private set; }

    internal static MonitorMode Resolve(MonitorMode mode, string monitor) => mode != MonitorMode.Auto ? mode
        : monitor.EndsWith("loss", StringComparison.Ordinal) || monitor.EndsWith("error", StringComparison.Ordinal) ? MonitorMode.Min : MonitorMode.Max;

    /// <inheritdoc/>
    public override void OnEpochEnd(TrainingContext context, EpochRecord epoch)
    {
        var value = epoch[Monitor] ?? throw new InvalidOperationException(
            $"EarlyStopping monitors '{Monitor}', which epoch {epoch.Epoch} does not have; it has: {string.Join(", ", epoch.Values.Keys)}.");
        var improved = Best is not { } best || (Mode == MonitorMode.Min ? value < best - MinDelta : value > best + MinDelta);
        if (improved)
        {
            (Best, BestEpoch, _wait) = (value, epoch.Epoch, 0);
            if (RestoreBestWeights)
                Snapshot(context.Model);
            return;
        }
        if (++_wait > Patience)
        {
            StoppedEpoch = epoch.Epoch;
            context.RequestStop($"early stopping: {Monitor} has not improved for {Patience} epoch(s); the best was {Best:G6} at epoch {BestEpoch}");
        }
    }

    /// <inheritdoc/>
    public override void OnFitEnd(TrainingContext context)
    {
        if (RestoreBestWeights && _bestWeights.Count > 0 && BestEpoch != context.History.Epochs.LastOrDefault()?.Epoch)
        {
            using (no_grad())
            {
                foreach (var (name, value) in context.Model.state_dict())
                    value.copy_(_bestWeights[name]);
            }
        }
        Release();
    }

    void Snapshot(nn.Module model)
    {
        Release();
        using (no_grad())
        {
            foreach (var (name, value) in model.state_dict())
            {
                using var detached = value.detach();
                _bestWeights[name] = detached.clone().DetachFromDisposeScope();
            }
        }
    }

    void Release()
    {
        foreach (var tensor in _bestWeights.Values)
            tensor.Dispose();
        _bestWeights.Clear();
    }

    /// <inheritdoc/>
    public override string StateKey => $"early_stopping/{Monitor}";

    /// <inheritdoc/>
    public override JsonNode SaveState() => new JsonObject { ["best"] = Best, ["best_epoch"] = BestEpoch, ["wait"] = _wait };

    /// <inheritdoc/>
    public override void LoadState(JsonNode state)
    {
        Best = (double?)state["best"];
        BestEpoch = (int)state["best_epoch"]!;
        _wait = (int)state["wait"]!;
    }

    /// <summary>Frees the copy of the best weights.</summary>
    public void Dispose() => Release();
}
