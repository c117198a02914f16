using TorchBinding.Data;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>What one step produced: the loss (a scalar tensor), the model output for metrics, and any other scalars to log.</summary>
/// <param name="Loss">The batch's loss, a scalar tensor (its value is logged as <c>loss</c>).</param>
/// <param name="Output">The model's output for the batch, for metrics (null: no metrics for this step).</param>
/// <param name="Values">Further scalars to log for the step, e.g. a GAN's <c>d_loss</c> and <c>g_loss</c>; the trainer records their epoch means as <c>train_d_loss</c>, <c>train_g_loss</c>.</param>
public sealed record StepResult(Tensor Loss, Tensor? Output = null, IReadOnlyDictionary<string, Tensor>? Values = null);

/// <summary>
/// What happens to one batch: Lightning's <c>training_step</c>. The trainer owns the loop around it (epochs,
/// batches on the device, one dispose scope per step, modes, callbacks, history, checkpoints); the step
/// owns the optimisation, so GANs (two optimizers), VAEs and diffusion models plug in without copying the
/// loop. A step calls <see cref="TrainingContext.AfterBackward"/> between <c>backward()</c> and the
/// optimizer step, so gradient clipping and the non-finite guard can act, and skips the optimizer step
/// when it returns false.
/// </summary>
public interface ITrainingStep
{
    /// <summary>One optimisation step on a training batch (the model is in training mode).</summary>
    StepResult TrainStep(Batch batch, TrainingContext context);

    /// <summary>The loss (and output) of a batch without learning, for validation (in eval mode, under no_grad).</summary>
    StepResult EvaluationStep(Batch batch, TrainingContext context);

    /// <summary>
    /// Checks, before the first step, that a data set fits the model and its loss (shapes, label ranges), so that a
    /// mistake is a clear error instead of a silent broadcast or a native failure deep in a run. Default: no check.
    /// </summary>
    /// <param name="data">The training or validation set.</param>
    /// <param name="device">The device the model is on.</param>
    /// <param name="inputType">The dtype the trainer converts floating-point inputs to (null: none).</param>
    void CheckData(InMemoryDataset data, Device device, ScalarType? inputType) { }
}
