using TorchBinding.Data;
using TorchBinding.Training;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>
/// One step of diffusion training as an <see cref="ITrainingStep"/>: <see cref="Ddpm.Loss"/> on the batch
/// (random steps, random noise, MSE of the predicted noise), backward, the trainer's optimizer. The batch's
/// targets are the class labels of a conditional model (ignored by an unconditional one); with a label dropout
/// above 0 the model also learns "no class", for classifier-free guidance.
/// </summary>
public sealed class DiffusionStep : ITrainingStep
{
    readonly Ddpm _ddpm;
    readonly INoisePredictor _model;

    /// <summary>Creates the step.</summary>
    /// <param name="ddpm">The schedule.</param>
    /// <param name="model">The noise predictor (the trainer's model).</param>
    /// <param name="labelDropout">The probability of training a sample as "no class" (conditional models only; 0.1–0.2 is usual).</param>
    /// <param name="minSnrGamma">The min-SNR loss weighting's γ (0, the default: unweighted; see <see cref="Ddpm.Loss"/>).</param>
    public DiffusionStep(Ddpm ddpm, INoisePredictor model, double labelDropout = 0, double minSnrGamma = 0)
    {
        _ddpm = ddpm ?? throw new ArgumentNullException(nameof(ddpm));
        _model = model ?? throw new ArgumentNullException(nameof(model));
        if (labelDropout is < 0 or > 1 || double.IsNaN(labelDropout))
            throw new ArgumentOutOfRangeException(nameof(labelDropout), labelDropout, "The label dropout probability must be in [0, 1].");
        if (labelDropout > 0 && model.Classes == 0)
            throw new ArgumentException("Label dropout (for classifier-free guidance) needs a class-conditional model; this one is unconditional.", nameof(labelDropout));
        if (model is not nn.Module)
            throw new ArgumentException($"DiffusionStep trains a module; this noise predictor ({model.GetType().Name}) is not one (a closed form has nothing to learn).", nameof(model));
        if (!(minSnrGamma >= 0) || double.IsInfinity(minSnrGamma))
            throw new ArgumentOutOfRangeException(nameof(minSnrGamma), minSnrGamma, "The min-SNR γ must be a finite number >= 0 (0: unweighted).");
        LabelDropout = labelDropout;
        MinSnrGamma = minSnrGamma;
    }

    /// <summary>The probability of training a sample as "no class".</summary>
    public double LabelDropout { get; }

    /// <summary>The min-SNR loss weighting's γ (0: unweighted).</summary>
    public double MinSnrGamma { get; }

    /// <inheritdoc/>
    public nn.Module Model => (nn.Module)_model;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        return new StepResult(_ddpm.Loss(_model, batch.Inputs, Labels(batch), LabelDropout, MinSnrGamma));
    }

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new StepResult(_ddpm.Loss(_model, batch.Inputs, Labels(batch)));
    }

    Tensor? Labels(Batch batch) => _model.Classes > 0 ? batch.Targets : null;
}
