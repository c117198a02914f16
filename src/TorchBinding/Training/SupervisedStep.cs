using TorchBinding.Data;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>
/// The supervised step: forward, loss (the trainer minimises it), with one model and one loss function. Outputs in bfloat16 or float16 (mixed
/// precision) go to the loss and the metrics in float32.
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
    public nn.Module Model => _model;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        var output = InFloat32(_model.call(batch.Inputs));
        return new StepResult(_loss(output, batch.Targets), output);
    }

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        var output = InFloat32(_model.call(batch.Inputs));
        return new StepResult(_loss(output, batch.Targets), output);
    }

    /// <summary>
    /// Runs the model on two samples (eval mode, no gradients) and checks the whole data set's targets against the
    /// output: class indices must be <c>[N]</c> (or <c>[N, H, W]</c> for dense outputs) and lie in 0..K−1; real-valued
    /// targets must not silently broadcast against the outputs (outputs <c>[N, 1]</c> with targets <c>[N]</c> would
    /// make every loss compare all pairs and learn only the mean).
    /// </summary>
    public void CheckData(InMemoryDataset data, Device device, ScalarType? inputType)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
            throw new ArgumentException($"{data.Name} has no samples to train or evaluate on.", nameof(data));
        using var scope = NewDisposeScope();
        Tensor output;
        var wasTraining = _model.training;
        _model.eval();
        try
        {
            using (no_grad())
            {
                var sample = data.Inputs[..Math.Min(2, data.Count)].to(device);
                output = _model.call(inputType is { } type && sample.is_floating_point() ? sample.to(type) : sample);
            }
        }
        finally
        {
            if (wasTraining)
                _model.train();
        }
        TargetChecks.FitOutputs(data.Name, data.Targets, output);
    }

    /// <summary>Reduced-precision outputs in float32, for the loss and the metrics.</summary>
    internal static Tensor InFloat32(Tensor output) => output.dtype is ScalarType.BFloat16 or ScalarType.Float16 ? output.to(ScalarType.Float32) : output;
}
