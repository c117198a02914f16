using TorchBinding.Activations;
using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>The decoder's distribution p(x | z) of a <see cref="VariationalAutoencoder"/>.</summary>
public enum DecoderLikelihood
{
    /// <summary>
    /// Independent Bernoulli values with probabilities σ(logits): the reconstruction term is the binary cross-entropy
    /// summed over the values. On grey-level MNIST (values in [0, 1]) this is the usual choice, though strictly a
    /// likelihood only for binary pixels.
    /// </summary>
    Bernoulli,

    /// <summary>
    /// Independent Gaussians N(μ(z), σ²) with a fixed σ (<see cref="VariationalAutoencoderOptions.DecoderStd"/>): the
    /// reconstruction term is Σ (x − μ)² / (2σ²) + (D/2) log 2πσ².
    /// </summary>
    Gaussian,
}

/// <summary>Options of a <see cref="VariationalAutoencoder"/>; the defaults are an MNIST VAE with a 2-D latent space.</summary>
public sealed record VariationalAutoencoderOptions
{
    /// <summary>The number of input values (784 for flattened 28x28 images).</summary>
    public int InputSize { get; init; } = 784;

    /// <summary>The encoder's hidden layer sizes, first first; the decoder uses them reversed.</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [512, 256];

    /// <summary>The dimension of the latent space (at least 1).</summary>
    public int LatentSize { get; init; } = 2;

    /// <summary>The activation of the hidden layers.</summary>
    public Activation Activation { get; init; } = Activation.ReLU;

    /// <summary>The decoder's distribution.</summary>
    public DecoderLikelihood Likelihood { get; init; } = DecoderLikelihood.Bernoulli;

    /// <summary>The fixed standard deviation σ of a Gaussian decoder.</summary>
    public double DecoderStd { get; init; } = 1.0;

    /// <summary>The weight β of the KL term in the training loss (1: the ELBO; β &gt; 1: a β-VAE).</summary>
    public double Beta { get; init; } = 1.0;

    internal void Validate()
    {
        if (InputSize < 1)
            throw new ArgumentException($"VariationalAutoencoderOptions.InputSize must be positive, got {InputSize}.");
        if (LatentSize < 1)
            throw new ArgumentException($"VariationalAutoencoderOptions: the latent size must be at least 1, got {LatentSize}.");
        if (Hidden is null || Hidden.Count == 0 || Hidden.Any(h => h < 1))
            throw new ArgumentException($"VariationalAutoencoderOptions.Hidden needs at least one layer, all positive, got [{string.Join(", ", Hidden ?? [])}].");
        if (!(DecoderStd > 0) || !double.IsFinite(DecoderStd))
            throw new ArgumentException($"VariationalAutoencoderOptions.DecoderStd must be a finite number > 0, got {DecoderStd}.");
        if (!(Beta >= 0) || !double.IsFinite(Beta))
            throw new ArgumentException($"VariationalAutoencoderOptions.Beta must be a finite number >= 0, got {Beta}.");
    }
}

/// <summary>
/// The terms of a VAE's loss on a batch, each a scalar tensor averaged over the batch's samples (nats per sample).
/// </summary>
/// <param name="Loss">Reconstruction + β·KL: what training minimises.</param>
/// <param name="Reconstruction">−E_q[log p(x | z)], estimated with one z per sample.</param>
/// <param name="Kl">KL(q(z | x) ‖ N(0, I)) in closed form.</param>
public sealed record VaeLoss(Tensor Loss, Tensor Reconstruction, Tensor Kl);

