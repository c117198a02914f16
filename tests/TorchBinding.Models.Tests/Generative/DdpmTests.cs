using TorchBinding.Models.Generative;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Generative;

public class DdpmTests
{
    [SetUp]
    public void Seed() => manual_seed(3);

    /// <summary>
    /// The exact noise predictor when the data is N(μ, s²) in each coordinate: x_t = √ᾱ x₀ + √(1−ᾱ) ε is then
    /// jointly Gaussian with ε, and E[ε | x_t] = √(1−ᾱ) (x_t − √ᾱ μ) / (ᾱ s² + 1 − ᾱ): the library's mixture
    /// predictor with one component.
    /// </summary>
    static GaussianMixtureNoisePredictor Gaussian(Ddpm ddpm, double[] mean, double std) => new(ddpm, [1.0], [mean], [std]);

    /// <summary>A conditional predictor whose answer is the label (as a float), so guidance arithmetic is visible.</summary>
    sealed class LabelEcho : INoisePredictor
    {
        public IReadOnlyList<long> SampleShape => [1];

        public int Classes => 3;

        public Tensor PredictNoise(Tensor x, Tensor t, Tensor? labels = null) =>
            (labels ?? full(x.shape[0], 3L)).to(x.dtype).reshape(-1, 1) + 0 * x;
    }

    /// <summary>A predictor that returns noise of the wrong shape: [N, N, 1] for samples [N, 1] (a broadcasting mistake).</summary>
    sealed class Broadcasting : INoisePredictor
    {
        public IReadOnlyList<long> SampleShape => [1];

        public int Classes => 0;

        public Tensor PredictNoise(Tensor x, Tensor t, Tensor? labels = null) => x.unsqueeze(0) - x.unsqueeze(1);
    }

    /// <summary>Predicts zero noise and keeps what it was asked: with x₀ = 0, x_t = √(1 − ᾱ_t) ε gives back the noise drawn.</summary>
    sealed class Recorder : INoisePredictor
    {
        public Tensor? X;
        public Tensor? T;

        public IReadOnlyList<long> SampleShape => [3];

        public int Classes => 0;

        public Tensor PredictNoise(Tensor x, Tensor t, Tensor? labels = null)
        {
            (X, T) = (x.clone(), t.clone());
            return zeros_like(x);
        }
    }

