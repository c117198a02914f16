using TorchBinding.Metrics;

namespace TorchBinding.Training;

/// <summary>What the trainer's non-finite guard checks before each optimizer step.</summary>
public enum NonFiniteCheck
{
    /// <summary>Nothing.</summary>
    Off,

    /// <summary>The loss; when it is not finite, the weights are examined to tell a bad loss from a bad earlier update.</summary>
    Loss,

    /// <summary>The loss and every gradient: training stops before a non-finite gradient reaches the weights.</summary>
    LossAndGradients,
}

/// <summary>How a <see cref="Trainer"/> runs. Defaults suit a first experiment; every field is optional.</summary>
public sealed record TrainerOptions
{
    /// <summary>Number of epochs (default 10).</summary>
    public int Epochs { get; init; } = 10;

    /// <summary>Training batch size (default 64).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Batch size for validation, evaluation and prediction (default 256: no gradients, so larger fits).</summary>
    public int EvaluationBatchSize { get; init; } = 256;

    /// <summary>Reshuffle the training data every epoch (default true).</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Drop the last, smaller training batch (default false).</summary>
    public bool DropLast { get; init; }

    /// <summary>Seed of the training shuffle (null: drawn from <see cref="Runtime.Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }

    /// <summary>An augmentation applied to every training batch's inputs (not to validation data).</summary>
    public Data.Augmentation.IBatchTransform? Augmentation { get; init; }

    /// <summary>At most this many training steps per epoch (null: the whole training set), e.g. for a fast mode.</summary>
    public int? MaxStepsPerEpoch { get; init; }

    /// <summary>
    /// Metrics, as factories since a metric accumulates state: one instance measures the training batches
    /// (<c>train_NAME</c>), another the validation set (<c>val_NAME</c>). E.g. <c>[() => new Accuracy()]</c>.
    /// </summary>
    public IReadOnlyList<Func<IMetric>> Metrics { get; init; } = [];

    /// <summary>Also measure the metrics on the training batches as they are trained (default true).</summary>
    public bool TrainMetrics { get; init; } = true;

    /// <summary>Callbacks, called in this order (after the non-finite guard, before the progress display).</summary>
    public IReadOnlyList<TrainingCallback> Callbacks { get; init; } = [];

    /// <summary>Show progress (default true): a live bar on a terminal, a line per epoch otherwise.</summary>
    public bool Progress { get; init; } = true;

    /// <summary>Where progress goes (default: standard output).</summary>
    public TextWriter? ProgressWriter { get; init; }

    /// <summary>
    /// What the non-finite guard checks before each optimizer step (default: the loss, which costs nothing since
    /// its value is read anyway). <see cref="NonFiniteCheck.LossAndGradients"/> also checks every gradient (one fused
    /// norm per step: about 15 % of a tiny MLP's step, negligible for real models), so a non-finite gradient is
    /// caught before the update instead of through the loss of the next step.
    /// </summary>
    public NonFiniteCheck NonFiniteCheck { get; init; } = NonFiniteCheck.Loss;

    /// <summary>How forward and backward compute (default: in the model's dtype); see <see cref="Training.Precision.Bf16Mixed"/> and <see cref="Training.Precision.Bf16Autocast"/>.</summary>
    public Precision Precision { get; init; } = Precision.Default;

    /// <summary>
    /// A checkpoint to resume from (null: start afresh). Each optimizer group continues at the checkpoint's learning rate
    /// when this run gives it the rate the checkpoint's run was given (an exact resume, schedule included); given another
    /// rate, it uses that one. Either way a line on <see cref="ProgressWriter"/> says so where the rate differs from the given.
    /// </summary>
    public string? ResumeFrom { get; init; }

    internal void Validate()
    {
        if (Epochs < 1)
            throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "Training needs at least one epoch.");
        if (BatchSize < 1 || EvaluationBatchSize < 1)
            throw new ArgumentOutOfRangeException(nameof(BatchSize), $"Batch sizes must be positive (training {BatchSize}, evaluation {EvaluationBatchSize}).");
        if (MaxStepsPerEpoch is < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxStepsPerEpoch), MaxStepsPerEpoch, "MaxStepsPerEpoch must be positive.");
    }
}
