using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Training;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Robustness;

/// <summary>The attack that makes the training examples of adversarial training.</summary>
public enum TrainingAttack
{
    /// <summary>
    /// FGSM from a random start (Wong, Rice &amp; Kolter, 2020, "Fast is better than free"): δ uniform in [−ε, ε], one
    /// signed gradient step of α (default 1.25 ε), δ clipped back to [−ε, ε]. One extra forward and backward pass per step.
    /// </summary>
    FgsmRandomStart,

    /// <summary>PGD with a random start (Madry et al., 2018): <see cref="AdversarialTrainingOptions.PgdSteps"/> extra passes per step.</summary>
    Pgd,
}

/// <summary>Options of <see cref="AdversarialTrainingStep"/>.</summary>
public sealed record AdversarialTrainingOptions
{
    /// <summary>The L∞ radius the model is trained against (default 0.3, MNIST's usual ε).</summary>
    public double Epsilon { get; init; } = 0.3;

    /// <summary>The attack (default FGSM with random start).</summary>
    public TrainingAttack Attack { get; init; } = TrainingAttack.FgsmRandomStart;

    /// <summary>The attack's step size (null: 1.25 ε for FGSM with random start, 2.5 ε / PgdSteps for PGD).</summary>
    public double? StepSize { get; init; }

    /// <summary>PGD's steps (default 7).</summary>
    public int PgdSteps { get; init; } = 7;

    /// <summary>
    /// Optimizer steps over which ε grows linearly from 0 to <see cref="Epsilon"/> (default 0: the full ε from the start).
    /// A ramp helps small models at large ε, which otherwise may not learn at all.
    /// </summary>
    public long WarmupSteps { get; init; }

    /// <summary>The valid input range (default [0, 1]).</summary>
    public (double Min, double Max) ValidRange { get; init; } = (0, 1);

    /// <summary>The training loss (default: cross-entropy, mean over the batch).</summary>
    public LossFunction? Loss { get; init; }
}

/// <summary>
/// Adversarial training as a trainer step: each batch is replaced by adversarial examples of the current model (made in
/// training mode, without touching the parameter gradients), and the model learns from those — the min-max problem of
/// Madry et al. The trainer's loop, callbacks and checkpoints work unchanged; validation is on clean data.
/// </summary>
/// <example><code>
/// var step = new AdversarialTrainingStep(model, new AdversarialTrainingOptions { Epsilon = 0.3 });
/// var trainer = new Trainer(model, step, [optim.Adam(model.parameters(), 1e-3)], new TrainerOptions { Epochs = 10 });
/// trainer.Fit(train, test);
/// </code></example>
public sealed class AdversarialTrainingStep : ITrainingStep
{
    readonly nn.Module<Tensor, Tensor> _model;
    readonly SupervisedStep _clean;
    readonly LossFunction _loss;
    readonly AdversarialTrainingOptions _options;

    /// <summary>Creates the step.</summary>
    /// <exception cref="ArgumentException">ε &lt; 0, PgdSteps &lt; 1, a step size ≤ 0, negative warm-up, or an invalid range.</exception>
    public AdversarialTrainingStep(nn.Module<Tensor, Tensor> model, AdversarialTrainingOptions? options = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _options = options ?? new AdversarialTrainingOptions();
        Attacks.CheckEpsilon(_options.Epsilon, nameof(AdversarialTrainingStep));
        if (_options.PgdSteps < 1)
            throw new ArgumentOutOfRangeException(nameof(options), _options.PgdSteps, $"AdversarialTrainingStep: PgdSteps must be at least 1, got {_options.PgdSteps}.");
        if (_options.StepSize is { } alpha && (!double.IsFinite(alpha) || alpha <= 0))
            throw new ArgumentOutOfRangeException(nameof(options), alpha, $"AdversarialTrainingStep: StepSize must be a finite number > 0, got {alpha}.");
        if (_options.WarmupSteps < 0)
            throw new ArgumentOutOfRangeException(nameof(options), _options.WarmupSteps, "AdversarialTrainingStep: WarmupSteps must be ≥ 0.");
        if (!(_options.ValidRange.Min < _options.ValidRange.Max))
            throw new ArgumentException($"AdversarialTrainingStep: ValidRange needs Min < Max, got [{_options.ValidRange.Min}, {_options.ValidRange.Max}].", nameof(options));
        _loss = _options.Loss ?? ((o, y) => nn.functional.cross_entropy(o, y));
        _clean = new SupervisedStep(model, _loss);
    }

