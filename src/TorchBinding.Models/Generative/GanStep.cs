using TorchBinding.Data;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>What the generator minimises.</summary>
public enum GanLoss
{
    /// <summary>
    /// The non-saturating loss (Goodfellow et al., 2014, section 3): −log D(G(z)), i.e. BCE against the "real" label.
    /// Strong gradients while D easily rejects the samples, which is early in training. The course's choice.
    /// </summary>
    NonSaturating,

    /// <summary>
    /// The minimax loss as written in the game's value function: log(1 − D(G(z))), i.e. minus the BCE against
    /// "fake". Its gradient vanishes when D(G(z)) ≈ 0, so it learns slowly at the start (shown for the lecture).
    /// </summary>
    Minimax,
}

/// <summary>Options of a <see cref="GanStep"/>.</summary>
public sealed record GanStepOptions
{
    /// <summary>The generator's loss (default non-saturating).</summary>
    public GanLoss GeneratorLoss { get; init; } = GanLoss.NonSaturating;

    /// <summary>
    /// The target of real samples in the discriminator's loss (default 1). One-sided label smoothing sets it to
    /// e.g. 0.9, so D is not rewarded for overconfidence; fake samples keep target 0 (Salimans et al., 2016).
    /// </summary>
    public double RealLabel { get; init; } = 1.0;

    /// <summary>
    /// Detach the generated batch before the discriminator's loss (default true), so the discriminator's backward
    /// stops at the samples and leaves the generator's gradients untouched. The course's notebook does not detach:
    /// its D backward also fills G's gradients, which G's own <c>zero_grad</c> discards — the same updates, with a
    /// wasted backward through G, and a trap once anything reads those gradients in between.
    /// </summary>
    public bool DetachFakeForDiscriminator { get; init; } = true;

    /// <summary>
    /// Instance noise (Sønderby et al., 2016): the standard deviation of Gaussian noise added to every sample the
    /// discriminator sees, real and generated, in both steps (default 0: none). When the data sit on a few points
    /// (coin flips, or images on a thin manifold) and the samples elsewhere, the supports barely overlap and an
    /// unblurred D gives G a gradient that can trap it on one mode; blurring both overlaps them.
    /// </summary>
    public double InstanceNoise { get; init; }

    /// <summary>
    /// The weight γ of the R1 gradient penalty (Mescheder et al., 2018), γ/2 · E_real ‖∇ₓ D(x)‖², added to the
    /// discriminator's loss (default 0: none). It flattens D at the data, which stops the oscillation around a point
    /// mass that unregularised GAN training shows (their "Dirac-GAN", the coin flips' case).
    /// </summary>
    public double R1Penalty { get; init; }

    /// <summary>Let the instance noise fall linearly to 0 over the run's planned steps (default true), so the end of training sees the data as they are.</summary>
    public bool AnnealInstanceNoise { get; init; } = true;

    internal void Validate()
    {
        if (!(R1Penalty >= 0) || double.IsInfinity(R1Penalty))
            throw new ArgumentOutOfRangeException(nameof(R1Penalty), R1Penalty, "GanStepOptions.R1Penalty must be a finite weight >= 0.");
        if (!(InstanceNoise >= 0) || double.IsInfinity(InstanceNoise))
            throw new ArgumentOutOfRangeException(nameof(InstanceNoise), InstanceNoise, "GanStepOptions.InstanceNoise must be a finite standard deviation >= 0.");
        if (!(RealLabel > 0 && RealLabel <= 1))
            throw new ArgumentOutOfRangeException(nameof(RealLabel), RealLabel, "GanStepOptions.RealLabel must be in (0, 1] (1: no smoothing, 0.9: one-sided label smoothing).");
    }
}

