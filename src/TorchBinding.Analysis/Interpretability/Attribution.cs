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

/// <summary>How a per-value attribution <c>[N, C, H, W]</c> becomes one value per pixel.</summary>
public enum PixelReduction
{
    /// <summary>The largest magnitude over the channels (Simonyan et al.'s saliency map; the default).</summary>
    MaxAbs,

    /// <summary>The sum of magnitudes over the channels.</summary>
    SumAbs,

    /// <summary>The signed sum over the channels (positive: evidence for the class).</summary>
    Sum,

    /// <summary>The signed mean over the channels: a per-pixel method's map back (it gives every channel of a pixel the same value).</summary>
    Mean,
}

/// <summary>
/// What the attribution methods share: <see cref="ToPixelMap"/>, which turns attributions of images into one value per
/// pixel for a heatmap, and the gradient of a class score with respect to the input. The methods themselves are the
/// classes that implement <see cref="IAttributionMethod"/>.
/// </summary>
/// <example><code>
/// var saliency = new Saliency().Attribute(model, images, labels);                       // [N, 1, 28, 28]
/// var ig = new IntegratedGradients(new() { Steps = 64 }).AttributeWithCompleteness(model, images, labels);
/// Console.WriteLine(ig.MaxRelativeError);                                              // completeness, e.g. 0.002
/// var map = Attribution.ToPixelMap(saliency);                                          // [N, 28, 28] for a heatmap
/// </code></example>
public static class Attribution
{
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
                PixelReduction.Mean => attributions.detach().mean([1]),
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

    /// <summary>
    /// A per-pixel map <c>[N, H, W]</c> brought to the attribution contract: the images' shape <c>[N, C, H, W]</c>, every
    /// channel of a pixel holding the pixel's value (a new handle; with one channel it shares the map's storage).
    /// </summary>
    internal static Tensor SpreadOverChannels(Tensor maps, Tensor images) =>
        maps.unsqueeze(1).expand(images.shape).contiguous().detach();
}
