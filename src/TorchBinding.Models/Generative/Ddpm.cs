using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>How the noise variances β_t grow over the steps.</summary>
public enum BetaSchedule
{
    /// <summary>β_t evenly spaced from <see cref="DdpmOptions.BetaStart"/> to <see cref="DdpmOptions.BetaEnd"/> (Ho et al., 2020; the course's SimpleDiffusion).</summary>
    Linear,

    /// <summary>ᾱ_t = f(t+1)/f(0), f(t) = cos²((t/T + s)/(1 + s) · π/2) (Nichol &amp; Dhariwal, 2021): information is destroyed more evenly over t.</summary>
    Cosine,
}

/// <summary>The variance σ_t² of each ancestral sampling step.</summary>
public enum ReverseVariance
{
    /// <summary>σ_t² = β_t (the course's choice; the upper bound of Ho et al.).</summary>
    Beta,

    /// <summary>σ_t² = β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t, the forward posterior's variance (the lower bound).</summary>
    Posterior,
}

/// <summary>Options of a <see cref="Ddpm"/>. The defaults are Ho et al.'s: 1000 linear steps from 1e-4 to 0.02.</summary>
public sealed record DdpmOptions
{
    /// <summary>The number of diffusion steps T (default 1000; the course's 1-D example uses 50).</summary>
    public int Steps { get; init; } = 1000;

    /// <summary>The β schedule (default linear).</summary>
    public BetaSchedule Schedule { get; init; } = BetaSchedule.Linear;

    /// <summary>β of the first step of the linear schedule (default 1e-4).</summary>
    public double BetaStart { get; init; } = 1e-4;

    /// <summary>β of the last step of the linear schedule (default 0.02).</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>The offset s of the cosine schedule (default 0.008).</summary>
    public double CosineOffset { get; init; } = 0.008;

    /// <summary>The cosine schedule's βs are clipped to this (default 0.999), avoiding a singular last step.</summary>
    public double MaxBeta { get; init; } = 0.999;

    /// <summary>The ancestral sampler's variance (default σ_t² = β_t).</summary>
    public ReverseVariance Variance { get; init; } = ReverseVariance.Beta;
}

/// <summary>Options of one sampling run of a <see cref="Ddpm"/>.</summary>
public sealed record SamplingOptions
{
    /// <summary>Class labels <c>[count]</c> for a conditional model (null: unconditional samples, "no class").</summary>
    public Tensor? Labels { get; init; }

    /// <summary>
    /// Classifier-free guidance weight w (default 0: none): ε̃ = (1 + w) ε̂(x, t, label) − w ε̂(x, t, no class)
    /// (Ho &amp; Salimans, 2022). Needs a class-conditional model and <see cref="Labels"/>.
    /// </summary>
    public double GuidanceScale { get; init; }

    /// <summary>DDIM's η (default 0: deterministic DDIM; 1: DDPM-like noise). Ignored by ancestral sampling.</summary>
    public double Eta { get; init; }

    /// <summary>Clip each step's estimate of x₀ to this range (e.g. (-1, 1) for images in [-1, 1]); null: no clipping.</summary>
    public (double Min, double Max)? ClipDenoised { get; init; }

    /// <summary>Seed of the sampler's own noise generator (null: the global generator): the same seed gives the same samples.</summary>
    public int? Seed { get; init; }

    /// <summary>
    /// Called with the number of denoising steps still to go and the current samples: first with the starting noise
    /// (the sampler's step count), last with the result (0). The tensor is freed after the call: copy what you keep.
    /// </summary>
    public Action<int, Tensor>? OnStep { get; init; }

    /// <summary>The device of the samples (null: the model's, if it is a module with parameters, else the CPU).</summary>
    public Device? Device { get; init; }
}

