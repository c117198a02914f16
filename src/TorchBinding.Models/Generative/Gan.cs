using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>
/// A GAN's generator: latent codes <c>z [N, LatentSize]</c> (and, for a conditional generator, class labels
/// <c>[N]</c>) to samples <c>[N, ...OutputShape]</c>. Call it as <c>generator.call(z, labels)</c> with
/// <c>labels</c> null for an unconditional one.
/// </summary>
public abstract class GanGenerator : nn.Module<Tensor, Tensor?, Tensor>
{
    /// <summary>Initialises the generator's common part.</summary>
    /// <param name="name">The module name (used in messages).</param>
    /// <param name="latentSize">The length of a latent code.</param>
    /// <param name="outputShape">The shape of one sample.</param>
    /// <param name="conditioning">The class conditioning (null: unconditional).</param>
    private protected GanGenerator(string name, int latentSize, IReadOnlyList<long> outputShape, LabelConditioning? conditioning) : base(ModuleName.AfterRuntimeStart(name))
    {
        if (latentSize < 1)
            throw new ArgumentException($"{name}: the latent size must be positive, got {latentSize}.", nameof(latentSize));
        ArgumentNullException.ThrowIfNull(outputShape);
        if (outputShape.Count == 0 || outputShape.Any(d => d < 1))
            throw new ArgumentException($"{name}: the output shape must be non-empty and positive, got {Shapes.Format(outputShape.ToArray())}.", nameof(outputShape));
        LatentSize = latentSize;
        OutputShape = outputShape.ToArray();
        Conditioning = conditioning;
    }

    /// <summary>The length of a latent code z.</summary>
    public int LatentSize { get; }

    /// <summary>The shape of one generated sample, e.g. <c>[1, 28, 28]</c>.</summary>
    public IReadOnlyList<long> OutputShape { get; }

    /// <summary>The class conditioning, or null for an unconditional generator.</summary>
    public LabelConditioning? Conditioning { get; }

    /// <summary>The number of classes it is conditioned on (0: unconditional).</summary>
    public int Classes => Conditioning?.Classes ?? 0;

    /// <summary>
    /// <paramref name="count"/> latent codes z ~ N(0, I) <c>[count, LatentSize]</c> on the generator's device, drawn
    /// from <paramref name="generator"/> when given (for reproducible samples), else from the global generator.
    /// </summary>
    public Tensor Latent(long count, torch.Generator? generator = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var device = parameters().First().device;
        if (generator is null)
            return randn(count, LatentSize, device: device);
        using var cpu = randn(count, LatentSize, generator: generator);
        return cpu.to(device);
    }

