using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>Grad-CAM's options.</summary>
public sealed record GradCamOptions : AttributionOptions
{
    /// <summary>Stretch the map to the input's height and width with bilinear interpolation (default true); false: the layer's resolution.</summary>
    public bool Upsample { get; init; } = true;
}

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017): the feature maps A_k of a convolutional layer, weighted by the mean gradient of
/// the class score over each map, α_k = mean(∂score/∂A_k), summed and passed through ReLU: where in the image the
/// layer's evidence for the class lies. Works on any layer whose output is a feature map <c>[N, C, h, w]</c> and which the
/// model calls once per forward pass through <c>module.call</c> (the course CNN's <c>conv2</c>, the course ResNet's
/// <c>layer2</c> or <c>layer2.1.conv2</c>, a U-Net's <c>enc3</c> or <c>bottleneck</c>).
/// </summary>
/// <remarks>
/// TorchSharp 0.107 has no backward hooks: a forward hook keeps the layer's output, hands an alias of it on (so a
/// container that disposes intermediate results cannot free the kept one), and <c>torch.autograd.grad</c> gives the
/// gradient with respect to the kept output. Parameter gradients are not touched.
/// </remarks>
/// <example><code>
/// var cam = GradCam.Compute(model, "conv2", images, labels);       // [N, 28, 28], ≥ 0
/// new HeatmapOverlay(images[0, 0], cam[0]) { Title = "Grad-CAM" }.Save("gradcam.png");
/// </code></example>
public static class GradCam
{
    /// <summary>The Grad-CAM maps <c>[N, H, W]</c> (or <c>[N, h, w]</c> without upsampling) of <paramref name="layer"/>.</summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="layer">The layer's dotted name as <c>named_modules()</c> gives it (e.g. <c>conv2</c>, <c>layer2.1</c>, <c>enc3</c>).</param>
    /// <param name="inputs">Images <c>[N, C, H, W]</c>.</param>
    /// <param name="targets">The class to explain for each image, <c>[N]</c>.</param>
    /// <param name="options">Score, upsampling, batch size.</param>
    /// <exception cref="ArgumentException">
    /// No layer has that name (the message lists the model's layers), the layer's output is not a feature map, or the
    /// layer ran other than once in the forward pass.
    /// </exception>
    public static Tensor Compute(nn.Module<Tensor, Tensor> model, string layer, Tensor inputs, Tensor targets, GradCamOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layer);
        AttributionChecks.Inputs(inputs, targets, "GradCam");
        AttributionChecks.Images(inputs, "GradCam");
        options ??= new GradCamOptions();
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), "GradCam");
        var hooked = FindLayer(model, layer);
        using var eval = new EvalMode(model);
        return Attribution.Batched(inputs, targets, options.BatchSize, (x, t) => Maps(model, hooked, layer, x, t, options));
    }

    /// <summary>The layer named <paramref name="name"/>, as a module Grad-CAM can hook.</summary>
    /// <exception cref="ArgumentException">No such layer (the message lists them), or it does not map a tensor to a tensor.</exception>
    public static nn.Module<Tensor, Tensor> FindLayer(nn.Module model, string name)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(name);
        var names = new List<string>();
        foreach (var (layerName, module) in model.named_modules())
        {
            if (layerName == name)
            {
                return module as nn.Module<Tensor, Tensor>
                    ?? throw new ArgumentException($"{model.GetName()}'s layer '{name}' is a {module.GetType().Name}; Grad-CAM needs a layer that maps a tensor to a tensor.", nameof(name));
            }
            if (layerName.Length > 0)
                names.Add(layerName);
        }
        throw new ArgumentException($"{model.GetName()} has no layer '{name}'; its layers are: {string.Join(", ", names)}.", nameof(name));
    }

    static Tensor Maps(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> hooked, string name, Tensor x, Tensor t, GradCamOptions options)
    {
        Tensor? activation = null;
        var calls = 0;
        var handle = hooked.register_forward_hook((module, input, output) =>
        {
            calls++;
            activation = output;
            return output.alias();
        });
        try
        {
            using var grad = enable_grad();
            var input = x.detach().requires_grad_(true);
            var output = model.call(input);
            if (calls != 1)
            {
                throw new ArgumentException(calls == 0
                    ? $"GradCam: layer '{name}' did not run in the forward pass (forward hooks fire only when the model calls it with module.call)."
                    : $"GradCam: layer '{name}' ran {calls} times in one forward pass (a shared module); Grad-CAM needs a layer that runs once.", nameof(name));
            }
            var a = activation!;
            if (a.dim() != 4 || a.shape[0] != x.shape[0])
                throw new ArgumentException($"GradCam: layer '{name}' outputs {Shapes.Format(a)}, not a feature map [N, C, h, w] of the {x.shape[0]} inputs; choose a convolutional layer.", nameof(name));
            ClassScores.CheckTargets(output, t, "GradCam");
            var score = options.Score(output, t.to(output.device));
            AttributionChecks.Score(score, x, "GradCam");
            var gradient = score.requires_grad && a.requires_grad
                ? torch.autograd.grad([score.sum()], [a], allow_unused: true)[0]
                : null;
            if (gradient is null || gradient.IsInvalid)
                gradient = zeros_like(a);
            var weights = gradient.mean([2, 3], keepdim: true);                                  // α_k, [N, C, 1, 1]
            var cam = nn.functional.relu((weights * a).sum([1], keepdim: true));                 // [N, 1, h, w]
            if (options.Upsample && (cam.shape[2] != x.shape[2] || cam.shape[3] != x.shape[3]))
                cam = nn.functional.interpolate(cam, [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            return cam.squeeze(1).detach();
        }
        finally
        {
            handle.remove();
        }
    }
}
