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
public static class Occlusion
{
    /// <summary>
    /// The occlusion map <c>[N, H, W]</c>: for each pixel, the mean drop of the score, f(x) − f(x with the patch), over
    /// the patch positions that cover it (positive: the pixel's region supports the class). Patches run over the whole
    /// image; the last row and column of positions are moved in to end at the border, so every pixel is covered.
    /// </summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">Images <c>[N, C, H, W]</c>.</param>
    /// <param name="targets">The class to explain for each image, <c>[N]</c>.</param>
    /// <param name="options">Patch size, stride, fill value.</param>
    /// <exception cref="ArgumentException">Inputs are not images, the patch is larger than the image, the stride is larger than the patch, or a size is &lt; 1.</exception>
    public static Tensor Map(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, OcclusionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "Occlusion");
        AttributionChecks.Images(inputs, "Occlusion");
        options ??= new OcclusionOptions();
        AttributionChecks.Positive(options.PatchSize, nameof(options.PatchSize), "Occlusion");
        AttributionChecks.Positive(options.Stride, nameof(options.Stride), "Occlusion");
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), "Occlusion");
        var (height, width) = (inputs.shape[2], inputs.shape[3]);
        var patch = options.PatchSize;
        // A stride past the patch skips pixels: no position covers them, and their mean drop would be 0/0 = NaN.
        if (options.Stride > patch)
            throw new ArgumentException($"Occlusion: Stride {options.Stride} is larger than PatchSize {patch}, which leaves pixels no patch covers (NaN holes in the map); use a Stride of at most {patch}.", nameof(options));
        if (patch > height || patch > width)
            throw new ArgumentException($"Occlusion: the {patch}x{patch} patch is larger than the {height}x{width} images.", nameof(options));
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
        return cat(maps, 0).MoveToOuterDisposeScope();
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
