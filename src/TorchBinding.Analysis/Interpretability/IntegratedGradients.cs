using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>How Integrated Gradients approximates its path integral.</summary>
public enum IntegrationRule
{
    /// <summary>The trapezoidal rule over Steps + 1 points, ends included (the default; exact for gradients linear along the path).</summary>
    Trapezoid,

    /// <summary>The midpoint rule over Steps points.</summary>
    Midpoint,

    /// <summary>The left Riemann sum (Steps points, the baseline included, the input not).</summary>
    Left,

    /// <summary>The right Riemann sum (Steps points, the input included, the baseline not; Sundararajan et al.'s formula).</summary>
    Right,
}

/// <summary>Integrated Gradients' options (Sundararajan et al., 2017).</summary>
public sealed record IntegratedGradientsOptions : AttributionOptions
{
    /// <summary>Intervals of the path from the baseline to the input (default 64).</summary>
    public int Steps { get; init; } = 64;

    /// <summary>
    /// The baseline: a tensor of the input's shape <c>[N, ...]</c>, of one sample's shape <c>[...]</c>, or a single value
    /// (null: zeros, a black image).
    /// </summary>
    public Tensor? Baseline { get; init; }

    /// <summary>The quadrature rule (default <see cref="IntegrationRule.Trapezoid"/>).</summary>
    public IntegrationRule Rule { get; init; } = IntegrationRule.Trapezoid;

    /// <summary>
    /// Refine until complete: a sample whose relative completeness error exceeds this is integrated again with twice
    /// the steps, up to <see cref="MaxSteps"/> (null, the default: no refinement). A ReLU network's kinks make the
    /// quadrature error fall only as 1/steps, so a few samples may need many more steps than the rest.
    /// </summary>
    public double? TargetRelativeError { get; init; }

    /// <summary>The most steps refinement may use for a sample (default 2048).</summary>
    public int MaxSteps { get; init; } = 2048;
}

/// <summary>
/// Integrated Gradients' attributions with the check of its completeness axiom: the attributions of a sample sum to
/// f(x) − f(baseline); how closely they do measures the quadrature error (Captum's convergence delta).
/// </summary>
/// <param name="Attributions">Attributions of the input's shape <c>[N, ...]</c> (the caller owns the tensor).</param>
/// <param name="ScoreDifferences">f(x) − f(baseline) per sample.</param>
/// <param name="AttributionSums">The sum of each sample's attributions.</param>
public sealed record IntegratedGradientsResult(Tensor Attributions, IReadOnlyList<double> ScoreDifferences, IReadOnlyList<double> AttributionSums)
{
    /// <summary>The steps each sample was integrated with (more than asked where refinement was needed).</summary>
    public IReadOnlyList<int> Steps { get; init; } = [];

    /// <summary>|Σ attributions − (f(x) − f(baseline))| / |f(x) − f(baseline)| per sample.</summary>
    public IReadOnlyList<double> RelativeErrors => ScoreDifferences.Select((d, i) => Math.Abs(AttributionSums[i] - d) / Math.Abs(d)).ToList();

    /// <summary>The largest relative completeness error over the samples.</summary>
    public double MaxRelativeError => RelativeErrors.DefaultIfEmpty(0).Max();
}

/// <summary>
/// Integrated Gradients (Sundararajan et al., 2017): (x − x′) times the gradient averaged along the straight path from a
/// baseline x′ to x. Its attributions are complete: they sum to f(x) − f(x′), up to the quadrature error that
/// <see cref="AttributeWithCompleteness"/> reports. Works on any batch <c>[N, ...]</c>; its attributions have the inputs' shape.
/// </summary>
/// <example><code>
/// var ig = new IntegratedGradients(new() { Steps = 128, TargetRelativeError = 0.005 });
/// var attributions = ig.Attribute(model, images, labels);                               // as every method
/// var result = ig.AttributeWithCompleteness(model, images, labels);                     // with the completeness check
/// Console.WriteLine($"{result.MaxRelativeError:P2}, at most {result.Steps.Max()} steps");
/// </code></example>
public sealed class IntegratedGradients : IAttributionMethod
{
    /// <summary>An Integrated Gradients method with the given options.</summary>
    /// <param name="options">Steps, baseline, rule, refinement (null: the defaults).</param>
    /// <exception cref="ArgumentOutOfRangeException">Steps or BatchSize &lt; 1, or the refinement's settings are out of range.</exception>
    public IntegratedGradients(IntegratedGradientsOptions? options = null)
    {
        Options = options ?? new IntegratedGradientsOptions();
        AttributionChecks.Positive(Options.Steps, nameof(Options.Steps), "IntegratedGradients");
        AttributionChecks.Positive(Options.BatchSize, nameof(Options.BatchSize), "IntegratedGradients");
        if (Options.TargetRelativeError is { } target && (!double.IsFinite(target) || target <= 0))
            throw new ArgumentOutOfRangeException(nameof(options), target, $"IntegratedGradients: TargetRelativeError must be a finite number > 0, got {target}.");
        if (Options.TargetRelativeError is not null && Options.MaxSteps < Options.Steps)
            throw new ArgumentOutOfRangeException(nameof(options), Options.MaxSteps, $"IntegratedGradients: MaxSteps ({Options.MaxSteps}) must be at least Steps ({Options.Steps}).");
    }