/// <summary>
/// A denoising diffusion probabilistic model (Ho et al., 2020) around any <see cref="INoisePredictor"/>: the β
/// schedule and its derived quantities (α_t = 1 − β_t, ᾱ_t = Π α_s, the posterior variance β̃_t), the forward
/// process <see cref="QSample"/>, the noise-prediction <see cref="Loss"/>, ancestral sampling (<see cref="Sample"/>)
/// and DDIM sampling with fewer steps (<see cref="SampleDdim"/>), both with classifier-free guidance. Steps are
/// indexed t = 0..T−1: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε is the data after t + 1 noising steps.
/// </summary>
/// <example>
/// <code>
/// var ddpm = new Ddpm(new DdpmOptions { Steps = 50 });
/// var model = new DiffusionMlp(new DiffusionMlpOptions { Steps = 50 });
/// new Trainer(new DiffusionStep(ddpm, model), Optim.Adam(1e-4)).Fit(data);
/// var samples = ddpm.Sample(model, 10_000);
/// </code>
/// </example>
public sealed class Ddpm
{
    readonly double[] _betas;
    readonly double[] _alphas;
    readonly double[] _alphaBars;
    readonly double[] _posteriorVariances;

    /// <summary>A DDPM with the schedule of <paramref name="options"/> (default: 1000 linear steps, 1e-4 to 0.02).</summary>
    /// <exception cref="ArgumentException">T &lt; 1, or a β outside (0, 1).</exception>
    public Ddpm(DdpmOptions? options = null) : this(Schedule(options ?? new DdpmOptions()), (options ?? new DdpmOptions()).Variance)
    {
        Options = options ?? new DdpmOptions();
    }

    /// <summary>A DDPM with given βs (one per step, each in (0, 1)).</summary>
    /// <exception cref="ArgumentException">No βs, or a β outside (0, 1).</exception>
    public Ddpm(IReadOnlyList<double> betas, ReverseVariance variance = ReverseVariance.Beta)
    {
        ArgumentNullException.ThrowIfNull(betas);
        if (betas.Count < 1)
            throw new ArgumentException("ddpm needs at least one step (T >= 1); got no betas.", nameof(betas));
        for (var t = 0; t < betas.Count; t++)
        {
            if (!(betas[t] > 0 && betas[t] < 1))
                throw new ArgumentException($"ddpm: every beta must lie in (0, 1); beta at step {t} is {betas[t]}.", nameof(betas));
        }
        _betas = [.. betas];
        var steps = _betas.Length;
        _alphas = new double[steps];
        _alphaBars = new double[steps];
        _posteriorVariances = new double[steps];
        var product = 1.0;
        for (var t = 0; t < steps; t++)
        {
            _alphas[t] = 1 - _betas[t];
            var previous = product;
            product *= _alphas[t];
            _alphaBars[t] = product;
            // β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t, with ᾱ_{−1} = 1: zero at t = 0 (x₀ is known exactly there).
            _posteriorVariances[t] = (1 - previous) / (1 - product) * _betas[t];
        }
        Variance = variance;
        Options = new DdpmOptions { Steps = steps, Variance = variance };
    }

    /// <summary>The options (for a DDPM built from βs: the step count and variance only).</summary>
    public DdpmOptions Options { get; }

    /// <summary>The number of steps T.</summary>
    public int Steps => _betas.Length;

    /// <summary>The ancestral sampler's variance choice.</summary>
    public ReverseVariance Variance { get; }

    /// <summary>β_t, t = 0..T−1.</summary>
    public IReadOnlyList<double> Betas => _betas;

    /// <summary>α_t = 1 − β_t.</summary>
    public IReadOnlyList<double> Alphas => _alphas;

    /// <summary>ᾱ_t = α_0 · α_1 ⋯ α_t: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε.</summary>
    public IReadOnlyList<double> AlphaBars => _alphaBars;

    /// <summary>β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) · β_t: the variance of q(x_{t−1} | x_t, x₀) (0 at t = 0).</summary>
    public IReadOnlyList<double> PosteriorVariances => _posteriorVariances;

    /// <summary>The linear schedule: <paramref name="steps"/> βs evenly spaced from <paramref name="start"/> to <paramref name="end"/>.</summary>
    public static double[] LinearBetas(int steps, double start = 1e-4, double end = 0.02)
    {
        CheckSteps(steps);
        return [.. Enumerable.Range(0, steps).Select(t => steps == 1 ? start : start + (end - start) * t / (steps - 1))];
    }

