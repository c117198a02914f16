using TorchBinding.Analysis.Interpretability;
using TorchBinding.Losses;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Robustness;

/// <summary>The norm that measures (and bounds) an adversarial perturbation.</summary>
public enum PerturbationNorm
{
    /// <summary>L∞: every input value moves by at most ε.</summary>
    LInfinity,

    /// <summary>L2: the perturbation's Euclidean length (per sample) is at most ε.</summary>
    L2,
}

/// <summary>Options shared by the gradient attacks.</summary>
public record AttackOptions
{
    /// <summary>The loss the attack increases (default: cross-entropy, summed over the batch so each sample's gradient is its own).</summary>
    public LossFunction? Loss { get; init; }

    /// <summary>The valid input range: adversarial inputs are clamped to it, and clean inputs must lie in it (default [0, 1], pixels).</summary>
    public (double Min, double Max) ValidRange { get; init; } = (0, 1);

    /// <summary>Targeted attack: <c>targets</c> are the classes to reach, and the attack decreases their loss (default false: the true classes, whose loss it increases).</summary>
    public bool Targeted { get; init; }

    /// <summary>Inputs through the model at once (default 256).</summary>
    public int BatchSize { get; init; } = 256;
}

/// <summary>Projected gradient descent's options (Madry et al., 2018).</summary>
public sealed record PgdOptions : AttackOptions
{
    /// <summary>The radius ε of the allowed perturbations (required, ≥ 0).</summary>
    public required double Epsilon { get; init; }

    /// <summary>The step size α (null: 2.5 ε / Steps, Madry et al.'s choice, which can cross the ball in the steps given).</summary>
    public double? StepSize { get; init; }

    /// <summary>Gradient steps (default 20: PGD-20).</summary>
    public int Steps { get; init; } = 20;

    /// <summary>The norm of the ball (default L∞).</summary>
    public PerturbationNorm Norm { get; init; } = PerturbationNorm.LInfinity;

    /// <summary>Start at a uniformly random point of the ball instead of the input (default true).</summary>
    public bool RandomStart { get; init; } = true;

    /// <summary>The random start's seed (null: drawn from <see cref="Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }
}

/// <summary>
/// Gradient attacks ("deep networks are easily fooled"): a perturbation too small to see that changes the prediction,
/// found by following the loss gradient with respect to the input. The model runs in eval mode (its modes are restored);
/// parameter gradients are not touched; the result is detached, on the input's device.
/// </summary>
/// <example><code>
/// var adversarial = Attacks.Fgsm(model, images, labels, epsilon: 0.1);
/// var strong = Attacks.Pgd(model, images, labels, new PgdOptions { Epsilon = 0.3, Steps = 20 });
/// </code></example>
public static class Attacks
{
    /// <summary>
    /// The fast gradient sign method (Goodfellow et al., 2015): one step of size ε in the sign of the loss gradient,
    /// x + ε·sign(∇ₓL), clamped to the valid range: the worst case of a linear model within the L∞ ball.
    /// </summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">Clean inputs <c>[N, ...]</c> in the valid range.</param>
    /// <param name="targets">True classes <c>[N]</c> (the classes to reach, when targeted).</param>
    /// <param name="epsilon">The step, ≥ 0 (0 returns the inputs).</param>
    /// <param name="options">Loss, valid range, targeted.</param>
    /// <exception cref="ArgumentException">ε is negative or not finite, an input is NaN or infinite or leaves the valid range, or inputs and targets do not match.</exception>
    public static Tensor Fgsm(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, double epsilon, AttackOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var section = Profiler.Measure("fgsm");
        options ??= new AttackOptions();
        CheckEpsilon(epsilon, "Fgsm");
        Check(inputs, targets, options, "Fgsm");
        using var eval = new EvalMode(model);
        return Attribution.Batched(inputs, targets, options.BatchSize, (x, t) =>
        {
            var gradient = LossGradient(model, x, t, options);
            return (x + epsilon * gradient.sign()).clamp(options.ValidRange.Min, options.ValidRange.Max);
        });
    }

    /// <summary>
    /// Projected gradient descent (Madry et al., 2018): from a random point of the ε-ball, <see cref="PgdOptions.Steps"/>
    /// steps of size α — the gradient's sign (L∞) or its direction (L2) — each followed by the projection back onto the
    /// ball around the input and onto the valid range. The strongest first-order attack; FGSM is its one-step case.
    /// </summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">Clean inputs <c>[N, ...]</c> in the valid range.</param>
    /// <param name="targets">True classes <c>[N]</c> (the classes to reach, when targeted).</param>
    /// <param name="options">ε, step size, steps, norm, random start.</param>
    /// <exception cref="ArgumentException">ε &lt; 0, Steps &lt; 1, a step size ≤ 0, NaN or infinite inputs, inputs outside the valid range, or inputs and targets do not match.</exception>
    public static Tensor Pgd(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, PgdOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var section = Profiler.Measure("pgd");
        ArgumentNullException.ThrowIfNull(options);
        CheckEpsilon(options.Epsilon, "Pgd");
        if (options.Steps < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Steps, $"Pgd: Steps must be at least 1, got {options.Steps}.");
        if (options.StepSize is { } given && (!double.IsFinite(given) || given <= 0))
            throw new ArgumentOutOfRangeException(nameof(options), given, $"Pgd: StepSize must be a finite number > 0, got {given}.");
        var alpha = options.StepSize ?? 2.5 * options.Epsilon / options.Steps;
        Check(inputs, targets, options, "Pgd");
        using var eval = new EvalMode(model);
        using var generator = new Generator((ulong)(options.Seed ?? Seeding.NextSeed()), CPU);
        var (min, max) = options.ValidRange;
        return Attribution.Batched(inputs, targets, options.BatchSize, (x, t) =>
        {
            x = x.detach();
            var adversarial = options.RandomStart ? (x + RandomInBall(x, options.Epsilon, options.Norm, generator)).clamp(min, max) : x.clone();
            for (var step = 0; step < options.Steps; step++)
            {
                using var scope = NewDisposeScope();
                var gradient = LossGradient(model, adversarial, t, options);
                var moved = adversarial + alpha * Direction(gradient, options.Norm);
                adversarial = (x + Project(moved - x, options.Epsilon, options.Norm)).clamp(min, max).detach().MoveToOuterDisposeScope();
            }
            return adversarial;
        });
    }