    [TestCase(0.0)]
    [TestCase(5.0)]
    [TestCase(0.5)]
    public void The_min_snr_weighting_weights_each_samples_error_by_min_of_snr_and_gamma_over_snr(double gamma)
    {
        var ddpm = new Ddpm(new DdpmOptions { Steps = 50, Schedule = BetaSchedule.Cosine });
        var recorder = new Recorder();
        var loss = ddpm.Loss(recorder, zeros(64, 3, dtype: float64), minSnrGamma: gamma).item<double>();

        var steps = recorder.T!.data<long>().ToArray();
        var xt = recorder.X!.data<double>().ToArray();
        double expected = 0;
        for (var i = 0; i < steps.Length; i++)
        {
            var alphaBar = ddpm.AlphaBars[(int)steps[i]];
            var snr = alphaBar / (1 - alphaBar);
            var weight = gamma == 0 ? 1 : Math.Min(snr, gamma) / snr;
            var squaredNoise = Enumerable.Range(0, 3).Select(j => xt[i * 3 + j] * xt[i * 3 + j] / (1 - alphaBar)).Average();
            expected += weight * squaredNoise / steps.Length;
        }
        Assert.That(loss, Is.EqualTo(expected).Within(1e-9 * expected));
        if (gamma > 0)
            Assert.That(steps.Any(t => ddpm.AlphaBars[(int)t] / (1 - ddpm.AlphaBars[(int)t]) > gamma), Is.True, "some steps are down-weighted");
        Assert.That(() => ddpm.Loss(recorder, zeros(2, 3), minSnrGamma: -1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("min-SNR"));
    }

    [Test]
    public void A_noise_predictor_of_the_wrong_shape_is_refused_naming_both_shapes()
    {
        var ddpm = new Ddpm(new DdpmOptions { Steps = 10 });
        Assert.Multiple(() =>
        {
            // Unchecked, sampling returned [4, 4, 1] for [4, 1] and the loss broadcast silently.
            Assert.That(() => ddpm.Sample(new Broadcasting(), 4),
                Throws.ArgumentException.With.Message.StartWith("ddpm.Sample: the noise predictor (Broadcasting) returned noise [4, 4, 1] for its input [4, 1]; it must return the shape of its input."));
            Assert.That(() => ddpm.SampleDdim(new Broadcasting(), 4, 3), Throws.ArgumentException.With.Message.Contain("returned noise [4, 4, 1] for its input [4, 1]"));
            Assert.That(() => ddpm.Loss(new Broadcasting(), ones(4, 1)),
                Throws.ArgumentException.With.Message.StartWith("ddpm.Loss: the noise predictor (Broadcasting) returned noise [4, 4, 1] for its input [4, 1]"));
        });
    }

    [TestCase(double.PositiveInfinity, "+infinity")]
    [TestCase(double.NegativeInfinity, "-infinity")]
    [TestCase(double.NaN, "NaN")]
    public void A_non_finite_guidance_scale_is_refused(double scale, string named)
    {
        // (1 + w)·ε̂ − w·ε̂ is ∞ − ∞ = NaN for w = ∞: every sample would be NaN.
        var ddpm = new Ddpm(new DdpmOptions { Steps = 10 });
        var labels = tensor(new long[] { 0, 1, 2, 0 });
        Assert.Multiple(() =>
        {
            Assert.That(() => ddpm.Sample(new LabelEcho(), 4, new SamplingOptions { Labels = labels, GuidanceScale = scale }),
                Throws.ArgumentException.With.Message.EqualTo($"ddpm: the guidance scale must be a finite number, got {named} (SamplingOptions.GuidanceScale). (Parameter 'options')"));
            Assert.That(() => ddpm.SampleDdim(new LabelEcho(), 4, 5, new SamplingOptions { Labels = labels, GuidanceScale = scale }),
                Throws.ArgumentException.With.Message.StartWith($"ddpm: the guidance scale must be a finite number, got {named}"));
            // A large finite scale is allowed and stays finite.
            Assert.That(ddpm.Sample(new LabelEcho(), 4, new SamplingOptions { Labels = labels, GuidanceScale = 1e3, Seed = 1 }).isfinite().all().item<bool>(), Is.True);
        });
    }

    [Test]
    public void The_linear_schedule_and_alpha_bar_match_their_closed_forms()
    {
        var ddpm = new Ddpm(new DdpmOptions { Steps = 50 });
        Assert.Multiple(() =>
        {
            Assert.That(ddpm.Betas[0], Is.EqualTo(1e-4).Within(1e-15));
            Assert.That(ddpm.Betas[49], Is.EqualTo(0.02).Within(1e-15));
            Assert.That(ddpm.Betas[10], Is.EqualTo(1e-4 + (0.02 - 1e-4) * 10 / 49).Within(1e-15));
            // ᾱ_t = exp(Σ log(1 − β_s)), the notebook's way of computing it.
            for (var t = 0; t < 50; t++)
                Assert.That(ddpm.AlphaBars[t], Is.EqualTo(Math.Exp(ddpm.Betas.Take(t + 1).Sum(b => Math.Log(1 - b)))).Within(1e-12), $"t = {t}");
            // The course's schedule leaves ᾱ_T ≈ 0.60: x_T is far from pure noise.
            Assert.That(ddpm.AlphaBars[49], Is.EqualTo(0.603).Within(0.001));
        });
    }

    [Test]
    public void The_cosine_schedules_alpha_bar_is_the_squared_cosine_ratio()
    {
        const int T = 100;
        var ddpm = new Ddpm(new DdpmOptions { Steps = T, Schedule = BetaSchedule.Cosine });
        static double F(int t) => Math.Pow(Math.Cos((t / (double)T + 0.008) / 1.008 * Math.PI / 2), 2);
        Assert.Multiple(() =>
        {
            // Up to the last step, where β is clipped to 0.999, ᾱ_t = f(t + 1) / f(0).
            for (var t = 0; t < T - 1; t++)
                Assert.That(ddpm.AlphaBars[t], Is.EqualTo(F(t + 1) / F(0)).Within(1e-12), $"t = {t}");
            Assert.That(ddpm.Betas[T - 1], Is.EqualTo(0.999));
            Assert.That(ddpm.Betas, Is.Ordered, "β grows");
        });
    }

    [Test]
    public void The_posterior_variance_is_that_of_the_Gaussian_posterior()
    {
        // q(x_{t−1} | x_t, x₀) ∝ N(x_{t−1}; √ᾱ_{t−1} x₀, 1 − ᾱ_{t−1}) · N(x_t; √α_t x_{t−1}, β_t): precisions add.
        var ddpm = new Ddpm(new DdpmOptions { Steps = 200, Schedule = BetaSchedule.Cosine });
        Assert.Multiple(() =>
        {
            Assert.That(ddpm.PosteriorVariances[0], Is.EqualTo(0));
            for (var t = 1; t < ddpm.Steps; t++)
            {
                var precision = 1 / (1 - ddpm.AlphaBars[t - 1]) + ddpm.Alphas[t] / ddpm.Betas[t];
                Assert.That(ddpm.PosteriorVariances[t], Is.EqualTo(1 / precision).Within(1e-12 + 1e-9 / precision), $"t = {t}");
                Assert.That(ddpm.PosteriorVariances[t], Is.LessThanOrEqualTo(ddpm.Betas[t]));
            }
        });
    }

    [Test]
    public void QSample_has_mean_sqrt_alpha_bar_x0_and_variance_one_minus_alpha_bar()
    {
        var ddpm = new Ddpm();
        const int n = 200_000;
        foreach (var t in new[] { 0, 100, 500, 999 })
        {
            var x0 = full(n, 1, 1.5, dtype: float64);
            var xt = ddpm.QSample(x0, full(n, (long)t));
            var alphaBar = ddpm.AlphaBars[t];
            // Standard errors: √((1 − ᾱ)/n) ≤ 0.0023 for the mean, about √(2/n) = 0.3 % relative for the variance.
            Assert.That(xt.mean().item<double>(), Is.EqualTo(Math.Sqrt(alphaBar) * 1.5).Within(0.01), $"mean at t = {t}");
            Assert.That(xt.var().item<double>(), Is.EqualTo(1 - alphaBar).Within(0.015 * (1 - alphaBar) + 1e-6), $"variance at t = {t}");
        }
        var noise = randn(4, 2);
        var given = ddpm.QSample(ones(4, 2), tensor(new long[] { 0, 1, 2, 3 }), noise);
        var expected = Math.Sqrt(ddpm.AlphaBars[2]) + Math.Sqrt(1 - ddpm.AlphaBars[2]) * noise[2, 1].item<float>();
        Assert.That(given[2, 1].item<float>(), Is.EqualTo(expected).Within(1e-5), "each sample at its own step, with the given noise");
    }

    static (double Mean0, double Mean1, double Var0, double Var1) Moments(Tensor samples)
    {
        var mean = samples.to(float64).mean([0]);
        var variance = samples.to(float64).var(0);
        return (mean[0].item<double>(), mean[1].item<double>(), variance[0].item<double>(), variance[1].item<double>());
    }

    /// <summary>
    /// What a sampler with the exact predictor of N(μ, s²) produces, in closed form. With d = x_t − √ᾱ_t μ the
    /// predictor is linear in d, so every step maps d to r·d + σz: the result is N(μ + m, V) with m and V from
    /// this recursion, starting from x ~ N(0, 1) (d has mean −√ᾱ_start μ and variance 1).
    /// Ancestral: r = (1 − β_t/v_t)/√α_t with v_t = ᾱ_t s² + 1 − ᾱ_t, plus the step's σ_t² (none at t = 0).
    /// DDIM: r = (√(ᾱ_prev ᾱ_t) s² + √(1 − ᾱ_prev − σ²) √(1 − ᾱ_t)) / v_t, plus σ² (ᾱ_prev = 1 after the last step).
    /// </summary>
    static (double MeanOffset, double Variance) Predicted(Ddpm ddpm, double mu, double s2, int? ddimSteps = null, double eta = 0)
    {
        var times = ddimSteps is { } steps ? ddpm.DdimTimes(steps) : [.. Enumerable.Range(0, ddpm.Steps).Reverse()];
        var (mean, variance) = (-Math.Sqrt(ddpm.AlphaBars[times[0]]) * mu, 1.0);
        for (var i = 0; i < times.Length; i++)
        {
            var t = times[i];
            var alphaBar = ddpm.AlphaBars[t];
            var v = alphaBar * s2 + 1 - alphaBar;
            double r, sigma2;
            if (ddimSteps is null)
            {
                r = (1 - ddpm.Betas[t] / v) / Math.Sqrt(ddpm.Alphas[t]);
                sigma2 = t == 0 ? 0 : ddpm.Variance == ReverseVariance.Beta ? ddpm.Betas[t] : ddpm.PosteriorVariances[t];
            }
            else
            {
                var previous = i + 1 < times.Length ? ddpm.AlphaBars[times[i + 1]] : 1.0;
                sigma2 = eta * eta * (1 - previous) / (1 - alphaBar) * (1 - alphaBar / previous);
                r = (Math.Sqrt(previous * alphaBar) * s2 + Math.Sqrt(Math.Max(0, 1 - previous - sigma2)) * Math.Sqrt(1 - alphaBar)) / v;
            }
            (mean, variance) = (mean * r, variance * r * r + sigma2);
        }
        return (mean, variance);
    }

    /// <summary>
    /// 20,000 samples of N((2, −1), 0.5²) match the sampler's closed form (standard errors: 0.0035 for a mean, 1 % for
    /// a variance; the bounds are 4 of them). A sampler with a wrong coefficient, a missing or doubled noise term, or
    /// steps in the wrong order misses these by far more.
    /// </summary>
    static void AssertMatches(Tensor samples, (double MeanOffset, double Variance) predicted)
    {
        var (m0, m1, v0, v1) = Moments(samples);
        Assert.Multiple(() =>
        {
            Assert.That(samples.shape, Is.EqualTo(new long[] { 20_000, 2 }));
            Assert.That(m0, Is.EqualTo(2.0 + predicted.MeanOffset).Within(0.015));
            Assert.That(m1, Is.EqualTo(-1.0 - predicted.MeanOffset / 2).Within(0.015), "μ = −1 has half the offset of μ = 2, opposite");
            Assert.That(v0, Is.EqualTo(predicted.Variance).Within(0.04 * predicted.Variance));
            Assert.That(v1, Is.EqualTo(predicted.Variance).Within(0.04 * predicted.Variance));
        });
    }

    [TestCase(BetaSchedule.Linear, ReverseVariance.Beta, 1000)]
    [TestCase(BetaSchedule.Linear, ReverseVariance.Posterior, 1000)]
    [TestCase(BetaSchedule.Cosine, ReverseVariance.Beta, 250)]
    public void Ancestral_sampling_with_the_exact_noise_predictor_recovers_the_gaussian(BetaSchedule schedule, ReverseVariance variance, int steps)
    {
        var ddpm = new Ddpm(new DdpmOptions { Steps = steps, Schedule = schedule, Variance = variance, BetaEnd = 0.02 * 1000 / steps });
        var model = Gaussian(ddpm, [2.0, -1.0], 0.5);
        var predicted = Predicted(ddpm, 2.0, 0.25);
        // The sampler's own result is the data's N(μ, 0.25) to within 2 % in variance (fewer steps: β scaled up, as
        // Ho et al.'s 1000-step range would leave x_T far from noise).
        Assert.That(predicted.Variance, Is.EqualTo(0.25).Within(0.02 * 0.25));
        Assert.That(predicted.MeanOffset, Is.EqualTo(0).Within(0.01));
        AssertMatches(ddpm.Sample(model, 20_000, new SamplingOptions { Seed = 1 }), predicted);
    }

    [TestCase(0.0, 500, 0.2471)]
    [TestCase(0.0, 50, 0.2227)]
    [TestCase(0.0, 20, 0.1853)]
    [TestCase(1.0, 100, 0.2190)]
    public void Ddim_sampling_with_the_exact_noise_predictor_recovers_the_gaussian_as_steps_grow(double eta, int steps, double variance)
    {
        // DDIM's large steps shrink the variance of Gaussian data (Cauchy–Schwarz: r² ≤ v_prev/v_t, equal only for
        // equal steps), so with few steps it lands inside the data; with 500 steps it recovers N(μ, 0.25) to 1 %.
        var ddpm = new Ddpm(new DdpmOptions { Steps = 1000 });
        var model = Gaussian(ddpm, [2.0, -1.0], 0.5);
        var predicted = Predicted(ddpm, 2.0, 0.25, steps, eta);
        Assert.That(predicted.Variance, Is.EqualTo(variance).Within(0.006), "the closed form");
        AssertMatches(ddpm.SampleDdim(model, 20_000, steps, new SamplingOptions { Seed = 2, Eta = eta }), predicted);
    }

    [Test]
    public void Ddim_visits_evenly_spaced_steps_from_the_last_to_the_first()
    {
        var ddpm = new Ddpm(new DdpmOptions { Steps = 1000 });
        Assert.Multiple(() =>
        {
            Assert.That(ddpm.DdimTimes(4), Is.EqualTo(new[] { 999, 666, 333, 0 }));
            Assert.That(ddpm.DdimTimes(1), Is.EqualTo(new[] { 999 }));
            Assert.That(ddpm.DdimTimes(1000), Is.EqualTo(Enumerable.Range(0, 1000).Reverse()));
        });
    }

    [Test]
    public void Seeded_sampling_is_reproducible_and_reports_every_step()
    {
        var ddpm = new Ddpm(new DdpmOptions { Steps = 30 });
        var model = Gaussian(ddpm, [1.0], 0.3);
        var seen = new List<int>();
        var a = ddpm.Sample(model, 100, new SamplingOptions { Seed = 4, OnStep = (k, x) => seen.Add(k) });
        var b = ddpm.Sample(model, 100, new SamplingOptions { Seed = 4 });
        var c = ddpm.Sample(model, 100, new SamplingOptions { Seed = 5 });
        var d1 = ddpm.SampleDdim(model, 100, 10, new SamplingOptions { Seed = 4, Eta = 0.5 });
        var d2 = ddpm.SampleDdim(model, 100, 10, new SamplingOptions { Seed = 4, Eta = 0.5 });
        Assert.Multiple(() =>
        {
            Assert.That(a.allclose(b, rtol: 0, atol: 0), Is.True, "same seed, same samples");
            Assert.That(a.allclose(c, rtol: 0, atol: 0), Is.False, "another seed, other samples");
            Assert.That(d1.allclose(d2, rtol: 0, atol: 0), Is.True, "DDIM with noise, same seed");
            Assert.That(seen, Is.EqualTo(Enumerable.Range(0, 31).Reverse()), "the noise (30 steps to go) to the sample (0)");
        });
    }

    [Test]
    public void Classifier_free_guidance_extrapolates_from_the_unconditional_prediction()
    {
        // With ε̂(label) = label and ε̂(no class) = 3, one DDIM step of T = 1 from x returns
        // (x − √(1−ᾱ) ε̃)/√ᾱ with ε̃ = (1 + w)·label − w·3; the same start with w = 0 isolates ε̃.
        var ddpm = new Ddpm([0.5]);
        var model = new LabelEcho();
        var labels = tensor(new long[] { 0, 1, 2 });
        var plain = ddpm.SampleDdim(model, 3, 1, new SamplingOptions { Seed = 1, Labels = labels });
        var guided = ddpm.SampleDdim(model, 3, 1, new SamplingOptions { Seed = 1, Labels = labels, GuidanceScale = 2 });
        var factor = Math.Sqrt(0.5) / Math.Sqrt(0.5); // √(1−ᾱ)/√ᾱ with ᾱ = 0.5
        for (var k = 0; k < 3; k++)
        {
            var difference = guided[k, 0].item<float>() - plain[k, 0].item<float>();
            var guidedNoise = 3 * k - 2 * 3.0; // (1 + 2)·k − 2·3
            Assert.That(difference, Is.EqualTo(-factor * (guidedNoise - k)).Within(1e-5), $"label {k}");
        }
    }

    [Test]
    public void The_mixture_predictor_weighs_the_components_by_their_posterior_probability()
    {
        // Two 1-D components far apart: at a step with ᾱ = 0.5, a point near one component's mean gets that
        // component's Gaussian answer; far from both, each one's answer in proportion to its posterior probability.
        var ddpm = new Ddpm([0.5]);
        var mixture = new GaussianMixtureNoisePredictor(ddpm, [0.3, 0.7], [[3.0], [-3.0]], [0.5, 0.5]);
        var v = 0.5 * 0.25 + 0.5;
        var x = tensor(new[] { 3 * Math.Sqrt(0.5), 0.0 }).reshape(2, 1);
        var e = mixture.PredictNoise(x, tensor(new long[] { 0, 0 }));
        var (d1, d2) = (0 - 3 * Math.Sqrt(0.5), 0 + 3 * Math.Sqrt(0.5));  // x − √ᾱ μ_k at x = 0
        var r1 = 0.3 * Math.Exp(-d1 * d1 / (2 * v)) / (0.3 * Math.Exp(-d1 * d1 / (2 * v)) + 0.7 * Math.Exp(-d2 * d2 / (2 * v)));
        Assert.Multiple(() =>
        {
            Assert.That(e[0, 0].item<double>(), Is.EqualTo(0).Within(1e-4), "at the first component's mean (the other one's posterior is about 1e-6)");
            Assert.That(e[1, 0].item<double>(), Is.EqualTo(Math.Sqrt(0.5) * (r1 * d1 + (1 - r1) * d2) / v).Within(1e-12));
            Assert.That(() => new GaussianMixtureNoisePredictor(ddpm, [0.3, 0.6], [[3.0], [-3.0]], [0.5, 0.5]), Throws.ArgumentException.With.Message.Contain("sum to 1"));
            Assert.That(() => new GaussianMixtureNoisePredictor(ddpm, [0.3, 0.7], [[3.0], [-3.0, 1]], [0.5, 0.5]), Throws.ArgumentException.With.Message.Contain("same, positive length"));
        });
    }

    [Test]
    public void The_course_schedule_overweights_the_small_mode_even_with_the_exact_predictor()
    {
        // The course's 1-D data: 30 % N(0.75, 0.05²), 70 % N(−0.75, 0.05²). Its schedule (T = 50, β up to 0.02)
        // leaves ᾱ_T ≈ 0.60, so x_T is not N(0, 1) and starting there puts about 40 % of the samples in the small
        // mode; a schedule that reaches noise (cosine, ᾱ_T ≈ 0) gives the 30 % (standard error 0.5 % with 10,000).
        double Positive(Ddpm ddpm)
        {
            var mixture = new GaussianMixtureNoisePredictor(ddpm, [0.3, 0.7], [[0.75], [-0.75]], [0.05, 0.05]);
            return ddpm.Sample(mixture, 10_000, new SamplingOptions { Seed = 3 }).gt(0).to(float64).mean().item<double>();
        }
        Assert.That(Positive(new Ddpm(new DdpmOptions { Steps = 50 })), Is.InRange(0.37, 0.43));
        Assert.That(Positive(new Ddpm(new DdpmOptions { Steps = 50, Schedule = BetaSchedule.Cosine })), Is.InRange(0.285, 0.315));
    }

    [Test]
    public void Bad_schedules_steps_and_guidance_are_refused_with_the_reason()
    {
        var ddpm = new Ddpm(new DdpmOptions { Steps = 10 });
        var unconditional = Gaussian(ddpm, [0.0], 1);
        Assert.Multiple(() =>
        {
            Assert.That(() => new Ddpm(new DdpmOptions { Steps = 0 }), Throws.ArgumentException.With.Message.StartWith("ddpm needs at least one step (T >= 1), got T = 0."));
            Assert.That(() => new Ddpm(new DdpmOptions { BetaEnd = 1.0 }), Throws.ArgumentException.With.Message.StartWith("ddpm: every beta must lie in (0, 1); BetaEnd is 1."));
            Assert.That(() => new Ddpm(new DdpmOptions { BetaStart = 0 }), Throws.ArgumentException.With.Message.StartWith("ddpm: every beta must lie in (0, 1); BetaStart is 0."));
            Assert.That(() => new Ddpm([0.1, -0.2]), Throws.ArgumentException.With.Message.StartWith("ddpm: every beta must lie in (0, 1); beta at step 1 is -0.2."));
            Assert.That(() => new Ddpm(Array.Empty<double>()), Throws.ArgumentException.With.Message.StartWith("ddpm needs at least one step"));
            Assert.That(() => ddpm.Sample(unconditional, 4, new SamplingOptions { GuidanceScale = 3 }),
                Throws.ArgumentException.With.Message.StartWith("ddpm: classifier-free guidance (scale 3) needs a class-conditional model; this GaussianMixtureNoisePredictor is unconditional."));
            Assert.That(() => ddpm.Sample(new LabelEcho(), 4, new SamplingOptions { GuidanceScale = 3 }), Throws.ArgumentException.With.Message.Contain("needs the labels"));
            Assert.That(() => ddpm.Sample(new LabelEcho(), 4, new SamplingOptions { Labels = tensor(new long[] { 1, 2 }) }), Throws.ArgumentException.With.Message.Contain("one label per sample expected, labels [4]; got [2]"));
            Assert.That(() => ddpm.SampleDdim(unconditional, 4, 11), Throws.TypeOf<ArgumentOutOfRangeException>().With.Message.Contain("1..T = 10"));
            Assert.That(() => ddpm.QSample(ones(2, 1), tensor(new long[] { 0, 10 })), Throws.ArgumentException.With.Message.StartWith("ddpm.QSample: steps must lie in 0..T−1 = 0..9; got 10."));
            Assert.That(() => ddpm.QSample(ones(2, 1), tensor(new long[] { 0 })), Throws.ArgumentException.With.Message.Contain("one step per sample expected"));
            Assert.That(() => ddpm.Loss(unconditional, ones(2, 3)), Throws.ArgumentException.With.Message.StartWith("ddpm.Loss: the model makes samples [N, 1], got [2, 3]."));
            Assert.That(() => ddpm.Loss(unconditional, ones(2, 1), labelDropout: 0.1), Throws.ArgumentException.With.Message.Contain("needs a class-conditional model"));
            Assert.That(() => new DiffusionStep(ddpm, unconditional), Throws.ArgumentException.With.Message.Contain("DiffusionStep trains a module"));
            Assert.That(() => new DiffusionStep(ddpm, unconditional, 0.1), Throws.ArgumentException.With.Message.Contain("needs a class-conditional model"));
        });
    }
}
