using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>Occlusion's options (Zeiler &amp; Fergus, 2014).</summary>
public sealed record OcclusionOptions : AttributionOptions
{
    /// <summary>The side of the square patch, in pixels (default 4).</summary>
    public int PatchSize { get; init; } = 4;

    /// <summary>The step between patch positions, in pixels (default 2; at most <see cref="PatchSize"/>, so that every pixel is covered).</summary>
    public int Stride { get; init; } = 2;

    /// <summary>The value the patch is filled with, in every channel (default 0: black on MNIST).</summary>
    public double Fill { get; init; }
}

/// <summary>
/// Occlusion (Zeiler &amp; Fergus, 2014): slide a patch of a constant over the image and record how much the class
/// score drops with each position covered. Model-agnostic (no gradients), and costly: one forward pass per position.
/// </summary>
/// <remarks>
/// Its natural output is one value per pixel, <c>[N, H, W]</c>, since the patch covers every channel; <see cref="Attribute"/>
/// gives that value to every channel of the pixel, <c>[N, C, H, W]</c> (Captum's <c>Occlusion</c> with a window spanning
/// the channels does the same). <see cref="Attribution.ToPixelMap"/> with <see cref="PixelReduction.Mean"/> gives the map back.
/// </remarks>
/// <example><code>
/// var occlusion = new Occlusion(new() { PatchSize = 4, Stride = 2, Fill = 0 });
/// var map = Attribution.ToPixelMap(occlusion.Attribute(model, images, labels), PixelReduction.Mean);   // [N, 28, 28], signed
/// </code></example>
public sealed class Occlusion : IAttributionMethod
{
    /// <summary>An occlusion method with the given patch.</summary>
    /// <param name="options">Patch size, stride, fill value (null: the defaults).</param>
    /// <exception cref="ArgumentException">A size is &lt; 1, or the stride is larger than the patch.</exception>
    public Occlusion(OcclusionOptions? options = null)
    {
        Options = options ?? new OcclusionOptions();
        AttributionChecks.Positive(Options.PatchSize, nameof(Options.PatchSize), "Occlusion");
        AttributionChecks.Positive(Options.Stride, nameof(Options.Stride), "Occlusion");
        AttributionChecks.Positive(Options.BatchSize, nameof(Options.BatchSize), "Occlusion");
        // A stride past the patch skips pixels: no position covers them, and their mean drop would be 0/0 = NaN.
        if (Options.Stride > Options.PatchSize)
            throw new ArgumentException($"Occlusion: Stride {Options.Stride} is larger than PatchSize {Options.PatchSize}, which leaves pixels no patch covers (NaN holes in the map); use a Stride of at most {Options.PatchSize}.", nameof(options));
    }

    /// <summary>The method's options.</summary>
    public OcclusionOptions Options { get; }

    /// <inheritdoc/>
    /// <remarks>Default <c>occlusion</c>.</remarks>
    public string Name { get; init; } = "occlusion";

    /// <summary>
    /// For each pixel, the mean drop of the score, f(x) − f(x with the patch), over the patch positions that cover it
    /// (positive: the pixel's region supports the class), in every channel: <c>[N, C, H, W]</c>. Patches run over the
    /// whole image; the last row and column of positions are moved in to end at the border, so every pixel is covered.
    /// </summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">Images <c>[N, C, H, W]</c>.</param>
    /// <param name="targets">The class to explain for each image, <c>[N]</c>.</param>
    /// <returns>Attributions of the images' shape (the caller owns the tensor).</returns>
    /// <exception cref="ArgumentException">Inputs are not images, or the patch is larger than the images.</exception>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var section = Profiler.Measure("occlusion");
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "Occlusion");
        AttributionChecks.Images(inputs, "Occlusion");
        var options = Options;
        var (height, width) = (inputs.shape[2], inputs.shape[3]);
        var patch = options.PatchSize;
        if (patch > height || patch > width)
            throw new ArgumentException($"Occlusion: the {patch}x{patch} patch is larger than the {height}x{width} images.", nameof(inputs));
        var rows = Positions(height, patch, options.Stride);
        var columns = Positions(width, patch, options.Stride);
        var positions = rows.SelectMany(r => columns.Select(c => (Row: r, Column: c))).ToArray();

        using var eval = new EvalMode(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // The masks of all positions at once: [P, 1, H, W], 1 inside the patch.
        var masks = zeros([positions.Length, 1, height, width], dtype: inputs.dtype, device: inputs.device);
        for (var p = 0; p < positions.Length; p++)
            masks[p, 0].narrow(0, positions[p].Row, patch).narrow(1, positions[p].Column, patch).fill_(1);
        var coverage = masks.sum([0, 1]);                                                       // [H, W], ≥ 1 everywhere
        var maps = new List<Tensor>();
        var perChunk = Math.Max(1, options.BatchSize / positions.Length);
        for (long start = 0; start < inputs.shape[0]; start += perChunk)
        {
            using var step = NewDisposeScope();
            var end = Math.Min(inputs.shape[0], start + perChunk);
            var (x, t) = (inputs.narrow(0, start, end - start), targets.narrow(0, start, end - start));
            var n = end - start;
            var original = Score(model, x, t, options.Score);                                     // [n]
            var occluded = (x.unsqueeze(1) * (1 - masks.unsqueeze(0)) + masks.unsqueeze(0) * options.Fill).flatten(0, 1);
            var scores = Score(model, occluded, t.repeat_interleave(positions.Length), options.Score).view(n, positions.Length);
            var drops = original.unsqueeze(1) - scores;                                           // [n, P]
            var map = (drops.view(n, positions.Length, 1, 1) * masks.squeeze(1).unsqueeze(0)).sum([1]) / coverage;
            maps.Add(map.MoveToOuterDisposeScope());
        }
        return Attribution.SpreadOverChannels(cat(maps, 0), inputs).MoveToOuterDisposeScope();
    }

    static Tensor Score(nn.Module<Tensor, Tensor> model, Tensor x, Tensor t, ClassScore score)
    {
        var output = model.call(x);
        ClassScores.CheckTargets(output, t, "Occlusion");
        var s = score(output, t.to(output.device));
        AttributionChecks.Score(s, x, "Occlusion");
        return s;
    }

    /// <summary>Patch starts 0, stride, 2·stride, ..., with a last one ending at the border if the stride skips it.</summary>
    internal static List<long> Positions(long size, int patch, int stride)
    {
        var starts = new List<long>();
        for (long s = 0; s + patch <= size; s += stride)
            starts.Add(s);
        if (starts[^1] + patch < size)
            starts.Add(size - patch);
        return starts;
    }
}