    /// <summary>The method's options.</summary>
    public IntegratedGradientsOptions Options { get; }

    /// <inheritdoc/>
    /// <remarks>Default <c>integrated_gradients</c>.</remarks>
    public string Name { get; init; } = "integrated_gradients";

    /// <summary>The attributions of <see cref="AttributeWithCompleteness"/>, without its completeness check.</summary>
    /// <inheritdoc cref="IAttributionMethod.Attribute"/>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets) =>
        AttributeWithCompleteness(model, inputs, targets).Attributions;

    /// <summary>The attributions with the check of their completeness: f(x) − f(x′) and the attribution sum of each sample, and the steps it took.</summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">A batch <c>[N, ...]</c>.</param>
    /// <param name="targets">The class to explain for each input, <c>[N]</c>.</param>
    /// <exception cref="ArgumentException">Inputs, targets or baseline do not match.</exception>
    public IntegratedGradientsResult AttributeWithCompleteness(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var section = Profiler.Measure("integrated gradients");
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "IntegratedGradients");
        var options = Options;
        using var eval = new EvalMode(model);
        using var scope = NewDisposeScope();
        var baseline = Baseline(options.Baseline, inputs);
        var x = inputs.detach();
        var n = (int)x.shape[0];
        var (attributions, differences, sums) = Integrate(model, x, baseline, targets, options.Steps);
        var steps = Enumerable.Repeat(options.Steps, n).ToArray();
        // Refinement: integrate the samples that miss the target again, with twice the steps, until they meet it.
        while (options.TargetRelativeError is { } tolerance)
        {
            var redo = Enumerable.Range(0, n)
                .Where(i => Math.Abs(sums[i] - differences[i]) > tolerance * Math.Abs(differences[i]) && steps[i] * 2 <= options.MaxSteps)
                .ToArray();
            if (redo.Length == 0)
                break;
            using var refine = NewDisposeScope();
            var index = tensor(redo.Select(i => (long)i).ToArray(), device: x.device);
            var more = steps[redo[0]] * 2;
            var (again, d, s) = Integrate(model, x.index_select(0, index), baseline.index_select(0, index), targets.index_select(0, index.to(targets.device)), more);
            attributions.index_copy_(0, index, again);
            for (var k = 0; k < redo.Length; k++)
                (differences[redo[k]], sums[redo[k]], steps[redo[k]]) = (d[k], s[k], more);
        }
        return new IntegratedGradientsResult(attributions.MoveToOuterDisposeScope(), differences, sums) { Steps = steps };
    }

    /// <summary>IG of a batch with a given number of steps: attributions, f(x) − f(x′) and the attribution sums per sample.</summary>
    /// <remarks>
    /// At most <see cref="AttributionOptions.BatchSize"/> path points go through the model at once: several samples'
    /// paths together while they are short, and a long path (refinement reaches 2,049 points) in windows whose weighted
    /// gradients are summed, so memory stays that of one batch whatever the steps.
    /// </remarks>
    (Tensor Attributions, double[] Differences, double[] Sums) Integrate(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor baseline, Tensor targets, int steps)
    {
        var (alphas, weights) = Quadrature(steps, Options.Rule);
        var points = alphas.Length;
        var perChunk = Math.Max(1, Options.BatchSize / points);
        var pointsPerPass = Math.Min(points, Options.BatchSize);
        var attributions = new List<Tensor>();
        var differences = new List<double>();
        var sums = new List<double>();
        for (long start = 0; start < inputs.shape[0]; start += perChunk)
        {
            using var step = NewDisposeScope();
            var end = Math.Min(inputs.shape[0], start + perChunk);
            var (x, b, t) = (inputs.narrow(0, start, end - start), baseline.narrow(0, start, end - start), targets.narrow(0, start, end - start));
            var n = end - start;
            // Σ_k w_k ∂f/∂x at the path points α_k, one window of points at a time.
            var weighted = zeros_like(x);
            for (var first = 0; first < points; first += pointsPerPass)
            {
                using var pass = NewDisposeScope();
                var count = Math.Min(pointsPerPass, points - first);
                var shape = new long[] { 1, count }.Concat(Enumerable.Repeat(1L, (int)x.dim() - 1)).ToArray();
                var alpha = tensor(alphas[first..(first + count)], dtype: x.dtype, device: x.device).view(shape);
                var path = (b.unsqueeze(1) + alpha * (x - b).unsqueeze(1)).flatten(0, 1);
                var gradient = Attribution.ScoreGradient(model, path, t.repeat_interleave(count), Options.Score, "IntegratedGradients").Gradient
                    .view([n, count, .. x.shape.Skip(1)]);
                var weight = tensor(weights[first..(first + count)], dtype: x.dtype, device: x.device).view(shape);
                weighted.add_((gradient * weight).sum([1]));
            }
            var attribution = (x - b) * weighted;
            Tensor ends;
            using (no_grad())
                ends = Options.Score(model.call(cat([x, b], 0)), cat([t, t], 0).to(x.device)).to(float64).cpu();
            var endValues = ends.data<double>().ToArray();
            var sumValues = attribution.flatten(1).sum([1]).to(float64).cpu().data<double>().ToArray();
            for (var i = 0; i < n; i++)
            {
                differences.Add(endValues[i] - endValues[n + i]);
                sums.Add(sumValues[i]);
            }
            attributions.Add(attribution.detach().MoveToOuterDisposeScope());
        }
        return (cat(attributions, 0).MoveToOuterDisposeScope(), differences.ToArray(), sums.ToArray());
    }

    /// <summary>The path positions α and weights of a rule over <paramref name="steps"/> intervals.</summary>
    internal static (double[] Alphas, double[] Weights) Quadrature(int steps, IntegrationRule rule) => rule switch
    {
        IntegrationRule.Trapezoid => (
            Enumerable.Range(0, steps + 1).Select(k => (double)k / steps).ToArray(),
            Enumerable.Range(0, steps + 1).Select(k => k == 0 || k == steps ? 0.5 / steps : 1.0 / steps).ToArray()),
        IntegrationRule.Midpoint => (Enumerable.Range(0, steps).Select(k => (k + 0.5) / steps).ToArray(), Enumerable.Repeat(1.0 / steps, steps).ToArray()),
        IntegrationRule.Left => (Enumerable.Range(0, steps).Select(k => (double)k / steps).ToArray(), Enumerable.Repeat(1.0 / steps, steps).ToArray()),
        IntegrationRule.Right => (Enumerable.Range(1, steps).Select(k => (double)k / steps).ToArray(), Enumerable.Repeat(1.0 / steps, steps).ToArray()),
        _ => throw new ArgumentOutOfRangeException(nameof(rule), rule, "Unknown integration rule."),
    };

    /// <summary>The baseline broadcast to the inputs' shape.</summary>
    static Tensor Baseline(Tensor? baseline, Tensor inputs)
    {
        if (baseline is null)
            return zeros_like(inputs);
        var sampleShape = inputs.shape.Skip(1).ToArray();
        if (baseline.numel() == 1)
            return full_like(inputs, baseline.to(float64).cpu().item<double>());
        if (baseline.shape.SequenceEqual(inputs.shape))
            return baseline.detach().to(inputs.device).to(inputs.dtype);
        if (baseline.shape.SequenceEqual(sampleShape))
            return baseline.detach().to(inputs.device).to(inputs.dtype).unsqueeze(0).expand(inputs.shape);
        throw new ArgumentException($"IntegratedGradients: the baseline must have the inputs' shape {Shapes.Format(inputs)}, one sample's shape {Shapes.Format(sampleShape)}, or be a single value; got {Shapes.Format(baseline)}.", nameof(baseline));
    }
}
