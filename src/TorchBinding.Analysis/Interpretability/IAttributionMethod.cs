using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>
/// An attribution method in Captum's <c>attribute</c> shape: a model, a batch of inputs and the class to explain for each
/// input give attributions. What sets one method apart from another (noise, steps, baseline, layer, patch) is held by the
/// instance, so every method is called alike, a list of methods can be iterated over, and the checks of whether a method
/// can be trusted (<see cref="Faithfulness"/>, <see cref="SanityChecks"/>) take any of them.
/// </summary>
/// <remarks>
/// The contract every implementation keeps:
/// <list type="bullet">
/// <item>The attributions have the inputs' shape <c>[N, ...]</c> (Captum's convention), are detached from the graph, lie on
/// the inputs' device and belong to the caller. Larger means more evidence for the target class (signed methods) or more
/// importance (magnitudes).</item>
/// <item>A method whose natural output is one value per pixel works on images <c>[N, C, H, W]</c> and gives every channel
/// of a pixel that pixel's value: <see cref="Occlusion"/> (its patch covers all channels) and <see cref="GradCam"/> (its
/// layer's coarse map <c>[N, h, w]</c> is first upsampled bilinearly to <c>[H, W]</c>, as Captum's
/// <c>LayerAttribution.interpolate</c> does; <see cref="GradCam.LayerMaps"/> gives it at the layer's resolution).
/// <see cref="Attribution.ToPixelMap"/> with <see cref="PixelReduction.Mean"/> gives such a map back as <c>[N, H, W]</c>.</item>
/// <item>The model runs in eval mode and each module's training flag is restored afterwards; no parameter gradient is
/// accumulated.</item>
/// </list>
/// </remarks>
/// <example><code>
/// IAttributionMethod[] methods = [new Saliency(), new IntegratedGradients(new() { Steps = 64 }), new GradCam("conv2")];
/// foreach (var method in methods)
/// {
///     var attributions = method.Attribute(model, images, labels);                     // [N, 1, 28, 28] each
///     var deletion = Faithfulness.Deletion(model, images, labels, attributions);
///     Console.WriteLine($"{method.Name}: deletion AUC {deletion.Auc:F3}");
/// }
/// </code></example>
public interface IAttributionMethod
{
    /// <summary>
    /// A short name, lower case with underscores (e.g. <c>saliency</c>, <c>grad_cam</c>), fit for a metric key or a file
    /// name. Every class has a default that <c>init</c> can replace (two Grad-CAMs on different layers, say).
    /// </summary>
    string Name { get; }

    /// <summary>The attributions of <paramref name="inputs"/> for the classes <paramref name="targets"/>, of the inputs' shape.</summary>
    /// <param name="model">The model: class scores <c>[N, K]</c> (or dense scores <c>[N, K, ...]</c>) from inputs <c>[N, ...]</c>.</param>
    /// <param name="inputs">A floating-point batch <c>[N, ...]</c> (images <c>[N, C, H, W]</c> for the per-pixel methods).</param>
    /// <param name="targets">The class to explain for each input, <c>[N]</c> (an integer dtype).</param>
    /// <returns>Attributions <c>[N, ...]</c> of the inputs' shape (the caller owns the tensor).</returns>
    /// <exception cref="ArgumentException">Inputs and targets do not match, a target is not a class of the model's output,
    /// or the inputs do not suit the method (e.g. not images for a per-pixel method).</exception>
    Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets);
}
