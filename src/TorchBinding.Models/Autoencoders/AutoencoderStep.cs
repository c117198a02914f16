using TorchBinding.Data;
using TorchBinding.Data.Augmentation;
using TorchBinding.Losses;
using TorchBinding.Training;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>
/// The training step of an autoencoder: the batch's inputs are the targets (its labels, if any, are ignored),
/// so any classification or unlabelled <see cref="InMemoryDataset"/> trains one. With a noise model it is a
/// denoising autoencoder: the model sees the corrupted input and is scored against the clean one. Validation
/// corrupts the same way, so <c>val_loss</c> measures the denoising.
/// </summary>
/// <example>
/// <code>
/// var step = new AutoencoderStep(model, noise: NoiseModel.Gaussian(0.5, clamp: true, seed: 1));
/// new Trainer(step, Optim.Adam(1e-3), new TrainerOptions { Epochs = 5 }).Fit(train);
/// </code>
/// </example>
public sealed class AutoencoderStep : ITrainingStep
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly LossFunction _loss;

    /// <summary>Creates the step.</summary>
    /// <param name="model">The autoencoder (its <c>forward</c> returns the reconstruction in the input's shape).</param>
    /// <param name="loss">The reconstruction loss of (reconstruction, clean input); default: mean squared error.</param>
    /// <param name="noise">The corruption of the inputs (a <see cref="NoiseModel"/> or any batch transform); null: a plain autoencoder.</param>
    public AutoencoderStep(nn.Module<Tensor, Tensor> model, LossFunction? loss = null, IBatchTransform? noise = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _loss = loss ?? ((output, target) => nn.functional.mse_loss(output, target));
        Noise = noise;
    }

    /// <summary>The corruption of the inputs (null: none).</summary>
    public IBatchTransform? Noise { get; }

    /// <inheritdoc/>
    public nn.Module Model => _model;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        var (output, loss) = Reconstruct(batch.Inputs);
        return new StepResult(loss, output);
    }

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        var (output, loss) = Reconstruct(batch.Inputs);
        return new StepResult(loss, output);
    }

    (Tensor Output, Tensor Loss) Reconstruct(Tensor clean)
    {
        var input = Noise?.Apply(clean) ?? clean;
        var output = _model.call(input);
        if (!output.shape.SequenceEqual(clean.shape))
            throw new InvalidOperationException($"AutoencoderStep: the model's reconstruction {Shapes.Format(output)} does not have the input's shape {Shapes.Format(clean)}.");
        return (output, _loss(output, clean));
    }
}
