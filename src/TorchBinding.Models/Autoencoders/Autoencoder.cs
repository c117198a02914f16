using TorchBinding.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>
/// Options of an <see cref="Autoencoder"/>. The defaults are the course's deep autoencoder for MNIST:
/// 784→1000→500→250→2 and back, ReLU between layers, a linear code and a linear output.
/// </summary>
public sealed record AutoencoderOptions
{
    /// <summary>The encoder's layer sizes, input first and code (latent) size last.</summary>
    public IReadOnlyList<int> EncoderSizes { get; init; } = [784, 1000, 500, 250, 2];

    /// <summary>The decoder's layer sizes, code size first and output last; null: the encoder's sizes reversed.</summary>
    public IReadOnlyList<int>? DecoderSizes { get; init; }

    /// <summary>The activation of every hidden layer of both halves.</summary>
    public Activation Activation { get; init; } = Activation.ReLU;

    /// <summary>The activation of the code (default: linear).</summary>
    public Activation LatentActivation { get; init; } = Activation.Identity;

    /// <summary>The activation of the output (default: linear; Sigmoid for pixels in [0, 1]).</summary>
    public Activation OutputActivation { get; init; } = Activation.Identity;

    /// <summary>The decoder's sizes actually used.</summary>
    internal IReadOnlyList<int> EffectiveDecoderSizes => DecoderSizes ?? EncoderSizes.Reverse().ToArray();

    internal void Validate()
    {
        if (EncoderSizes is null || EncoderSizes.Count < 2)
            throw new ArgumentException($"AutoencoderOptions.EncoderSizes needs at least an input and a code size, got [{string.Join(", ", EncoderSizes ?? [])}].");
        if (EncoderSizes[^1] < 1)
            throw new ArgumentException($"AutoencoderOptions: the latent (code) size must be at least 1, got {EncoderSizes[^1]} (EncoderSizes [{string.Join(", ", EncoderSizes)}]).");
        if (EncoderSizes.Any(s => s < 1))
            throw new ArgumentException($"AutoencoderOptions.EncoderSizes must all be positive, got [{string.Join(", ", EncoderSizes)}].");
        var decoder = EffectiveDecoderSizes;
        if (decoder.Count < 2 || decoder.Any(s => s < 1))
            throw new ArgumentException($"AutoencoderOptions.DecoderSizes needs at least a code and an output size, all positive, got [{string.Join(", ", decoder)}].");
        if (decoder[0] != EncoderSizes[^1])
            throw new ArgumentException($"AutoencoderOptions: the decoder starts at {decoder[0]} but the code has {EncoderSizes[^1]} value(s).");
    }
}

/// <summary>
/// The fully connected autoencoder of the lecture: an MLP encoder squeezes the input through a narrow code, an
/// MLP decoder expands it back, and training minimises the reconstruction error. The code layer (2-D in the
/// course) is an embedding to plot; decoding points of the code space "generates" data, though nothing makes
/// the code space a distribution to sample (the VAE's point). With linear activations and MSE it spans the
/// principal subspace (PCA). Submodules <c>encoder</c> and <c>decoder</c> are <see cref="Mlp"/>s.
/// </summary>
/// <example>
/// <code>
/// var course = Autoencoder.Course();                            // 784-1000-500-250-2-250-500-1000-784, 2,823,286 parameters
/// var linear = new Autoencoder(new AutoencoderOptions { EncoderSizes = [64, 8], Activation = Activation.Identity });
/// </code>
/// </example>
public sealed class Autoencoder : nn.Module<Tensor, Tensor>, IAutoencoder
{
    readonly Mlp encoder;
    readonly Mlp decoder;

    /// <summary>An autoencoder built from <paramref name="options"/> (default: the course's).</summary>
    /// <exception cref="ArgumentException">The options are inconsistent, e.g. a latent size of 0.</exception>
    public Autoencoder(AutoencoderOptions? options = null) : base(ModuleName.AfterRuntimeStart("autoencoder"))
    {
        options ??= new AutoencoderOptions();
        options.Validate();
        Options = options;
        encoder = new Mlp(new MlpOptions { Sizes = options.EncoderSizes, Activation = options.Activation, OutputActivation = options.LatentActivation });
        decoder = new Mlp(new MlpOptions { Sizes = options.EffectiveDecoderSizes, Activation = options.Activation, OutputActivation = options.OutputActivation });
        RegisterComponents();
    }

    /// <summary>The course's MNIST autoencoder: 784→1000→500→250→2 and back, ReLU, linear code and output (2,823,286 parameters).</summary>
    public static Autoencoder Course() => new();

    /// <summary>The options the model was built from.</summary>
    public AutoencoderOptions Options { get; }

    /// <summary>The number of input features.</summary>
    public int InputSize => Options.EncoderSizes[0];

    /// <summary>The size of the code.</summary>
    public int LatentSize => Options.EncoderSizes[^1];

    /// <summary>The codes <c>[N, LatentSize]</c> of inputs <c>[N, ...]</c> (flattened to <c>[N, InputSize]</c>).</summary>
    /// <exception cref="ArgumentException">The input is not a batch of <see cref="InputSize"/> features.</exception>
    public Tensor Encode(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var features = input.dim() < 2 ? -1 : input.numel() / Math.Max(1, input.shape[0]);
        if (features != InputSize)
            throw new ArgumentException($"autoencoder.encoder expects a batch [N, {InputSize}] (or [N, ...] of {InputSize} values per sample), got {Shapes.Format(input)}.", nameof(input));
        return encoder.call(input);
    }

    /// <summary>The decoder's outputs <c>[N, output size]</c> for codes <c>[N, LatentSize]</c>.</summary>
    /// <exception cref="ArgumentException">The codes are not <c>[N, LatentSize]</c>.</exception>
    public Tensor Decode(Tensor code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.dim() != 2 || code.shape[1] != LatentSize)
            throw new ArgumentException($"autoencoder.decoder expects codes [N, {LatentSize}], got {Shapes.Format(code)}.", nameof(code));
        return decoder.call(code);
    }

    /// <summary>The reconstruction of <paramref name="input"/>, in the input's shape when the output has as many values.</summary>
    public override Tensor forward(Tensor input)
    {
        var output = Decode(Encode(input));
        return output.shape[1] == InputSize && input.dim() > 2 ? output.reshape(input.shape) : output;
    }
}