    /// <summary>The perturbation projected onto the ε-ball of <paramref name="norm"/> (per sample).</summary>
    internal static Tensor Project(Tensor delta, double epsilon, PerturbationNorm norm)
    {
        if (norm == PerturbationNorm.LInfinity)
            return delta.clamp(-epsilon, epsilon);
        var length = SampleNorms(delta);
        var factor = (epsilon / length.clamp_min(1e-12)).clamp_max(1);
        return delta * factor;
    }

    /// <summary>The step direction: the sign (L∞) or the unit vector (L2) of the gradient, per sample.</summary>
    internal static Tensor Direction(Tensor gradient, PerturbationNorm norm) =>
        norm == PerturbationNorm.LInfinity ? gradient.sign() : gradient / SampleNorms(gradient).clamp_min(1e-12);

    /// <summary>Each sample's L2 norm, shaped to broadcast against the batch <c>[N, 1, ...]</c>.</summary>
    internal static Tensor SampleNorms(Tensor batch) =>
        batch.flatten(1).norm(1, keepdim: true, p: 2).view([batch.shape[0], .. Enumerable.Repeat(1L, (int)batch.dim() - 1)]);

    /// <summary>A uniformly random point of the ε-ball: per value in [−ε, ε] (L∞), or a random direction at a radius ε·u^(1/d) (L2, uniform in volume).</summary>
    internal static Tensor RandomInBall(Tensor like, double epsilon, PerturbationNorm norm, Generator generator)
    {
        if (norm == PerturbationNorm.LInfinity)
            return ((rand(like.shape, dtype: ScalarType.Float32, generator: generator) * 2 - 1) * epsilon).to(like.dtype).to(like.device);
        var direction = randn(like.shape, dtype: ScalarType.Float32, generator: generator).to(like.dtype).to(like.device);
        direction /= SampleNorms(direction).clamp_min(1e-12);
        var dimensions = like.numel() / like.shape[0];
        var radius = rand([like.shape[0]], dtype: ScalarType.Float32, generator: generator).pow(1.0 / dimensions).to(like.dtype).to(like.device) * epsilon;
        return direction * radius.view([like.shape[0], .. Enumerable.Repeat(1L, (int)like.dim() - 1)]);
    }

    /// <summary>∇ₓ of the attack's loss (summed over the batch; negated for a targeted attack, which descends).</summary>
    internal static Tensor LossGradient(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, AttackOptions options)
    {
        using var grad = enable_grad();
        var x = inputs.detach().requires_grad_(true);
        var output = model.call(x);
        ClassScores.CheckTargets(output, targets, "attack");
        var t = targets.to(output.device);
        var loss = options.Loss is { } custom ? custom(output, t) : nn.functional.cross_entropy(output, t, reduction: nn.Reduction.Sum);
        if (loss.numel() != 1)
            throw new ArgumentException($"The attack's loss must be a scalar; got {Shapes.Format(loss)}.", nameof(options));
        if (!loss.requires_grad)
            return zeros_like(x);
        var gradient = torch.autograd.grad([loss], [x], allow_unused: true)[0];
        if (gradient.IsInvalid)
            return zeros_like(x);
        return options.Targeted ? -gradient : gradient;
    }

    internal static void CheckEpsilon(double epsilon, string who)
    {
        if (!double.IsFinite(epsilon) || epsilon < 0)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, $"{who}: epsilon must be a finite number ≥ 0 (the perturbation's size), got {epsilon}.");
    }

    internal static void Check(Tensor inputs, Tensor targets, AttackOptions options, string who)
    {
        AttributionChecks.Inputs(inputs, targets, who);
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), who);
        var (min, max) = options.ValidRange;
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(min < max))
            throw new ArgumentException($"{who}: ValidRange must be finite with Min < Max; got [{min}, {max}].", nameof(options));
        // NaN passes the range check below (every comparison with NaN is false), and its gradient sign is 0.
        TensorChecks.RequireFinite(who, inputs, nameof(inputs));
        using var scope = NewDisposeScope();
        var (lo, hi) = (inputs.min().to(float64).item<double>(), inputs.max().to(float64).item<double>());
        const double tolerance = 1e-6;
        if (lo < min - tolerance || hi > max + tolerance)
            throw new ArgumentException($"{who}: the inputs range from {lo:G4} to {hi:G4}, outside the valid range [{min}, {max}]; attack unnormalised pixels, or set ValidRange to your inputs' range.", nameof(inputs));
    }
}
