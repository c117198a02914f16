using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>Options shared by the attribution methods.</summary>
public record AttributionOptions
{
    /// <summary>What is explained (default: the target class's logit, <see cref="ClassScores.Logit"/>).</summary>
    public ClassScore Score { get; init; } = ClassScores.Logit;

    /// <summary>How many model inputs go through the model at once (default 128); results do not depend on it.</summary>
    public int BatchSize { get; init; } = 128;
}

/// <summary>SmoothGrad's options (Smilkov et al., 2017).</summary>
public sealed record SmoothGradOptions : AttributionOptions
{
    /// <summary>Noisy copies per input (default 50).</summary>
    public int Samples { get; init; } = 50;

    /// <summary>The noise's standard deviation as a fraction of each input's value range, max − min (default 0.15; the paper finds 0.1–0.2 best).</summary>
    public double NoiseLevel { get; init; } = 0.15;

    /// <summary>Average the squared gradients instead of the gradients (SmoothGrad-squared).</summary>
    public bool Squared { get; init; }

    /// <summary>The noise's seed (null: drawn from <see cref="Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }
}

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
/// f(x) − f(baseline); how closely they do measures the quadrature error.
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

/// <summary>How a per-value attribution <c>[N, C, H, W]</c> becomes one value per pixel.</summary>
public enum PixelReduction
{
    /// <summary>The largest magnitude over the channels (Simonyan et al.'s saliency map; the default).</summary>
    MaxAbs,

    /// <summary>The sum of magnitudes over the channels.</summary>
    SumAbs,

    /// <summary>The signed sum over the channels (positive: evidence for the class).</summary>
    Sum,
}


