using TorchBinding.Data;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>What one step produced: the loss (a scalar tensor), the model output for metrics, and any other scalars to log.</summary>
/// <param name="Loss">The batch's loss, a scalar tensor (its value is logged as <c>loss</c>); what the trainer minimises unless <paramref name="Objective"/> is given.</param>
/// <param name="Output">The model's output for the batch, for metrics (null: no metrics for this step).</param>
/// <param name="Values">Further scalars to log for the step, e.g. a GAN's <c>d_loss</c> and <c>g_loss</c>; the trainer records their epoch means as <c>train_d_loss</c>, <c>train_g_loss</c>.</param>
/// <param name="Objective">What the trainer minimises when it is not the logged loss, e.g. the loss plus a weight penalty (null: <paramref name="Loss"/>).</param>
public sealed record StepResult(Tensor Loss, Tensor? Output = null, IReadOnlyDictionary<string, Tensor>? Values = null, Tensor? Objective = null);

/// <summary>
/// What happens to one batch: Lightning's <c>training_step</c>. The step computes the loss; the trainer owns the loop
/// around it (epochs, batches on the device, one dispose scope per step, modes, callbacks, history, checkpoints) and
/// the optimisation (Lightning's automatic optimisation): zero the gradients, <c>backward()</c>, gradient clipping and
/// the non-finite guard (callbacks), and every optimizer's step — once, for every step. A step that needs several
/// optimizers in turn (a GAN's discriminator, then its generator) sets <see cref="AutomaticOptimization"/> to false and
/// runs each of them through <see cref="TrainingContext.Minimize"/>.
/// </summary>
public interface ITrainingStep
{
    /// <summary>The model the step trains: every trained module is inside it (its parameters are what the optimizers hold and checkpoints save).</summary>
    nn.Module Model { get; }

    /// <summary>
    /// False when the step optimizes by itself, calling <see cref="TrainingContext.Minimize"/> once per optimizer (default
    /// true: the trainer minimises the returned loss with every optimizer).
    /// </summary>
    bool AutomaticOptimization => true;

    /// <summary>
    /// The loss of a training batch (the model is in training mode), with its graph: the trainer calls <c>backward()</c>
    /// on it and steps the optimizers. With <see cref="AutomaticOptimization"/> false, the step has optimized already and
    /// the loss is only logged.
    /// </summary>
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
