using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>
/// Grad-CAM (Selvaraju et al., 2017): the feature maps A_k of a convolutional layer, weighted by the mean gradient of
/// the class score over each map, α_k = mean(∂score/∂A_k), summed and passed through ReLU: where in the image the
/// layer's evidence for the class lies. Works on any layer whose output is a feature map <c>[N, C, h, w]</c> and which the
/// model calls once per forward pass through <c>module.call</c> (the course CNN's <c>conv2</c>, the course ResNet's
/// <c>layer2</c> or <c>layer2.1.conv2</c>, a U-Net's <c>enc3</c> or <c>bottleneck</c>).
/// </summary>
/// <remarks>
/// <para>
/// The layer's map <c>[N, h, w]</c> (<see cref="LayerMaps"/>) is brought to the attribution contract by
/// <see cref="Attribute"/>: upsampled bilinearly to the images' <c>[H, W]</c> (as Captum's
/// <c>LayerAttribution.interpolate</c>) and given to every channel of a pixel, <c>[N, C, H, W]</c>, all values ≥ 0.
/// </para>
/// <para>
/// TorchSharp 0.107 has no backward hooks: a forward hook keeps the layer's output, hands an alias of it on (so a
/// container that disposes intermediate results cannot free the kept one), and <c>torch.autograd.grad</c> gives the
/// gradient with respect to the kept output. Parameter gradients are not touched.
/// </para>
/// </remarks>
/// <example><code>
/// var gradCam = new GradCam("conv2");
/// var cam = gradCam.Attribute(model, images, labels);          // [N, 1, 28, 28], ≥ 0
/// var coarse = gradCam.LayerMaps(model, images, labels);       // [N, 14, 14], conv2's resolution
/// new HeatmapOverlay(images[0, 0], cam[0, 0]) { Title = "Grad-CAM" }.Save("gradcam.png");
/// </code></example>
public sealed class GradCam : IAttributionMethod
{
    /// <summary>A Grad-CAM method on <paramref name="layer"/>.</summary>
    /// <param name="layer">The layer's dotted name as <c>named_modules()</c> gives it (e.g. <c>conv2</c>, <c>layer2.1</c>, <c>enc3</c>).</param>
    /// <param name="options">Score and batch size (null: the defaults).</param>
    /// <exception cref="ArgumentOutOfRangeException">BatchSize &lt; 1.</exception>
    public GradCam(string layer, AttributionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(layer);
        Layer = layer;
        Options = options ?? new AttributionOptions();
        AttributionChecks.Positive(Options.BatchSize, nameof(Options.BatchSize), "GradCam");
    }

    /// <summary>The layer's dotted name.</summary>
    public string Layer { get; }

    /// <summary>The method's options.</summary>
    public AttributionOptions Options { get; }

    /// <inheritdoc/>
    /// <remarks>Default <c>grad_cam</c>.</remarks>
    public string Name { get; init; } = "grad_cam";

    /// <summary>The Grad-CAM maps upsampled to the images' size, every channel of a pixel holding its value: <c>[N, C, H, W]</c>, ≥ 0.</summary>
    /// <param name="model">The model; its training flags are restored afterwards.</param>
    /// <param name="inputs">Images <c>[N, C, H, W]</c>.</param>
    /// <param name="targets">The class to explain for each image, <c>[N]</c>.</param>
    /// <returns>Attributions of the images' shape (the caller owns the tensor).</returns>
    /// <exception cref="ArgumentException">
    /// The inputs are not images, no layer has the name (the message lists the model's layers), the layer's output is not
    /// a feature map, or the layer ran other than once in the forward pass.
    /// </exception>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var section = Profiler.Measure("grad-cam");
        using var scope = NewDisposeScope();
        var maps = Compute(model, inputs, targets, upsample: true);
        return Attribution.SpreadOverChannels(maps, inputs).MoveToOuterDisposeScope();
    }

    /// <summary>The Grad-CAM maps at the layer's resolution, <c>[N, h, w]</c>, ≥ 0 (Captum's <c>LayerGradCam</c> output).</summary>
    /// <inheritdoc cref="Attribute"/>
    public Tensor LayerMaps(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets) => Compute(model, inputs, targets, upsample: false);

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

    /// <summary>The maps <c>[N, H, W]</c> (upsampled) or <c>[N, h, w]</c> of the layer.</summary>
    Tensor Compute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, bool upsample)
    {
        ArgumentNullException.ThrowIfNull(model);
        AttributionChecks.Inputs(inputs, targets, "GradCam");
        AttributionChecks.Images(inputs, "GradCam");
        var hooked = FindLayer(model, Layer);
        using var eval = new EvalMode(model);
        return Attribution.Batched(inputs, targets, Options.BatchSize, (x, t) => Maps(model, hooked, x, t, upsample));
    }

    Tensor Maps(nn.Module<Tensor, Tensor> model, nn.Module<Tensor, Tensor> hooked, Tensor x, Tensor t, bool upsample)
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
                    ? $"GradCam: layer '{Layer}' did not run in the forward pass (forward hooks fire only when the model calls it with module.call)."
                    : $"GradCam: layer '{Layer}' ran {calls} times in one forward pass (a shared module); Grad-CAM needs a layer that runs once.", "layer");
            }
            var a = activation!;
            if (a.dim() != 4 || a.shape[0] != x.shape[0])
                throw new ArgumentException($"GradCam: layer '{Layer}' outputs {Shapes.Format(a)}, not a feature map [N, C, h, w] of the {x.shape[0]} inputs; choose a convolutional layer.", "layer");
            ClassScores.CheckTargets(output, t, "GradCam");
            var score = Options.Score(output, t.to(output.device));
            AttributionChecks.Score(score, x, "GradCam");
            var gradient = score.requires_grad && a.requires_grad
                ? torch.autograd.grad([score.sum()], [a], allow_unused: true)[0]
                : null;
            if (gradient is null || gradient.IsInvalid)
                gradient = zeros_like(a);
            var weights = gradient.mean([2, 3], keepdim: true);                                  // α_k, [N, C, 1, 1]
            var cam = nn.functional.relu((weights * a).sum([1], keepdim: true));                 // [N, 1, h, w]
            if (upsample && (cam.shape[2] != x.shape[2] || cam.shape[3] != x.shape[3]))
                cam = nn.functional.interpolate(cam, [x.shape[2], x.shape[3]], mode: InterpolationMode.Bilinear, align_corners: false);
            return cam.squeeze(1).detach();
        }
        finally
        {
            handle.remove();
        }
    }
}