    /// <summary>The cosine schedule: β_t = 1 − ᾱ_t/ᾱ_{t−1} with ᾱ_t = f(t+1)/f(0), clipped to <paramref name="maxBeta"/>.</summary>
    public static double[] CosineBetas(int steps, double offset = 0.008, double maxBeta = 0.999)
    {
        CheckSteps(steps);
        if (!(offset >= 0))
            throw new ArgumentException($"ddpm: the cosine offset must be non-negative, got {offset}.", nameof(offset));
        double F(int t) => Math.Pow(Math.Cos((t / (double)steps + offset) / (1 + offset) * Math.PI / 2), 2);
        return [.. Enumerable.Range(0, steps).Select(t => Math.Min(1 - F(t + 1) / F(t), maxBeta))];
    }

    static double[] Schedule(DdpmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        CheckSteps(options.Steps);
        if (options.Schedule == BetaSchedule.Cosine)
        {
            if (!(options.MaxBeta > 0 && options.MaxBeta < 1))
                throw new ArgumentException($"ddpm: MaxBeta must lie in (0, 1), got {options.MaxBeta}.");
            return CosineBetas(options.Steps, options.CosineOffset, options.MaxBeta);
        }
        foreach (var (name, beta) in new[] { ("BetaStart", options.BetaStart), ("BetaEnd", options.BetaEnd) })
        {
            if (!(beta > 0 && beta < 1))
                throw new ArgumentException($"ddpm: every beta must lie in (0, 1); {name} is {beta}.");
        }
        return LinearBetas(options.Steps, options.BetaStart, options.BetaEnd);
    }

    static void CheckSteps(int steps)
    {
        if (steps < 1)
            throw new ArgumentException($"ddpm needs at least one step (T >= 1), got T = {steps}.", nameof(steps));
    }

    /// <summary>
    /// The forward process: x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε for each sample's own step.
    /// </summary>
    /// <param name="x0">Clean samples <c>[N, ...]</c>.</param>
    /// <param name="t">Steps <c>[N]</c> in 0..T−1 (integers).</param>
    /// <param name="noise">ε <c>[N, ...]</c> (null: drawn from N(0, I)).</param>
    public Tensor QSample(Tensor x0, Tensor t, Tensor? noise = null)
    {
        ArgumentNullException.ThrowIfNull(x0);
        CheckSteps(x0, t, "QSample");
        if (noise is not null && !noise.shape.SequenceEqual(x0.shape))
            throw new ArgumentException($"ddpm.QSample: noise {Shapes.Format(noise)} must have the shape of x0 {Shapes.Format(x0)}.", nameof(noise));
        noise ??= randn_like(x0);
        var alphaBar = Gather(_alphaBars, t, x0);
        return alphaBar.sqrt() * x0 + (1 - alphaBar).sqrt() * noise;
    }

    /// <summary>
    /// The noise-prediction loss of Ho et al.: for each sample a step t ~ U{0..T−1} and noise ε ~ N(0, I), then the
    /// mean squared error between ε and ε̂(x_t, t). With <paramref name="labelDropout"/> &gt; 0 each label is
    /// replaced by "no class" with that probability, so one model learns conditional and unconditional noise
    /// (classifier-free guidance). With <paramref name="minSnrGamma"/> γ &gt; 0 each sample's squared error is weighted
    /// by min(SNR_t, γ)/SNR_t, SNR_t = ᾱ_t/(1 − ᾱ_t) (Hang et al., 2023, "Min-SNR weighting", for noise prediction):
    /// the low-noise steps (SNR above γ) weigh less, so their gradients, which conflict with the noisier steps', stop
    /// slowing training down; 5 is their choice.
    /// </summary>
    /// <exception cref="ArgumentException">Samples of another shape than the model's, a bad label dropout or γ, or a model whose noise has another shape than its input.</exception>
    public Tensor Loss(INoisePredictor model, Tensor x0, Tensor? labels = null, double labelDropout = 0, double minSnrGamma = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(x0);
        CheckSamples(model, x0, "Loss");
        if (labelDropout is < 0 or > 1 || double.IsNaN(labelDropout))
            throw new ArgumentOutOfRangeException(nameof(labelDropout), labelDropout, "ddpm.Loss: the label dropout probability must be in [0, 1].");
        if (labelDropout > 0 && model.Classes == 0)
            throw new ArgumentException("ddpm.Loss: label dropout (for classifier-free guidance) needs a class-conditional model; this one is unconditional.", nameof(labelDropout));
        if (!(minSnrGamma >= 0) || double.IsInfinity(minSnrGamma))
            throw new ArgumentOutOfRangeException(nameof(minSnrGamma), minSnrGamma, "ddpm.Loss: the min-SNR γ must be a finite number >= 0 (0: unweighted).");
        var n = x0.shape[0];
        var t = randint(0, Steps, [n], dtype: int64, device: x0.device);
        var noise = randn_like(x0);
        var xt = QSample(x0, t, noise);
        if (labels is not null && labelDropout > 0)
        {
            var drop = rand(n, device: labels.device).lt(labelDropout);
            labels = where(drop, full_like(labels, model.Classes), labels);
        }
        var predicted = PredictNoise(model, xt, t, labels, "Loss");
        if (minSnrGamma == 0)
            return nn.functional.mse_loss(predicted, noise);
        // min(SNR, γ)/SNR = min(1, γ(1 − ᾱ)/ᾱ), which is 0 rather than NaN where ᾱ = 1.
        var weights = tensor(_alphaBars.Select(a => Math.Min(1, minSnrGamma * (1 - a) / a)).ToArray(), dtype: x0.dtype, device: x0.device)[t];
        var perSample = (predicted - noise).square().flatten(1).mean([1]);
        return (weights * perSample).mean();
    }