/// <summary>
/// One step of GAN training as an <see cref="ITrainingStep"/>, with the trainer's two optimizers (the
/// discriminator's first, as <see cref="Gan.OptimizerRecipes"/> orders them), stepped in turn through <see cref="TrainingContext.Minimize"/>:
/// <list type="number">
/// <item>Discriminator: z ~ N(0, I), fake = G(z) (detached), d_loss = ½ [BCE(D(real), RealLabel) + BCE(D(fake), 0)];
/// backward, step. ½ of the two makes it the course's BCE over the concatenated batch (ln 2 ≈ 0.693 at equilibrium).</item>
/// <item>Generator: fresh z, g_loss = BCE(D(G(z)), 1) (non-saturating) or −BCE(D(G(z)), 0) (minimax); backward, step.</item>
/// </list>
/// With <see cref="GanStepOptions.InstanceNoise"/>, D sees every sample with Gaussian noise added; with
/// <see cref="GanStepOptions.R1Penalty"/>, D's step minimises d_loss plus the penalty (<c>d_loss</c> is logged without it).
/// A conditional GAN generates each fake with the label of the real sample at the same position, so fakes have
/// the data's class frequencies. The step's <c>loss</c> is <c>d_loss</c>; its values are <c>d_loss</c>,
/// <c>g_loss</c>, <c>d_real</c> and <c>d_fake</c> (the mean D(x) on the real batch and on the discriminator
/// step's fakes: both tend to ½ as G improves). Inputs are <c>batch.Inputs</c>; <c>batch.Targets</c> are the
/// labels of a conditional GAN and ignored otherwise.
/// </summary>
public sealed class GanStep : ITrainingStep
{
    readonly Gan _gan;

    /// <summary>Creates the step for <paramref name="gan"/>.</summary>
    public GanStep(Gan gan, GanStepOptions? options = null)
    {
        _gan = gan ?? throw new ArgumentNullException(nameof(gan));
        Options = options ?? new GanStepOptions();
        Options.Validate();
    }

    /// <summary>The options.</summary>
    public GanStepOptions Options { get; }

    /// <inheritdoc/>
    public nn.Module Model => _gan;

    /// <summary>False: the discriminator and the generator are optimized in turn, each through <see cref="TrainingContext.Minimize"/>.</summary>
    public bool AutomaticOptimization => false;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(context);
        CheckOptimizers(context);
        var real = batch.Inputs;
        var labels = _gan.IsConditional ? batch.Targets : null;
        var n = real.shape[0];

        // Discriminator step: the generated batch is detached, so backward stops there.
        var fake = _gan.Generator.call(_gan.Generator.Latent(n), labels);
        if (Options.DetachFakeForDiscriminator)
            fake = fake.detach();
        var noise = NoiseLevel(context);
        var realInput = Blur(real, noise);
        if (Options.R1Penalty > 0)
            realInput = realInput.detach().requires_grad_(true);
        var realLogits = _gan.Discriminator.call(realInput, labels);
        var fakeLogits = _gan.Discriminator.call(Blur(fake, noise), labels);
        var dLoss = DiscriminatorLoss(realLogits, fakeLogits, Options.RealLabel);
        var objective = dLoss;
        if (Options.R1Penalty > 0)
            objective = dLoss + Options.R1Penalty / 2 * GradientPenalty(realLogits, realInput);
        context.Minimize(objective, DiscriminatorOptimizer);

        // Generator step: a fresh batch through the updated discriminator.
        var gLogits = _gan.Discriminator.call(Blur(_gan.Generator.call(_gan.Generator.Latent(n), labels), noise), labels);
        var gLoss = GeneratorLoss(gLogits, Options.GeneratorLoss);
        context.Minimize(gLoss, GeneratorOptimizer);

