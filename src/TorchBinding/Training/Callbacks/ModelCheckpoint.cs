namespace TorchBinding.Training.Callbacks;

/// <summary>
/// Writes checkpoints into a folder: <c>last.ckpt</c> after every epoch (and when training is cancelled or
/// stopped mid-epoch), and <c>best.ckpt</c> whenever the monitored value improves. Each write is atomic, so
/// a crash never leaves a broken checkpoint behind. Resume with <see cref="TrainerOptions.ResumeFrom"/>.
/// </summary>
public sealed class ModelCheckpoint : TrainingCallback
{
    double? _best;

    /// <summary>Creates the callback.</summary>
    /// <param name="directory">The folder (created if needed).</param>
    /// <param name="monitor">The epoch value that decides the best checkpoint (null: no best.ckpt).</param>
    /// <param name="mode">Whether smaller or larger is better.</param>
    /// <param name="saveLast">Write last.ckpt (default true).</param>
    public ModelCheckpoint(string directory, string? monitor = "val_loss", MonitorMode mode = MonitorMode.Auto, bool saveLast = true)
    {
        Directory = directory;
        Monitor = monitor;
        Mode = monitor is null ? MonitorMode.Min : EarlyStopping.Resolve(mode, monitor);
        SaveLast = saveLast;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>The value that decides the best checkpoint.</summary>
    public string? Monitor { get; }

    /// <summary>Min or Max.</summary>
    public MonitorMode Mode { get; }

    /// <summary>Whether last.ckpt is written.</summary>
    public bool SaveLast { get; }

    /// <summary>The path of the last checkpoint.</summary>
    public string LastPath => Path.Combine(Directory, "last.ckpt");

    /// <summary>The path of the best checkpoint.</summary>
    public string BestPath => Path.Combine(Directory, "best.ckpt");

    /// <summary>Removes temporary files that checkpoint writes of ended processes left in the folder.</summary>
    public override void OnFitStart(TrainingContext context) => Runtime.AtomicFile.RemoveStaleTemporaries(Directory);

    /// <inheritdoc/>
    public override void OnEpochCompleted(TrainingContext context, EpochRecord epoch)
    {
        if (SaveLast)
            context.SaveCheckpoint(LastPath);
        if (Monitor is null)
            return;
        var value = epoch[Monitor] ?? throw new InvalidOperationException(
            $"ModelCheckpoint monitors '{Monitor}', which epoch {epoch.Epoch} does not have; it has: {string.Join(", ", epoch.Values.Keys)}.");
        if (_best is not { } best || (Mode == MonitorMode.Min ? value < best : value > best))
        {
            _best = value;
            context.SaveCheckpoint(BestPath);
        }
    }

    /// <inheritdoc/>
    public override void OnInterrupted(TrainingContext context)
    {
        // Mid-epoch stops (cancellation) leave a checkpoint that resumes after the last finished step.
        if (SaveLast && context.BatchInEpoch > 0)
            context.SaveCheckpoint(LastPath);
    }

    /// <inheritdoc/>
    public override string StateKey => $"model_checkpoint/{Monitor}";

    /// <inheritdoc/>
    public override System.Text.Json.Nodes.JsonNode SaveState() => new System.Text.Json.Nodes.JsonObject { ["best"] = _best };

    /// <inheritdoc/>
    public override void LoadState(System.Text.Json.Nodes.JsonNode state) => _best = (double?)state["best"];
}