    /// <summary>
    /// ε̂(x, t) checked to have the shape of x: a wrong shape would broadcast silently (noise [4, 4, 1] against
    /// samples [4, 1] makes samples [4, 4, 1]).
    /// </summary>
    static Tensor PredictNoise(INoisePredictor model, Tensor x, Tensor t, Tensor? labels, string method)
    {
        var noise = model.PredictNoise(x, t, labels);
        // Under autocast (bfloat16 inference) the noise may come back in bfloat16: the sampler stays in x's dtype.
        if (noise is not null && noise.dtype != x.dtype && x.is_floating_point())
            noise = noise.to(x.dtype);
        if (noise is null || !noise.shape.SequenceEqual(x.shape))
            throw new ArgumentException(
                $"ddpm.{method}: the noise predictor ({model.GetType().Name}) returned noise {(noise is null ? "null" : Shapes.Format(noise))} for its input {Shapes.Format(x)}; it must return the shape of its input.", nameof(model));
        return noise;
    }

    /// <summary>
    /// Ancestral (DDPM) sampling: x ~ N(0, I), then for t = T−1 down to 0
    /// x ← (x − β_t/√(1 − ᾱ_t) · ε̂(x, t)) / √α_t + σ_t z (no noise at t = 0). Runs without gradients and in
    /// evaluation mode (a module's mode is restored afterwards).
    /// </summary>
    /// <returns>Samples <c>[count, ...SampleShape]</c>.</returns>
    /// <exception cref="ArgumentException">A NaN or infinite guidance scale, labels that do not fit the model, or a model whose noise has another shape than its input.</exception>
    public Tensor Sample(INoisePredictor model, long count, SamplingOptions? options = null)
    {
        using var section = Profiler.Measure("sampling");
        options ??= new SamplingOptions();
        return Run(model, count, options, [.. Enumerable.Range(0, Steps).Reverse()], (x, epsilon, t, _, z) =>
        {
            var (beta, alpha, alphaBar) = (_betas[t], _alphas[t], _alphaBars[t]);
            Tensor mean;
            if (options.ClipDenoised is { } clip)
            {
                // The posterior mean from the clipped estimate of x₀: c₀ x̂₀ + c_t x_t.
                var previous = t > 0 ? _alphaBars[t - 1] : 1.0;
                var x0 = ((x - Math.Sqrt(1 - alphaBar) * epsilon) / Math.Sqrt(alphaBar)).clamp(clip.Min, clip.Max);
                mean = Math.Sqrt(previous) * beta / (1 - alphaBar) * x0 + Math.Sqrt(alpha) * (1 - previous) / (1 - alphaBar) * x;
            }
            else
            {
                mean = (x - beta / Math.Sqrt(1 - alphaBar) * epsilon) / Math.Sqrt(alpha);
            }
            if (t == 0)
                return mean;
            var variance = Variance == ReverseVariance.Beta ? beta : _posteriorVariances[t];
            return mean + Math.Sqrt(variance) * z();
        });
    }