        using var _ = no_grad();
        return new StepResult(dLoss, null, new Dictionary<string, Tensor>
        {
            ["d_loss"] = dLoss,
            ["g_loss"] = gLoss,
            ["d_real"] = torch.sigmoid(realLogits).mean(),
            ["d_fake"] = torch.sigmoid(fakeLogits).mean(),
        });
    }

    /// <summary>The discriminator's loss on a batch (no learning): <c>d_loss</c>, <c>g_loss</c> and D(x) on real and generated samples.</summary>
    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var labels = _gan.IsConditional ? batch.Targets : null;
        var realLogits = _gan.Discriminator.call(batch.Inputs, labels);
        var fakeLogits = _gan.Discriminator.call(_gan.Generator.call(_gan.Generator.Latent(batch.Inputs.shape[0]), labels), labels);
        var dLoss = DiscriminatorLoss(realLogits, fakeLogits, Options.RealLabel);
        return new StepResult(dLoss, null, new Dictionary<string, Tensor>
        {
            ["d_loss"] = dLoss,
            ["g_loss"] = GeneratorLoss(fakeLogits, Options.GeneratorLoss),
            ["d_real"] = torch.sigmoid(realLogits).mean(),
            ["d_fake"] = torch.sigmoid(fakeLogits).mean(),
        });
    }

    /// <summary>
    /// E‖∇ₓ logit(x)‖², the mean over the batch of each sample's squared gradient norm, differentiable (for the R1
    /// penalty). <paramref name="inputs"/> must require gradients and <paramref name="logits"/> <c>[N]</c> be computed from them.
    /// </summary>
    public static Tensor GradientPenalty(Tensor logits, Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(inputs);
        if (!inputs.requires_grad)
            throw new ArgumentException("GanStep.GradientPenalty: the inputs must require gradients (inputs.requires_grad_(true) before the discriminator).", nameof(inputs));
        var gradient = torch.autograd.grad([logits.sum()], [inputs], retain_graph: true, create_graph: true)[0];
        return gradient.square().reshape(inputs.shape[0], -1).sum(1).mean();
    }

    /// <summary>The instance noise's standard deviation at the context's step.</summary>
    double NoiseLevel(TrainingContext context)
    {
        if (Options.InstanceNoise == 0 || !Options.AnnealInstanceNoise || context.PlannedSteps <= 0)
            return Options.InstanceNoise;
        return Options.InstanceNoise * Math.Max(0, 1 - (double)context.GlobalStep / context.PlannedSteps);
    }

    static Tensor Blur(Tensor samples, double std) => std > 0 ? samples + std * randn_like(samples) : samples;

    /// <summary>½ [BCE(real logits, <paramref name="realLabel"/>) + BCE(fake logits, 0)].</summary>
    public static Tensor DiscriminatorLoss(Tensor realLogits, Tensor fakeLogits, double realLabel = 1.0)
    {
        ArgumentNullException.ThrowIfNull(realLogits);
        ArgumentNullException.ThrowIfNull(fakeLogits);
        var real = nn.functional.binary_cross_entropy_with_logits(realLogits, torch.full_like(realLogits, realLabel));
        var fake = nn.functional.binary_cross_entropy_with_logits(fakeLogits, torch.zeros_like(fakeLogits));
        return (real + fake) * 0.5;
    }

    /// <summary>The generator's loss from the discriminator's logits on generated samples.</summary>
    public static Tensor GeneratorLoss(Tensor fakeLogits, GanLoss loss = GanLoss.NonSaturating)
    {
        ArgumentNullException.ThrowIfNull(fakeLogits);
        return loss == GanLoss.NonSaturating
            ? nn.functional.binary_cross_entropy_with_logits(fakeLogits, torch.ones_like(fakeLogits))
            : -nn.functional.binary_cross_entropy_with_logits(fakeLogits, torch.zeros_like(fakeLogits));
    }

    /// <summary>The discriminator's optimizer's index (the first, as <see cref="Gan.OptimizerRecipes"/> orders them).</summary>
    public const int DiscriminatorOptimizer = 0;

    /// <summary>The generator's optimizer's index.</summary>
    public const int GeneratorOptimizer = 1;

    void CheckOptimizers(TrainingContext context)
    {
        var optimizers = context.Optimizers;
        if (optimizers.Count != 2)
            throw new InvalidOperationException($"GanStep needs two optimizers, the discriminator's then the generator's (gan.OptimizerRecipes()); the trainer has {optimizers.Count}.");
        if (!Holds(optimizers[DiscriminatorOptimizer], _gan.Discriminator) || !Holds(optimizers[GeneratorOptimizer], _gan.Generator))
            throw new InvalidOperationException("GanStep expects the discriminator's optimizer first and the generator's second (as gan.OptimizerRecipes() returns them); these optimizers hold other parameters.");
    }

    static bool Holds(optim.Optimizer optimizer, nn.Module module)
    {
        var first = module.parameters().First();
        return optimizer.parameters().Any(p => ReferenceEquals(p, first) || p.Handle == first.Handle);
    }
}