    /// <summary>The ε used at optimizer step <paramref name="step"/> (0-based), after the warm-up ramp: in (0, <see cref="AdversarialTrainingOptions.Epsilon"/>].</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="step"/> is negative (the ramp would give a negative radius).</exception>
    public double EpsilonAt(long step)
    {
        if (step < 0)
            throw new ArgumentOutOfRangeException(nameof(step), step, $"AdversarialTrainingStep.EpsilonAt: the step is {step}; optimizer steps count from 0.");
        return _options.WarmupSteps == 0 ? _options.Epsilon : _options.Epsilon * Math.Min(1.0, (step + 1.0) / _options.WarmupSteps);
    }

    /// <inheritdoc/>
    public nn.Module Model => _model;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        var epsilon = EpsilonAt(context.GlobalStep);
        var adversarial = Perturb(batch.Inputs, batch.Targets, epsilon);
        var output = SupervisedStep.InFloat32(_model.call(adversarial));
        var loss = _loss(output, batch.Targets);
        return new StepResult(loss, output, new Dictionary<string, Tensor> { ["epsilon"] = tensor(epsilon) });
    }

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context) => _clean.EvaluationStep(batch, context);

    /// <inheritdoc/>
    public void CheckData(InMemoryDataset data, Device device, ScalarType? inputType)
    {
        _clean.CheckData(data, device, inputType);
        TensorChecks.RequireFinite($"AdversarialTrainingStep ({data.Name})", data.Inputs, "inputs");
        var (min, max) = (data.Inputs.min().item<float>(), data.Inputs.max().item<float>());
        if (min < _options.ValidRange.Min - 1e-6 || max > _options.ValidRange.Max + 1e-6)
            throw new ArgumentException($"AdversarialTrainingStep: {data.Name}'s inputs range from {min:G4} to {max:G4}, outside the valid range [{_options.ValidRange.Min}, {_options.ValidRange.Max}]; train on unnormalised pixels, or set ValidRange.", nameof(data));
    }

    /// <summary>The adversarial examples of a batch (in the model's current mode), detached.</summary>
    Tensor Perturb(Tensor inputs, Tensor targets, double epsilon)
    {
        var (min, max) = _options.ValidRange;
        var x = inputs.detach();
        if (epsilon == 0)
            return x;
        var attackOptions = new AttackOptions { Loss = _options.Loss, ValidRange = _options.ValidRange };
        using var generator = new Generator((ulong)Runtime.Seeding.NextSeed(), CPU);
        var delta = Attacks.RandomInBall(x, epsilon, PerturbationNorm.LInfinity, generator);
        delta = (x + delta).clamp(min, max) - x;
        var steps = _options.Attack == TrainingAttack.FgsmRandomStart ? 1 : _options.PgdSteps;
        var alpha = _options.StepSize ?? (_options.Attack == TrainingAttack.FgsmRandomStart ? 1.25 * epsilon : 2.5 * epsilon / steps);
        for (var i = 0; i < steps; i++)
        {
            var gradient = Attacks.LossGradient(_model, x + delta, targets, attackOptions);
            delta = (delta + alpha * gradient.sign()).clamp(-epsilon, epsilon);
            delta = ((x + delta).clamp(min, max) - x).detach();
        }
        return x + delta;
    }
}
