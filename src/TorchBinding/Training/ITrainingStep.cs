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
}

/// <summary>
/// The supervised step: zero the gradients, forward, loss, backward, (callbacks), optimizer step, with
/// one model, one loss function and the context's first optimizer.
/// </summary>
public sealed class SupervisedStep : ITrainingStep
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly Losses.LossFunction _loss;

    /// <summary>Creates the step.</summary>
    public SupervisedStep(nn.Module<Tensor, Tensor> model, Losses.LossFunction loss)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _loss = loss ?? throw new ArgumentNullException(nameof(loss));
    }

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        var optimizer = context.Optimizer;
        optimizer.zero_grad();
        var output = _model.call(batch.Inputs);
        var loss = _loss(output, batch.Targets);
        loss.backward();
        if (context.AfterBackward(loss))
            optimizer.step();
        return new StepResult(loss, output);
    }

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        var output = _model.call(batch.Inputs);
        return new StepResult(_loss(output, batch.Targets), output);
    }
}