    /// <summary>
    /// DDIM sampling (Song et al., 2021) with <paramref name="steps"/> of the T steps, evenly spaced: from the estimate
    /// x̂₀ = (x − √(1 − ᾱ_t) ε̂)/√ᾱ_t, x ← √ᾱ_prev x̂₀ + √(1 − ᾱ_prev − σ²) ε̂ + σ z with
    /// σ = η √((1 − ᾱ_prev)/(1 − ᾱ_t)) √(1 − ᾱ_t/ᾱ_prev); η = 0 (default) is deterministic given the starting noise.
    /// </summary>
    /// <returns>Samples <c>[count, ...SampleShape]</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> is not in 1..T, or η is negative.</exception>
    /// <exception cref="ArgumentException">As <see cref="Sample"/>.</exception>
    public Tensor SampleDdim(INoisePredictor model, long count, int steps, SamplingOptions? options = null)
    {
        using var section = Profiler.Measure("sampling");
        options ??= new SamplingOptions();
        if (steps < 1 || steps > Steps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"ddpm.SampleDdim: the number of steps must be in 1..T = {Steps}.");
        if (!(options.Eta >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), options.Eta, "ddpm.SampleDdim: η must be non-negative.");
        var times = DdimTimes(steps);
        return Run(model, count, options, times, (x, epsilon, t, i, z) =>
        {
            var alphaBar = _alphaBars[t];
            var previous = i + 1 < times.Length ? _alphaBars[times[i + 1]] : 1.0;
            var x0 = (x - Math.Sqrt(1 - alphaBar) * epsilon) / Math.Sqrt(alphaBar);
            if (options.ClipDenoised is { } clip)
            {
                x0 = x0.clamp(clip.Min, clip.Max);
                epsilon = (x - Math.Sqrt(alphaBar) * x0) / Math.Sqrt(1 - alphaBar);
            }
            var sigma = options.Eta * Math.Sqrt((1 - previous) / (1 - alphaBar) * (1 - alphaBar / previous));
            var next = Math.Sqrt(previous) * x0 + Math.Sqrt(Math.Max(0, 1 - previous - sigma * sigma)) * epsilon;
            return sigma > 0 ? next + sigma * z() : next;
        });
    }

    /// <summary>The steps DDIM visits, from T−1 down to 0: <paramref name="steps"/> distinct, evenly spaced.</summary>
    public int[] DdimTimes(int steps)
    {
        if (steps < 1 || steps > Steps)
            throw new ArgumentOutOfRangeException(nameof(steps), steps, $"ddpm: the number of DDIM steps must be in 1..T = {Steps}.");
        if (steps == 1)
            return [Steps - 1];
        return [.. Enumerable.Range(0, steps).Select(i => (int)Math.Round((double)i * (Steps - 1) / (steps - 1))).Reverse()];
    }

    delegate Tensor Update(Tensor x, Tensor epsilon, int t, int index, Func<Tensor> noise);

    Tensor Run(INoisePredictor model, long count, SamplingOptions options, int[] times, Update update)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var module = model as nn.Module;
        var device = options.Device ?? module?.parameters().FirstOrDefault()?.device ?? CPU;
        var labels = CheckSamplingLabels(model, count, options, device);
        var shape = new long[] { count }.Concat(model.SampleShape).ToArray();
        using var generator = options.Seed is { } seed ? new torch.Generator((ulong)seed) : null;
        Tensor Noise()
        {
            if (generator is null)
                return randn(shape, device: device);
            using var cpu = randn(shape, generator: generator);
            return cpu.to(device);
        }

