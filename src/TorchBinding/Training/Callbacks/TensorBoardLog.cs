using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Training.Callbacks;

/// <summary>
/// Writes TensorBoard event files through TorchSharp's <c>SummaryWriter</c>: every epoch value as a scalar
/// (tag = value name, step = epoch) and, optionally, the loss of every step (tag <c>step/loss</c>).
/// </summary>
public sealed class TensorBoardLog : TrainingCallback
{
    readonly SummaryWriter _writer;
    readonly bool _steps;

    /// <summary>Creates the log in <paramref name="directory"/>.</summary>
    public TensorBoardLog(string directory, bool logSteps = false)
    {
        Directory = directory;
        _writer = utils.tensorboard.SummaryWriter(directory);
        _steps = logSteps;
    }

    /// <summary>The event-file folder.</summary>
    public string Directory { get; }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        if (_steps && context.LastStep.TryGetValue("loss", out var loss))
            _writer.add_scalar("step/loss", (float)loss, checked((int)context.GlobalStep));
    }

    /// <inheritdoc/>
    public override void OnEpochCompleted(TrainingContext context, EpochRecord epoch)
    {
        foreach (var (name, value) in epoch.Values)
            _writer.add_scalar(name, (float)value, epoch.Epoch);
    }
}