/// <summary>
/// The variational autoencoder (Kingma and Welling, 2014): the encoder gives a Gaussian q(z | x) = N(μ(x),
/// diag σ²(x)) (it outputs μ and log σ²), a code is sampled by the reparameterisation z = μ + σ ⊙ ε so that
/// gradients reach μ and σ, the decoder gives p(x | z) (Bernoulli or Gaussian), and training maximises the ELBO
/// <c>E_q[log p(x | z)] − KL(q(z | x) ‖ N(0, I))</c>, a lower bound of log p(x). The KL term pulls every code
/// towards the prior, so decoding z ~ N(0, I) (<see cref="Sample"/>) gives data. Submodules: <c>encoder</c> (an
/// <see cref="Mlp"/> of the hidden layers), <c>mean</c> and <c>log_variance</c> (linear heads), <c>decoder</c>
/// (an Mlp to the decoder's logits or means).
/// </summary>
/// <example>
/// <code>
/// var vae = new VariationalAutoencoder(new VariationalAutoencoderOptions { LatentSize = 16 });
/// new Trainer(new VariationalAutoencoderStep(vae), Optim.Adam(1e-3)).Fit(mnist);
/// var digits = vae.Sample(64, seed: 1).reshape(64, 1, 28, 28);
/// </code>
/// </example>
public sealed class VariationalAutoencoder : nn.Module<Tensor, Tensor>, IAutoencoder
{
    readonly Mlp encoder;
    readonly TorchSharp.Modules.Linear mean;
    readonly TorchSharp.Modules.Linear log_variance;
    readonly Mlp decoder;

    /// <summary>A VAE built from <paramref name="options"/> (default: MNIST, 784-512-256-2).</summary>
    /// <exception cref="ArgumentException">The options are inconsistent, e.g. a latent size of 0.</exception>
    public VariationalAutoencoder(VariationalAutoencoderOptions? options = null) : base(ModuleName.AfterRuntimeStart("vae"))
    {
        options ??= new VariationalAutoencoderOptions();
        options.Validate();
        Options = options;
        var last = options.Hidden[^1];
        encoder = new Mlp(new MlpOptions { Sizes = [options.InputSize, .. options.Hidden], Activation = options.Activation, OutputActivation = options.Activation });
        mean = nn.Linear(last, options.LatentSize);
        log_variance = nn.Linear(last, options.LatentSize);
        decoder = new Mlp(new MlpOptions { Sizes = [options.LatentSize, .. options.Hidden.Reverse(), options.InputSize], Activation = options.Activation });
        RegisterComponents();
    }

    /// <summary>The options the model was built from.</summary>
    public VariationalAutoencoderOptions Options { get; }

    /// <summary>The dimension of the latent space.</summary>
    public int LatentSize => Options.LatentSize;

    /// <summary>The posterior q(z | x): its mean and log-variance, each <c>[N, LatentSize]</c>, for inputs <c>[N, ...]</c> of InputSize values.</summary>
    /// <exception cref="ArgumentException">The input is not a batch of InputSize values per sample.</exception>
    public (Tensor Mean, Tensor LogVariance) EncodeDistribution(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var features = input.dim() < 2 ? -1 : input.numel() / Math.Max(1, input.shape[0]);
        if (features != Options.InputSize)
            throw new ArgumentException($"vae.encoder expects a batch [N, {Options.InputSize}] (or [N, ...] of {Options.InputSize} values per sample), got {Shapes.Format(input)}.", nameof(input));
        var h = encoder.call(input);
        return (mean.call(h), log_variance.call(h));
    }

    /// <summary>The posterior mean μ(x) <c>[N, LatentSize]</c>: the code of an input.</summary>
    public Tensor Encode(Tensor input) => EncodeDistribution(input).Mean;

    /// <summary>
    /// The reparameterisation z = μ + exp(½ log σ²) ⊙ ε with ε ~ N(0, I): a sample of q(z | x) through which
    /// gradients flow to μ and log σ². ε comes from <paramref name="generator"/> (a CPU generator) or libtorch's global one.
    /// </summary>
    public static Tensor Reparameterize(Tensor mean, Tensor logVariance, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(logVariance);
        if (!mean.shape.SequenceEqual(logVariance.shape))
            throw new ArgumentException($"VariationalAutoencoder.Reparameterize: mean {Shapes.Format(mean)} and log-variance {Shapes.Format(logVariance)} must have one shape.");
        var epsilon = generator is null
            ? randn_like(mean)
            : randn(mean.shape, dtype: mean.dtype, generator: generator).to(mean.device);
        return mean + (0.5 * logVariance).exp() * epsilon;
    }