        var wasTraining = module?.training ?? false;
        module?.eval();
        try
        {
            using var _ = no_grad();
            var x = Noise();
            options.OnStep?.Invoke(times.Length, x);
            for (var i = 0; i < times.Length; i++)
            {
                Tensor next;
                using (var scope = NewDisposeScope())
                {
                    var t = times[i];
                    var steps = full(count, (long)t, dtype: int64, device: device);
                    var epsilon = Guided(model, x, steps, labels, options.GuidanceScale);
                    next = update(x, epsilon, t, i, Noise).MoveToOuterDisposeScope();
                }
                x.Dispose(); // only the current samples stay alive: memory does not grow with the steps
                x = next;
                ScalarSweeper.AtStepEnd();
                options.OnStep?.Invoke(times.Length - 1 - i, x);
            }
            return x;
        }
        finally
        {
            module?.train(wasTraining);
        }
    }

    static Tensor Guided(INoisePredictor model, Tensor x, Tensor t, Tensor? labels, double scale)
    {
        if (scale == 0 || labels is null)
            return PredictNoise(model, x, t, labels, "Sample");
        // One batch of twice the size: the conditional and the unconditional ("no class") predictions.
        var both = PredictNoise(model, cat([x, x], 0), cat([t, t], 0), cat([labels, full_like(labels, model.Classes)], 0), "Sample");
        var (conditional, unconditional) = (both[..(int)x.shape[0]], both[(int)x.shape[0]..]);
        return (1 + scale) * conditional - scale * unconditional;
    }

    static Tensor? CheckSamplingLabels(INoisePredictor model, long count, SamplingOptions options, Device device)
    {
        // (1 + w)·ε̂ − w·ε̂ with w = ∞ is ∞ − ∞ = NaN: every sample would be NaN.
        if (!double.IsFinite(options.GuidanceScale))
            throw new ArgumentException($"ddpm: the guidance scale must be a finite number, got {TensorChecks.Describe(options.GuidanceScale)} (SamplingOptions.GuidanceScale).", nameof(options));
        if (options.GuidanceScale != 0 && model.Classes == 0)
            throw new ArgumentException($"ddpm: classifier-free guidance (scale {options.GuidanceScale}) needs a class-conditional model; this {model.GetType().Name} is unconditional.", nameof(options));
        if (options.GuidanceScale != 0 && options.Labels is null)
            throw new ArgumentException($"ddpm: classifier-free guidance (scale {options.GuidanceScale}) needs the labels to sample; SamplingOptions.Labels is null.", nameof(options));
        if (options.Labels is not { } labels)
            return null;
        if (model.Classes == 0)
            throw new ArgumentException($"ddpm: labels were given but this {model.GetType().Name} is unconditional.", nameof(options));
        if (labels.dim() != 1 || labels.shape[0] != count)
            throw new ArgumentException($"ddpm: one label per sample expected, labels [{count}]; got {Shapes.Format(labels)}.", nameof(options));
        return labels.to(int64).to(device);
    }

    void CheckSteps(Tensor x0, Tensor t, string method)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 1 || t.shape[0] != x0.shape[0])
            throw new ArgumentException($"ddpm.{method}: one step per sample expected, t [{x0.shape[0]}]; got t {Shapes.Format(t)} for x0 {Shapes.Format(x0)}.", nameof(t));
        if (t.is_floating_point())
            throw new ArgumentException($"ddpm.{method}: steps must be integers 0..{Steps - 1}, got {t.dtype}.", nameof(t));
        if (t.numel() > 0)
        {
            var (min, max) = (t.min().item<long>(), t.max().item<long>());
            if (min < 0 || max >= Steps)
                throw new ArgumentException($"ddpm.{method}: steps must lie in 0..T−1 = 0..{Steps - 1}; got {(min < 0 ? min : max)}.", nameof(t));
        }
    }

    static void CheckSamples(INoisePredictor model, Tensor x0, string method)
    {
        var shape = model.SampleShape;
        if (x0.dim() != shape.Count + 1 || !x0.shape[1..].SequenceEqual(shape))
            throw new ArgumentException($"ddpm.{method}: the model makes samples [N, {string.Join(", ", shape)}], got {Shapes.Format(x0)}.", nameof(x0));
        if (!x0.is_floating_point())
            throw new ArgumentException($"ddpm.{method}: samples must be floating point, got {x0.dtype}.", nameof(x0));
    }

    /// <summary>schedule[t] for each sample, shaped [N, 1, ..., 1] to broadcast over <paramref name="like"/>.</summary>
    static Tensor Gather(double[] schedule, Tensor t, Tensor like)
    {
        using var values = tensor(schedule, dtype: like.dtype, device: like.device);
        var shape = new long[like.dim()];
        Array.Fill(shape, 1L);
        shape[0] = like.shape[0];
        return values.index_select(0, t.to(int64).to(like.device)).reshape(shape);
    }
}
