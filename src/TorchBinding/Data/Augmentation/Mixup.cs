using TorchBinding.Runtime;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchBinding.Data.Augmentation;

/// <summary>The result of <see cref="Mixup.Apply"/>: the mixed batch and what was drawn to mix it.</summary>
/// <param name="Inputs">The mixed inputs, <c>λ · x + (1 - λ) · x[perm]</c>, of the inputs' shape.</param>
/// <param name="Targets">The mixed soft targets <c>[N, K]</c>, <c>λ · y + (1 - λ) · y[perm]</c> with y one-hot
/// (or the given soft targets); for cross-entropy with probability targets.</param>
/// <param name="Lambda">The mixing weight λ drawn for this batch.</param>
/// <param name="Permutation">The pairing: sample i was mixed with sample <c>Permutation[i]</c>.</param>
public sealed record MixupResult(Tensor Inputs, Tensor Targets, double Lambda, IReadOnlyList<long> Permutation) : IDisposable
{
    /// <summary>Deconstructs into inputs and targets: <c>var (x, y) = mixup.Apply(inputs, labels);</c>.</summary>
    public void Deconstruct(out Tensor inputs, out Tensor targets) => (inputs, targets) = (Inputs, Targets);

    /// <inheritdoc/>
    public void Dispose()
    {
        Inputs.Dispose();
        Targets.Dispose();
    }
}

/// <summary>
/// Mixup (Zhang, Cisse, Dauphin and Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018):
/// trains on convex combinations of pairs of samples and of their targets. Per batch, one weight
/// λ ~ Beta(α, α) is drawn and the batch is paired with a random permutation of itself, as in the
/// authors' code: <c>x̃ = λ · x + (1 - λ) · x[perm]</c>, <c>ỹ = λ · y + (1 - λ) · y[perm]</c>. Small α
/// (0.1 to 0.4) keeps most samples close to an original; α = 1 (the default, as in torchvision's
/// <c>MixUp</c>) draws λ uniformly. The inputs may have any shape <c>[N, ...]</c>; the loss must accept soft
/// targets (e.g. <c>cross_entropy</c> with class probabilities). Not thread-safe: one instance per pipeline.
/// </summary>
public sealed class Mixup
{
    readonly Random _random;

    /// <summary>Creates the transform.</summary>
    /// <param name="numClasses">The number of classes K (targets become <c>[N, K]</c>).</param>
    /// <param name="alpha">The Beta distribution's parameter α (positive).</param>
    /// <param name="seed">The seed; null draws one from <see cref="Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is out of range.</exception>
    public Mixup(int numClasses, double alpha = 1.0, int? seed = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numClasses, 1);
        if (!double.IsFinite(alpha) || alpha <= 0)
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"{nameof(Mixup)}: α must be finite and positive.");
        (NumClasses, Alpha) = (numClasses, alpha);
        Seed = seed ?? Seeding.NextSeed();
        _random = new Random(Seed);
    }

    /// <summary>The number of classes K.</summary>
    public int NumClasses { get; }

    /// <summary>The Beta distribution's parameter α.</summary>
    public double Alpha { get; }

    /// <summary>The seed of this transform's random source.</summary>
    public int Seed { get; }

    /// <summary>Mixes a batch and its targets.</summary>
    /// <param name="inputs">Inputs <c>[N, ...]</c> of a floating dtype.</param>
    /// <param name="targets">Class indices <c>[N]</c> (an integer dtype, each in [0, K)), or one-hot or soft
    /// targets <c>[N, K]</c> of a floating dtype.</param>
    /// <returns>The mixed inputs and soft targets (of the inputs' dtype, on their device), with λ and the pairing.</returns>
    /// <exception cref="ArgumentException">The shapes, dtypes or class indices do not fit.</exception>
    public MixupResult Apply(Tensor inputs, Tensor targets)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        TorchRuntime.EnsureInitialized();
        Validate(inputs, targets);

        var n = (int)inputs.shape[0];
        var lambda = BetaDistribution.Sample(_random, Alpha, Alpha);
        var permutation = new long[n];
        for (var i = 0; i < n; i++)
            permutation[i] = i;
        _random.Shuffle(permutation);

        using var scope = NewDisposeScope();
        var index = tensor(permutation, dtype: int64, device: inputs.device);
        var soft = targets.dim() == 1
            ? F.one_hot(targets.to(int64), NumClasses).to(inputs.dtype)
            : targets.to(inputs.dtype);
        soft = soft.to(inputs.device);
        var mixedInputs = inputs * lambda + inputs.index_select(0, index) * (1 - lambda);
        var mixedTargets = soft * lambda + soft.index_select(0, index) * (1 - lambda);
        return new MixupResult(mixedInputs.MoveToOuterDisposeScope(), mixedTargets.MoveToOuterDisposeScope(), lambda, permutation);
    }

    void Validate(Tensor inputs, Tensor targets)
    {
        const string name = nameof(Mixup);
        if (inputs.dim() < 1 || inputs.shape[0] == 0)
            throw new ArgumentException($"{name}: expected a non-empty batch [N, ...], got inputs of shape {Shapes.Format(inputs)}.", nameof(inputs));
        if (!inputs.is_floating_point())
            throw new ArgumentException($"{name}: expected floating-point inputs, got {inputs.dtype} of shape {Shapes.Format(inputs)}.", nameof(inputs));
        var n = inputs.shape[0];
        if (targets.dim() == 1 && targets.shape[0] == n)
        {
            if (targets.is_floating_point() || targets.dtype == ScalarType.Bool)
                throw new ArgumentException($"{name}: targets [N] must be class indices of an integer dtype, got {targets.dtype}.", nameof(targets));
            using var scope = NewDisposeScope();
            var (min, max) = (targets.min().to(int64).item<long>(), targets.max().to(int64).item<long>());
            if (min < 0 || max >= NumClasses)
                throw new ArgumentException($"{name}: class indices must be in [0, {NumClasses}), got values from {min} to {max}.", nameof(targets));
        }
        else if (targets.dim() == 2 && targets.shape[0] == n && targets.shape[1] == NumClasses)
        {
            if (!targets.is_floating_point())
                throw new ArgumentException($"{name}: targets [N, K] must be one-hot or soft targets of a floating dtype, got {targets.dtype}.", nameof(targets));
        }
        else
        {
            throw new ArgumentException($"{name}: expected targets [{n}] (class indices) or [{n}, {NumClasses}] (one-hot or soft) for inputs {Shapes.Format(inputs)}, got {Shapes.Format(targets)}.", nameof(targets));
        }
    }
}
