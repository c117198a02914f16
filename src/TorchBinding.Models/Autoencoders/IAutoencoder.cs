using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>
/// An autoencoder: an encoder to a code and a decoder back, trained to reproduce its input. The module's
/// <c>forward</c> is <c>Decode(Encode(x))</c> with the input's shape; <see cref="AutoencoderStep"/> trains any of them,
/// plain or denoising.
/// </summary>
public interface IAutoencoder
{
    /// <summary>The code of a batch of inputs.</summary>
    Tensor Encode(Tensor input);

    /// <summary>The reconstruction (or generation) from a batch of codes.</summary>
    Tensor Decode(Tensor code);
}