    /// <summary>
    /// <paramref name="count"/> samples in evaluation mode without gradients (the mode is restored afterwards);
    /// <paramref name="labels"/> <c>[count]</c> for a conditional generator.
    /// </summary>
    public Tensor Sample(long count, Tensor? labels = null, torch.Generator? generator = null)
    {
        var wasTraining = training;
        eval();
        try
        {
            using var _ = no_grad();
            using var z = Latent(count, generator);
            var samples = call(z, labels?.to(z.device));
            if (samples.dtype == z.dtype)
                return samples;
            // Under autocast (bfloat16 inference) the samples come back in the latent codes' dtype.
            using (samples)
                return samples.to(z.dtype);
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>Checks z (and the labels) and returns the labels' vectors (null for an unconditional generator).</summary>
    private protected void CheckLatent(Tensor z, Tensor? labels, Tensor parameter, LabelEncoder? encoder)
    {
        ArgumentNullException.ThrowIfNull(z);
        var name = GetName();
        if (z.dim() != 2 || z.shape[1] != LatentSize)
            throw new ArgumentException($"{name} expects latent codes [N, {LatentSize}], got {Shapes.Format(z)}.", nameof(z));
        InputChecks.LikeParameters(z, name, parameter);
        LabelEncoder.CheckPresence(name, encoder, z, labels);
    }
}

/// <summary>
/// A GAN's discriminator: samples <c>[N, ...]</c> (and, for a conditional one, labels <c>[N]</c>) to one logit per
/// sample <c>[N]</c>: the log-odds that the sample is real. D(x) = sigmoid(logit); the losses use the logits
/// (<c>binary_cross_entropy_with_logits</c>), which is the course's Sigmoid + BCELoss, computed stably.
/// </summary>
public abstract class GanDiscriminator : nn.Module<Tensor, Tensor?, Tensor>
{
    /// <summary>Initialises the discriminator's common part.</summary>
    private protected GanDiscriminator(string name, IReadOnlyList<long> inputShape, LabelConditioning? conditioning) : base(ModuleName.AfterRuntimeStart(name))
    {
        ArgumentNullException.ThrowIfNull(inputShape);
        if (inputShape.Count == 0 || inputShape.Any(d => d < 1))
            throw new ArgumentException($"{name}: the input shape must be non-empty and positive, got {Shapes.Format(inputShape.ToArray())}.", nameof(inputShape));
        InputShape = inputShape.ToArray();
        Conditioning = conditioning;
    }

    /// <summary>The shape of one sample it judges.</summary>
    public IReadOnlyList<long> InputShape { get; }

    /// <summary>The class conditioning, or null for an unconditional discriminator.</summary>
    public LabelConditioning? Conditioning { get; }

    /// <summary>The number of classes it is conditioned on (0: unconditional).</summary>
    public int Classes => Conditioning?.Classes ?? 0;

    /// <summary>Checks a batch of samples (and labels) against <see cref="InputShape"/>.</summary>
    private protected void CheckSamples(Tensor input, Tensor? labels, Tensor parameter, LabelEncoder? encoder)
    {
        ArgumentNullException.ThrowIfNull(input);
        var name = GetName();
        if (input.dim() != InputShape.Count + 1 || !input.shape[1..].SequenceEqual(InputShape))
            throw new ArgumentException($"{name} expects samples [N, {string.Join(", ", InputShape)}], got {Shapes.Format(input)}.", nameof(input));
        InputChecks.LikeParameters(input, name, parameter);
        LabelEncoder.CheckPresence(name, encoder, input, labels);
    }
}

/// <summary>
/// A generator and a discriminator as one module (children <c>generator</c> and <c>discriminator</c>), so the
/// trainer moves, saves and checkpoints both; trained by <see cref="GanStep"/> with two optimizers from
/// <see cref="OptimizerRecipes"/>.
/// </summary>
/// <example>
/// <code>
/// var gan = new Gan(new DcganGenerator(), new DcganDiscriminator());
/// var trainer = new Trainer(new GanStep(gan), Gan.OptimizerRecipes(), new TrainerOptions { Epochs = 5, BatchSize = 128 });
/// trainer.Fit(mnist.WithInputs(mnist.Inputs * 2 - 1));   // the generator's tanh output lies in [-1, 1]
/// </code>
/// </example>
public sealed class Gan : nn.Module
{
    readonly GanGenerator generator;
    readonly GanDiscriminator discriminator;

    /// <summary>Pairs a generator with a discriminator of its samples (same sample shape and classes).</summary>
    /// <exception cref="ArgumentException">The discriminator judges another shape, or the two are conditioned differently.</exception>
    public Gan(GanGenerator generator, GanDiscriminator discriminator) : base(ModuleName.AfterRuntimeStart("gan"))
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(discriminator);
        if (!generator.OutputShape.SequenceEqual(discriminator.InputShape))
            throw new ArgumentException($"gan: the generator makes samples {Shapes.Format(generator.OutputShape.ToArray())} but the discriminator judges {Shapes.Format(discriminator.InputShape.ToArray())}.");
        if (generator.Classes != discriminator.Classes)
            throw new ArgumentException($"gan: the generator is conditioned on {generator.Classes} classes but the discriminator on {discriminator.Classes} (0: unconditional); condition both alike.");
        this.generator = generator;
        this.discriminator = discriminator;
        RegisterComponents();
    }

    /// <summary>The generator's module name inside the GAN (its parameters are <c>generator.*</c>).</summary>
    public const string GeneratorName = nameof(generator);

    /// <summary>The discriminator's module name inside the GAN.</summary>
    public const string DiscriminatorName = nameof(discriminator);

    /// <summary>The generator.</summary>
    public GanGenerator Generator => generator;

    /// <summary>The discriminator.</summary>
    public GanDiscriminator Discriminator => discriminator;

    /// <summary>Whether both are conditioned on class labels (a conditional GAN).</summary>
    public bool IsConditional => generator.Classes > 0;

    /// <summary>
    /// Two Adam recipes in the order <see cref="GanStep"/> expects: the discriminator's first, then the generator's.
    /// The defaults are the DCGAN paper's (learning rate 2e-4, β₁ = 0.5); the course's coin GAN uses 1e-3 and β₁ = 0.9.
    /// <paramref name="discriminatorLearningRate"/> (default: <paramref name="learningRate"/>) gives the discriminator
    /// its own rate: the two time-scale update rule (Heusel et al., 2017) lets it learn faster than the generator.
    /// </summary>
    public static IReadOnlyList<OptimizerRecipe> OptimizerRecipes(double learningRate = 2e-4, double beta1 = 0.5, double beta2 = 0.999, double? discriminatorLearningRate = null) =>
    [
        Optim.Adam(discriminatorLearningRate ?? learningRate, beta1, beta2).Of(DiscriminatorName),
        Optim.Adam(learningRate, beta1, beta2).Of(GeneratorName),
    ];
}
