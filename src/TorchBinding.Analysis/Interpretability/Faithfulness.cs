using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>Options of the deletion and insertion curves.</summary>
public sealed record FaithfulnessOptions
{
    /// <summary>Points of the curve after the start: pixels are removed (or inserted) in this many equal steps (default 20).</summary>
    public int Steps { get; init; } = 20;

    /// <summary>The value a deleted pixel takes, and the canvas pixels are inserted into, in every channel (default 0).</summary>
    public double Fill { get; init; }

    /// <summary>What is tracked along the curve (default the target class's probability, as Petsiuk et al.).</summary>
    public ClassScore Score { get; init; } = ClassScores.Probability;

    /// <summary>Images through the model at once (default 256).</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>The seed of the random order among pixels of equal importance (null: drawn from <see cref="Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }
}

/// <summary>A deletion or insertion curve: the mean score after each fraction of the pixels was removed or inserted.</summary>
/// <param name="Fractions">The fractions of pixels removed (inserted), from 0 to 1.</param>
/// <param name="Scores">The mean score over the images at each fraction.</param>
public sealed record FaithfulnessCurve(IReadOnlyList<double> Fractions, IReadOnlyList<double> Scores)
{
    /// <summary>The area under the curve (trapezoidal rule over the fractions): low is good for deletion, high for insertion.</summary>
    public double Auc => Enumerable.Range(1, Fractions.Count - 1).Sum(i => (Fractions[i] - Fractions[i - 1]) * (Scores[i] + Scores[i - 1]) / 2);
}

/// <summary>Both curves of one method's attributions.</summary>
/// <param name="Deletion">The deletion curve (a small area is good).</param>
/// <param name="Insertion">The insertion curve (a large area is good).</param>
public sealed record FaithfulnessCurves(FaithfulnessCurve Deletion, FaithfulnessCurve Insertion);

/// <summary>
/// Faithfulness of an attribution method (Petsiuk et al., 2018): delete the pixels it ranks most important first and
/// watch the class probability fall (a faithful method makes it fall fast: a small area under the deletion curve), or
/// insert them into a blank canvas and watch it rise (a large area under the insertion curve). A random ranking
/// (<see cref="RandomAttribution"/>) is the baseline. Each curve takes a method (any <see cref="IAttributionMethod"/>),
/// or attributions already computed.
/// </summary>
/// <remarks>
/// A pixel's importance is its value in a map <c>[N, H, W]</c>, or the sum over the channels of attributions of the
/// images' shape <c>[N, C, H, W]</c> (what a method returns); ties are broken in a seeded random order.
/// </remarks>
/// <example><code>
/// foreach (var method in new IAttributionMethod[] { new Saliency(new() { Absolute = true }), new RandomAttribution(seed: 1) })
/// {
///     var curves = Faithfulness.Curves(model, images, labels, method);
///     Console.WriteLine($"{method.Name}: deletion {curves.Deletion.Auc:F3}, insertion {curves.Insertion.Auc:F3}");
/// }
/// </code></example>
public static class Faithfulness
{
    /// <summary>The deletion curve of <paramref name="method"/>: pixels set to the fill value in order of decreasing importance.</summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">Images <c>[N, C, H, W]</c>.</param>
    /// <param name="targets">The class of each image, <c>[N]</c>.</param>
    /// <param name="method">The attribution method whose ranking is tested; it explains <paramref name="model"/> on these images.</param>
    /// <param name="options">Steps, fill value, score.</param>
    /// <exception cref="ArgumentException">The inputs are not images, or Steps &lt; 1.</exception>
    public static FaithfulnessCurve Deletion(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, IAttributionMethod method, FaithfulnessOptions? options = null) =>
        WithAttributions(model, inputs, targets, method, maps => Deletion(model, inputs, targets, maps, options));

    /// <summary>The insertion curve of <paramref name="method"/>: pixels copied onto a canvas of the fill value in order of decreasing importance.</summary>
    /// <inheritdoc cref="Deletion(nn.Module{Tensor, Tensor}, Tensor, Tensor, IAttributionMethod, FaithfulnessOptions?)"/>
    public static FaithfulnessCurve Insertion(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, IAttributionMethod method, FaithfulnessOptions? options = null) =>
        WithAttributions(model, inputs, targets, method, maps => Insertion(model, inputs, targets, maps, options));

    /// <summary>Both curves of <paramref name="method"/>, from one computation of its attributions (deletion first, then insertion).</summary>
    /// <inheritdoc cref="Deletion(nn.Module{Tensor, Tensor}, Tensor, Tensor, IAttributionMethod, FaithfulnessOptions?)"/>
    public static FaithfulnessCurves Curves(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, IAttributionMethod method, FaithfulnessOptions? options = null) =>
        WithAttributions(model, inputs, targets, method, maps => Curves(model, inputs, targets, maps, options));

