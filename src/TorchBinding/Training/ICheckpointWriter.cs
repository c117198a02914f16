namespace TorchBinding.Training;

/// <summary>
/// What <see cref="TrainingContext.SaveCheckpoint"/> writes through: the fit's checkpoint (<c>Checkpoints.RunCheckpoint</c>,
/// which reads the context to capture it). The context knows only this, so the two do not depend on each other.
/// </summary>
interface ICheckpointWriter
{
    /// <summary>Writes a checkpoint of the run's current state, as <paramref name="context"/> shows it, to <paramref name="path"/> (atomically).</summary>
    void Write(string path, TrainingContext context);
}