/// <summary>
/// Gradient-based attribution: which input values the score of a class is most sensitive to, or owes most to. Every
/// method runs the model in eval mode (restoring its modes afterwards), differentiates only with respect to the input
/// (parameter gradients are left untouched), and returns a tensor of the input's shape on the input's device.
/// </summary>
/// <example><code>
/// var saliency = Attribution.Gradient(model, images, labels);                       // [N, 1, 28, 28]
/// var ig = Attribution.IntegratedGradients(model, images, labels, new() { Steps = 64 });
/// Console.WriteLine(ig.MaxRelativeError);                                              // completeness, e.g. 0.002
/// var map = Attribution.ToPixelMap(saliency);                                          // [N, 28, 28] for a heatmap
/// </code></example>
public static class Attribution
{
    /// <summary>
    /// Vanilla gradient saliency (Simonyan et al., 2014): ∂score/∂x, how much a small change of each input value
    /// changes the class score. For a saliency map take its magnitude (<see cref="ToPixelMap"/>).
    /// </summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">A batch <c>[N, ...]</c>.</param>
    /// <param name="targets">The class to explain for each input, <c>[N]</c>.</param>
    /// <param name="options">The score and batch size.</param>
    /// <exception cref="ArgumentException">Inputs and targets do not match, or a target is not a class of the model's output.</exception>
    public static Tensor Gradient(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, AttributionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "Gradient");
        options ??= new AttributionOptions();
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), "Gradient");
        using var eval = new EvalMode(model);
        return Batched(inputs, targets, options.BatchSize, (x, t) => ScoreGradient(model, x, t, options.Score, "Gradient").Gradient);
    }

    /// <summary>
    /// Gradient × input (Shrikumar et al., 2016): each input value times its gradient, a first-order estimate of its
    /// contribution to the score relative to a zero input. Exact for a linear model (where it equals Integrated Gradients
    /// with a zero baseline).
    /// </summary>
    /// <inheritdoc cref="Gradient"/>
    public static Tensor GradientTimesInput(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, AttributionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "GradientTimesInput");
        options ??= new AttributionOptions();
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), "GradientTimesInput");
        using var eval = new EvalMode(model);
        return Batched(inputs, targets, options.BatchSize, (x, t) => ScoreGradient(model, x, t, options.Score, "GradientTimesInput").Gradient * x);
    }

    /// <summary>
    /// SmoothGrad (Smilkov et al., 2017): the gradient averaged over noisy copies of the input, x + N(0, σ²) with σ a
    /// fraction of the input's range, which removes much of the vanilla gradient's speckle.
    /// </summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">A batch <c>[N, ...]</c>.</param>
    /// <param name="targets">The class to explain for each input, <c>[N]</c>.</param>
    /// <param name="options">Copies, noise level, seed.</param>
    /// <exception cref="ArgumentException">Inputs and targets do not match, or the options are out of range.</exception>
    public static Tensor SmoothGrad(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, SmoothGradOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "SmoothGrad");
        options ??= new SmoothGradOptions();
        AttributionChecks.Positive(options.Samples, nameof(options.Samples), "SmoothGrad");
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), "SmoothGrad");
        if (!(options.NoiseLevel >= 0) || !double.IsFinite(options.NoiseLevel))
            throw new ArgumentOutOfRangeException(nameof(options), options.NoiseLevel, $"SmoothGrad: NoiseLevel must be a finite number ≥ 0, got {options.NoiseLevel}.");
        using var eval = new EvalMode(model);
        using var generator = new Generator((ulong)(options.Seed ?? Seeding.NextSeed()), CPU);
        var samples = options.Samples;
        var perChunk = Math.Max(1, options.BatchSize / samples);
        var results = new List<Tensor>();
        using var scope = NewDisposeScope();
        for (long start = 0; start < inputs.shape[0]; start += perChunk)
        {
            using var step = NewDisposeScope();
            var end = Math.Min(inputs.shape[0], start + perChunk);
            var x = inputs.narrow(0, start, end - start).detach();
            var n = end - start;
            var flat = x.flatten(1);
            var sigma = (flat.amax([1]) - flat.amin([1])) * options.NoiseLevel;                       // [n]
            var noise = randn([n, samples, .. x.shape.Skip(1)], dtype: ScalarType.Float32, generator: generator).to(x.device).to(x.dtype);
            var noisy = (x.unsqueeze(1) + noise * sigma.view([n, 1, .. Enumerable.Repeat(1L, (int)x.dim() - 1)])).flatten(0, 1);
            var gradient = ScoreGradient(model, noisy, targets.narrow(0, start, end - start).repeat_interleave(samples), options.Score, "SmoothGrad").Gradient;
            if (options.Squared)
                gradient = gradient.square();
            results.Add(gradient.view([n, samples, .. x.shape.Skip(1)]).mean([1]).MoveToOuterDisposeScope());
        }
        return cat(results, 0).detach().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Integrated Gradients (Sundararajan et al., 2017): (x − x′) times the gradient averaged along the straight path
    /// from a baseline x′ to x. Its attributions are complete: they sum to f(x) − f(x′), up to the quadrature error that
    /// the result reports.
    /// </summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">A batch <c>[N, ...]</c>.</param>
    /// <param name="targets">The class to explain for each input, <c>[N]</c>.</param>
    /// <param name="options">Steps, baseline, rule, refinement.</param>
    /// <exception cref="ArgumentException">Inputs, targets or baseline do not match, Steps &lt; 1, or the refinement's settings are out of range.</exception>
    public static IntegratedGradientsResult IntegratedGradients(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, IntegratedGradientsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "IntegratedGradients");
        options ??= new IntegratedGradientsOptions();
        AttributionChecks.Positive(options.Steps, nameof(options.Steps), "IntegratedGradients");
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), "IntegratedGradients");
        if (options.TargetRelativeError is { } target && (!double.IsFinite(target) || target <= 0))
            throw new ArgumentOutOfRangeException(nameof(options), target, $"IntegratedGradients: TargetRelativeError must be a finite number > 0, got {target}.");
        if (options.TargetRelativeError is not null && options.MaxSteps < options.Steps)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxSteps, $"IntegratedGradients: MaxSteps ({options.MaxSteps}) must be at least Steps ({options.Steps}).");
        using var eval = new EvalMode(model);
        using var scope = NewDisposeScope();
        var baseline = Baseline(options.Baseline, inputs);
        var x = inputs.detach();
        var n = (int)x.shape[0];
        var (attributions, differences, sums) = Integrate(model, x, baseline, targets, options.Steps, options);
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
            var (again, d, s) = Integrate(model, x.index_select(0, index), baseline.index_select(0, index), targets.index_select(0, index.to(targets.device)), more, options);
            attributions.index_copy_(0, index, again);
            for (var k = 0; k < redo.Length; k++)
                (differences[redo[k]], sums[redo[k]], steps[redo[k]]) = (d[k], s[k], more);
        }
        return new IntegratedGradientsResult(attributions.MoveToOuterDisposeScope(), differences, sums) { Steps = steps };
    }

    /// <summary>IG of a batch with a given number of steps: attributions, f(x) − f(x′) and the attribution sums per sample.</summary>
    static (Tensor Attributions, double[] Differences, double[] Sums) Integrate(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor baseline, Tensor targets, int steps, IntegratedGradientsOptions options)
    {
        var (alphas, weights) = Quadrature(steps, options.Rule);
        var points = alphas.Length;
        var perChunk = Math.Max(1, options.BatchSize / points);
        var attributions = new List<Tensor>();
        var differences = new List<double>();
        var sums = new List<double>();
        for (long start = 0; start < inputs.shape[0]; start += perChunk)
        {
            using var step = NewDisposeScope();
            var end = Math.Min(inputs.shape[0], start + perChunk);
            var (x, b, t) = (inputs.narrow(0, start, end - start), baseline.narrow(0, start, end - start), targets.narrow(0, start, end - start));
            var n = end - start;
            var shape = new long[] { 1, points }.Concat(Enumerable.Repeat(1L, (int)x.dim() - 1)).ToArray();
            var alpha = tensor(alphas, dtype: x.dtype, device: x.device).view(shape);
            var path = (b.unsqueeze(1) + alpha * (x - b).unsqueeze(1)).flatten(0, 1);
            var gradient = ScoreGradient(model, path, t.repeat_interleave(points), options.Score, "IntegratedGradients").Gradient
                .view([n, points, .. x.shape.Skip(1)]);
            var weight = tensor(weights, dtype: x.dtype, device: x.device).view(shape);
            var attribution = (x - b) * (gradient * weight).sum([1]);
            Tensor ends;
            using (no_grad())
                ends = options.Score(model.call(cat([x, b], 0)), cat([t, t], 0).to(x.device)).to(float64).cpu();
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

    /// <summary>
    /// One value per pixel, <c>[N, H, W]</c>, from attributions <c>[N, C, H, W]</c> (e.g. for a heatmap or a deletion
    /// curve); a map <c>[N, H, W]</c> is returned as it is (copied).
    /// </summary>
    /// <exception cref="ArgumentException">The attributions are neither <c>[N, C, H, W]</c> nor <c>[N, H, W]</c>.</exception>
    public static Tensor ToPixelMap(Tensor attributions, PixelReduction reduction = PixelReduction.MaxAbs)
    {
        ArgumentNullException.ThrowIfNull(attributions);
        return attributions.dim() switch
        {
            3 => attributions.detach().clone(),
            4 => reduction switch
            {
                PixelReduction.MaxAbs => attributions.detach().abs().amax([1]),
                PixelReduction.SumAbs => attributions.detach().abs().sum([1]),
                _ => attributions.detach().sum([1]),
            },
            _ => throw new ArgumentException($"ToPixelMap needs attributions [N, C, H, W] or a map [N, H, W]; got {Shapes.Format(attributions)}.", nameof(attributions)),
        };
    }

    /// <summary>The score's gradient with respect to <paramref name="inputs"/> (no parameter gradient is accumulated), and the score.</summary>
    internal static (Tensor Gradient, Tensor Score) ScoreGradient(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, ClassScore score, string who)
    {
        using var grad = enable_grad();
        var x = inputs.detach().requires_grad_(true);
        var output = model.call(x);
        ClassScores.CheckTargets(output, targets, who);
        var s = score(output, targets.to(output.device));
        AttributionChecks.Score(s, x, who);
        if (!s.requires_grad)
            return (zeros_like(x), s.detach());
        var gradient = torch.autograd.grad([s.sum()], [x], allow_unused: true)[0];
        // An output that does not depend on the input (a constant model) has no gradient: it is zero.
        return (gradient is null || gradient.IsInvalid ? zeros_like(x) : gradient, s.detach());
    }

    /// <summary>Runs <paramref name="compute"/> on chunks of at most <paramref name="batchSize"/> inputs and concatenates the detached results.</summary>
    internal static Tensor Batched(Tensor inputs, Tensor targets, int batchSize, Func<Tensor, Tensor, Tensor> compute)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        for (long start = 0; start < inputs.shape[0]; start += batchSize)
        {
            using var step = NewDisposeScope();
            var end = Math.Min(inputs.shape[0], start + batchSize);
            parts.Add(compute(inputs.narrow(0, start, end - start), targets.narrow(0, start, end - start)).detach().MoveToOuterDisposeScope());
        }
        return (parts.Count == 1 ? parts[0] : cat(parts, 0)).MoveToOuterDisposeScope();
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