    /// <summary>The deletion curve of given attributions: pixels set to the fill value in order of decreasing importance.</summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">Images <c>[N, C, H, W]</c>.</param>
    /// <param name="targets">The class of each image, <c>[N]</c>.</param>
    /// <param name="maps">Importance per pixel, <c>[N, H, W]</c> (larger: more important), or per value <c>[N, C, H, W]</c> (summed over channels).</param>
    /// <param name="options">Steps, fill value, score.</param>
    /// <exception cref="ArgumentException">The maps do not match the images, or Steps &lt; 1.</exception>
    public static FaithfulnessCurve Deletion(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, Tensor maps, FaithfulnessOptions? options = null) =>
        Curve(model, inputs, targets, maps, options ?? new FaithfulnessOptions(), insertion: false);

    /// <summary>The insertion curve of given attributions: pixels copied onto a canvas of the fill value in order of decreasing importance.</summary>
    /// <inheritdoc cref="Deletion(nn.Module{Tensor, Tensor}, Tensor, Tensor, Tensor, FaithfulnessOptions?)"/>
    public static FaithfulnessCurve Insertion(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, Tensor maps, FaithfulnessOptions? options = null) =>
        Curve(model, inputs, targets, maps, options ?? new FaithfulnessOptions(), insertion: true);

    /// <summary>Both curves of given attributions (deletion first, then insertion).</summary>
    /// <inheritdoc cref="Deletion(nn.Module{Tensor, Tensor}, Tensor, Tensor, Tensor, FaithfulnessOptions?)"/>
    public static FaithfulnessCurves Curves(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, Tensor maps, FaithfulnessOptions? options = null) =>
        new(Deletion(model, inputs, targets, maps, options), Insertion(model, inputs, targets, maps, options));

    /// <summary>Computes the method's attributions, hands them to <paramref name="measure"/>, and frees them.</summary>
    static T WithAttributions<T>(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, IAttributionMethod method, Func<Tensor, T> measure)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(inputs);
        AttributionChecks.Images(inputs, "Faithfulness");
        using var attributions = method.Attribute(model, inputs, targets);
        return measure(attributions);
    }

    static FaithfulnessCurve Curve(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, Tensor maps, FaithfulnessOptions options, bool insertion)
    {
        using var section = Profiler.Measure("faithfulness");
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(maps);
        var who = insertion ? "Insertion" : "Deletion";
        AttributionChecks.Inputs(inputs, targets, who);
        AttributionChecks.Images(inputs, who);
        AttributionChecks.Positive(options.Steps, nameof(options.Steps), who);
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), who);
        var (n, height, width) = (inputs.shape[0], inputs.shape[2], inputs.shape[3]);
        var mapShapeFits = maps.dim() == 3 ? maps.shape.SequenceEqual(new[] { n, height, width }) : maps.dim() == 4 && maps.shape.SequenceEqual(inputs.shape);
        if (!mapShapeFits)
            throw new ArgumentException($"{who}: maps must be [N, H, W] = [{n}, {height}, {width}] (or the inputs' shape {Shapes.Format(inputs)}); got {Shapes.Format(maps)}.", nameof(maps));

        using var eval = new EvalMode(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var pixels = height * width;
        var importance = (maps.dim() == 4 ? maps.sum([1]) : maps).detach().to(float64).cpu().flatten(1);   // [N, HW]
        // Rank the pixels by decreasing importance; ties are broken in a random (seeded) order, not by position.
        using var generator = new Generator((ulong)(options.Seed ?? Seeding.NextSeed()), CPU);
        var shuffle = stack(Enumerable.Range(0, (int)n).Select(_ => randperm(pixels, generator: generator)).ToArray());   // [N, HW]
        var shuffled = importance.gather(1, shuffle);
        var order = shuffle.gather(1, shuffled.sort(1, descending: true, stable: true).Indices);                 // pixel indices, most important first
        var rank = empty_like(order).scatter_(1, order, arange(pixels).unsqueeze(0).expand(n, pixels));        // each pixel's place in the order
        var counts = Enumerable.Range(0, options.Steps + 1).Select(k => (long)Math.Round((double)k * pixels / options.Steps)).ToArray();
        var fractions = counts.Select(c => (double)c / pixels).ToArray();
        var sums = new double[counts.Length];
        var perChunk = Math.Max(1, options.BatchSize / counts.Length);
        var countTensor = tensor(counts).view(1, counts.Length, 1);
        for (long start = 0; start < n; start += perChunk)
        {
            using var step = NewDisposeScope();
            var m = Math.Min(n - start, perChunk);
            var x = inputs.narrow(0, start, m).detach();
            var t = targets.narrow(0, start, m);
            // changed[i, k, p]: pixel p of image i is deleted (inserted) at step k.
            var changed = rank.narrow(0, start, m).unsqueeze(1).lt(countTensor).to(x.dtype).to(x.device)
                .view(m, counts.Length, 1, height, width);
            var keep = insertion ? changed : 1 - changed;
            var images = (x.unsqueeze(1) * keep + (1 - keep) * options.Fill).flatten(0, 1);
            var output = model.call(images);
            var tt = t.repeat_interleave(counts.Length).to(output.device);
            ClassScores.CheckTargets(output, tt, who);
            var scores = options.Score(output, tt).view(m, counts.Length).to(float64).sum([0]).cpu().data<double>().ToArray();
            for (var k = 0; k < counts.Length; k++)
                sums[k] += scores[k];
        }
        return new FaithfulnessCurve(fractions, sums.Select(s => s / n).ToArray());
    }
}