    /// <summary>The closed-form KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_j (μ_j² + σ_j² − 1 − log σ_j²) per sample: <c>[N]</c> for <c>[N, L]</c>.</summary>
    public static Tensor KlDivergence(Tensor mean, Tensor logVariance)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(logVariance);
        return (mean.square() + logVariance.exp() - 1 - logVariance).sum(dim: -1) * 0.5;
    }

    /// <summary>The decoder's raw output <c>[N, InputSize]</c>: Bernoulli logits or Gaussian means.</summary>
    /// <exception cref="ArgumentException">The codes are not <c>[N, LatentSize]</c>.</exception>
    public Tensor DecoderOutput(Tensor code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.dim() != 2 || code.shape[1] != LatentSize)
            throw new ArgumentException($"vae.decoder expects codes [N, {LatentSize}], got {Shapes.Format(code)}.", nameof(code));
        return decoder.call(code);
    }

    /// <summary>The mean of p(x | z) <c>[N, InputSize]</c>: probabilities σ(logits) for a Bernoulli decoder, the means for a Gaussian one.</summary>
    public Tensor Decode(Tensor code)
    {
        var output = DecoderOutput(code);
        return Options.Likelihood == DecoderLikelihood.Bernoulli ? output.sigmoid() : output;
    }

    /// <summary>
    /// The reconstruction of <paramref name="input"/> (in its shape): the decoder's mean at a sampled z in
    /// training mode, at the posterior mean μ(x) in eval mode.
    /// </summary>
    public override Tensor forward(Tensor input)
    {
        var (mu, logVariance) = EncodeDistribution(input);
        var output = Decode(training ? Reparameterize(mu, logVariance) : mu);
        return input.dim() > 2 ? output.reshape(input.shape) : output;
    }

    /// <summary>
    /// The decoder's targets (the inputs) must be finite, and in [0, 1] for a Bernoulli decoder: its cross-entropy with
    /// logits is linear in a target outside [0, 1] and has no minimum, so 0–255 pixels give an NLL near 1e14 instead of
    /// an error.
    /// </summary>
    void CheckTargets(Tensor input, string method)
    {
        InputChecks.Finite(input, $"vae.{method}", "input", "The input is also the decoder's target.");
        if (Options.Likelihood != DecoderLikelihood.Bernoulli || input.numel() == 0 || !input.is_floating_point())
            return;
        using var scope = NewDisposeScope();
        var (lo, hi) = (input.min().to(float64).item<double>(), input.max().to(float64).item<double>());
        if (lo < 0 || hi > 1)
            throw new ArgumentException(
                $"vae.{method}: the Bernoulli likelihood needs targets in [0, 1], but the input ranges from {lo:G6} to {hi:G6}; scale it to [0, 1] (bytes: divide by 255), or use DecoderLikelihood.Gaussian.", nameof(input));
    }

    /// <summary>−log p(x | z) per sample <c>[N]</c> for the decoder output of z and the inputs flattened to <c>[N, InputSize]</c>.</summary>
    Tensor NegativeLogLikelihood(Tensor decoderOutput, Tensor target)
    {
        if (Options.Likelihood == DecoderLikelihood.Bernoulli)
            return nn.functional.binary_cross_entropy_with_logits(decoderOutput, target, reduction: nn.Reduction.None).sum(dim: 1);
        var variance = Options.DecoderStd * Options.DecoderStd;
        return (decoderOutput - target).square().sum(dim: 1) / (2 * variance) + 0.5 * Options.InputSize * Math.Log(2 * Math.PI * variance);
    }

    /// <summary>
    /// The loss terms of a batch (means over its samples): one reparameterised z per sample for the reconstruction
    /// term, the KL in closed form, and <c>Loss = Reconstruction + β·Kl</c>.
    /// </summary>
    /// <param name="input">The batch, <c>[N, ...]</c> of InputSize values per sample (targets of the decoder too).</param>
    /// <param name="generator">A CPU generator for ε (null: libtorch's global generator).</param>
    /// <exception cref="ArgumentException">The input is not a batch of InputSize values, or (Bernoulli decoder) holds values outside [0, 1].</exception>
    public VaeLoss Loss(Tensor input, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        CheckTargets(input, "Loss");
        var (mu, logVariance) = EncodeDistribution(input);
        var z = Reparameterize(mu, logVariance, generator);
        var target = input.reshape(input.shape[0], Options.InputSize);
        var reconstruction = NegativeLogLikelihood(DecoderOutput(z), target).mean();
        var kl = KlDivergence(mu, logVariance).mean();
        return new VaeLoss(reconstruction + Options.Beta * kl, reconstruction, kl);
    }

    /// <summary>
    /// The mean ELBO per sample of <paramref name="inputs"/> in nats (higher is better; a lower bound of the mean
    /// log-likelihood), with β = 1 whatever the training β, <paramref name="samples"/> draws of z per input, in eval
    /// mode and without gradients, in batches of 1000.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than one sample of z, or (Bernoulli decoder) inputs outside [0, 1].</exception>
    public double EvidenceLowerBound(Tensor inputs, int samples = 1, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        CheckTargets(inputs, "EvidenceLowerBound");
        if (samples < 1)
            throw new ArgumentOutOfRangeException(nameof(samples), samples, "VariationalAutoencoder.EvidenceLowerBound needs at least one sample of z.");
        var wasTraining = training;
        eval();
        try
        {
            using var noGrad = no_grad();
            using var generator = new Generator((ulong)seed, CPU);
            double total = 0;
            var n = inputs.shape[0];
            for (long start = 0; start < n; start += 1000)
            {
                using var scope = NewDisposeScope();
                var batch = inputs.narrow(0, start, Math.Min(1000, n - start));
                var (mu, logVariance) = EncodeDistribution(batch);
                var target = batch.reshape(batch.shape[0], Options.InputSize);
                var nll = zeros(batch.shape[0], dtype: mu.dtype, device: mu.device);
                for (var s = 0; s < samples; s++)
                    nll += NegativeLogLikelihood(DecoderOutput(Reparameterize(mu, logVariance, generator)), target);
                total -= (nll / samples + KlDivergence(mu, logVariance)).sum().to(float64).item<double>();
            }
            return total / n;
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>
    /// <paramref name="count"/> samples of the model: z ~ N(0, I) from a CPU generator seeded with
    /// <paramref name="seed"/> (null: from <see cref="Seeding.NextSeed"/>), decoded to the mean of p(x | z),
    /// <c>[count, InputSize]</c>, without gradients. The same seed gives the same samples.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">count is negative.</exception>
    public Tensor Sample(int count, int? seed = null)
    {
        if (count < 0)
            throw new ArgumentOutOfRangeException(nameof(count), count, "VariationalAutoencoder.Sample: the number of samples must not be negative.");
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)(seed ?? Seeding.NextSeed()), CPU);
        var parameter = mean.weight!;
        using var z = randn([count, LatentSize], dtype: parameter.dtype, generator: generator).to(parameter.device);
        return Decode(z);
    }
}

/// <summary>
/// The training step of a <see cref="VariationalAutoencoder"/>: minimise reconstruction + β·KL on the batch's inputs
/// (labels are ignored); logs <c>reconstruction</c> and <c>kl</c>, whose epoch means the history keeps as
/// <c>train_reconstruction</c> and <c>train_kl</c>. The loss is −ELBO in nats per sample when β = 1.
/// </summary>
public sealed class VariationalAutoencoderStep(VariationalAutoencoder model) : ITrainingStep
{
    readonly VariationalAutoencoder _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc/>
    public nn.Module Model => _model;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context) => Result(_model.Loss(batch.Inputs));

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context) => Result(_model.Loss(batch.Inputs));

    static StepResult Result(VaeLoss loss) =>
        new(loss.Loss, Values: new Dictionary<string, Tensor> { ["reconstruction"] = loss.Reconstruction, ["kl"] = loss.Kl });
}
