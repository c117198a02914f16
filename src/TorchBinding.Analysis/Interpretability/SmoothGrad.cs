using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>SmoothGrad's options (Smilkov et al., 2017).</summary>
public sealed record SmoothGradOptions : AttributionOptions
{
    /// <summary>Noisy copies per input (default 50).</summary>
    public int Samples { get; init; } = 50;

    /// <summary>The noise's standard deviation as a fraction of each input's value range, max − min (default 0.15; the paper finds 0.1–0.2 best).</summary>
    public double NoiseLevel { get; init; } = 0.15;

    /// <summary>Average the squared gradients instead of the gradients (SmoothGrad-squared).</summary>
    public bool Squared { get; init; }

    /// <summary>Return the magnitude of the averaged gradient (the maps of the paper's figures) instead of its signed value.</summary>
    public bool Absolute { get; init; }

    /// <summary>The noise's seed (null: drawn from <see cref="Seeding.NextSeed"/> at each call).</summary>
    public int? Seed { get; init; }
}

/// <summary>
/// SmoothGrad (Smilkov et al., 2017): the gradient averaged over noisy copies of the input, x + N(0, σ²) with σ a fraction
/// of the input's range, which removes much of the vanilla gradient's speckle (Captum's <c>NoiseTunnel</c> over
/// <c>Saliency</c>). Works on any batch <c>[N, ...]</c>; its attributions have the inputs' shape.
/// </summary>
public sealed class SmoothGrad : IAttributionMethod
{
    /// <summary>A SmoothGrad method with the given options.</summary>
    /// <param name="options">Copies, noise level, seed (null: the defaults).</param>
    /// <exception cref="ArgumentOutOfRangeException">Samples or BatchSize &lt; 1, or NoiseLevel not a finite number ≥ 0.</exception>
    public SmoothGrad(SmoothGradOptions? options = null)
    {
        Options = options ?? new SmoothGradOptions();
        AttributionChecks.Positive(Options.Samples, nameof(Options.Samples), "SmoothGrad");
        AttributionChecks.Positive(Options.BatchSize, nameof(Options.BatchSize), "SmoothGrad");
        if (!(Options.NoiseLevel >= 0) || !double.IsFinite(Options.NoiseLevel))
            throw new ArgumentOutOfRangeException(nameof(options), Options.NoiseLevel, $"SmoothGrad: NoiseLevel must be a finite number ≥ 0, got {Options.NoiseLevel}.");
    }

    /// <summary>The method's options.</summary>
    public SmoothGradOptions Options { get; }

    /// <inheritdoc/>
    /// <remarks>Default <c>smoothgrad</c>.</remarks>
    public string Name { get; init; } = "smoothgrad";

    /// <summary>The mean gradient over the noisy copies (squared, or its magnitude, as the options say), of the inputs' shape.</summary>
    /// <inheritdoc cref="IAttributionMethod.Attribute"/>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var section = Profiler.Measure("smoothgrad");
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "SmoothGrad");
        using var eval = new EvalMode(model);
        using var generator = new Generator((ulong)(Options.Seed ?? Seeding.NextSeed()), CPU);
        var samples = Options.Samples;
        var perChunk = Math.Max(1, Options.BatchSize / samples);
        var results = new List<Tensor>();
        using var scope = NewDisposeScope();
        for (long start = 0; start < inputs.shape[0]; start += perChunk)
        {
            using var step = NewDisposeScope();
            var end = Math.Min(inputs.shape[0], start + perChunk);
            var x = inputs.narrow(0, start, end - start).detach();
            var n = end - start;
            var flat = x.flatten(1);
            var sigma = (flat.amax([1]) - flat.amin([1])) * Options.NoiseLevel;                       // [n]
            var noise = randn([n, samples, .. x.shape.Skip(1)], dtype: ScalarType.Float32, generator: generator).to(x.device).to(x.dtype);
            var noisy = (x.unsqueeze(1) + noise * sigma.view([n, 1, .. Enumerable.Repeat(1L, (int)x.dim() - 1)])).flatten(0, 1);
            var gradient = Attribution.ScoreGradient(model, noisy, targets.narrow(0, start, end - start).repeat_interleave(samples), Options.Score, "SmoothGrad").Gradient;
            if (Options.Squared)
                gradient = gradient.square();
            results.Add(gradient.view([n, samples, .. x.shape.Skip(1)]).mean([1]).MoveToOuterDisposeScope());
        }
        var mean = cat(results, 0).detach();
        return (Options.Absolute ? mean.abs() : mean).MoveToOuterDisposeScope();
    }
}
