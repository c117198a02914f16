using TorchBinding.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>
/// Options of a <see cref="ConvAutoencoder"/>. The defaults suit 28x28 grey images: two stride-2 3x3 convolutions of
/// 16 and 32 channels (28→14→7), a 16-value code, and a linear output for a squared-error loss.
/// </summary>
public sealed record ConvAutoencoderOptions
{
    /// <summary>Channels of the images.</summary>
    public int InChannels { get; init; } = 1;

    /// <summary>The image size; each block halves it, so both sides must be divisible by 2^blocks.</summary>
    public (int Height, int Width) ImageSize { get; init; } = (28, 28);

    /// <summary>Output channels of each encoder block (each a stride-2 3x3 convolution); the decoder mirrors them with transposed convolutions.</summary>
    public IReadOnlyList<int> Channels { get; init; } = [16, 32];

    /// <summary>The code size: a linear layer maps the last feature map to this many values and back; null: the feature map itself is the code.</summary>
    public int? LatentSize { get; init; } = 16;

    /// <summary>The activation after every convolution (and the decoder's first linear layer).</summary>
    public Activation Activation { get; init; } = Activation.ReLU;

    /// <summary>
    /// The activation of the output (default: linear, for the MSE). A Sigmoid keeps pixels in [0, 1] but pairs with a
    /// cross-entropy loss: trained by MSE it tends to saturate at MNIST's black background early on and stop learning.
    /// </summary>
    public Activation OutputActivation { get; init; } = Activation.Identity;

    /// <summary>The size of the last feature map.</summary>
    internal (int Height, int Width) FeatureSize => (ImageSize.Height >> Channels.Count, ImageSize.Width >> Channels.Count);

    internal void Validate()
    {
        if (InChannels < 1)
            throw new ArgumentException($"ConvAutoencoderOptions.InChannels must be positive, got {InChannels}.");
        if (Channels is null || Channels.Count == 0 || Channels.Any(c => c < 1))
            throw new ArgumentException($"ConvAutoencoderOptions.Channels needs at least one block, all positive, got [{string.Join(", ", Channels ?? [])}].");
        if (LatentSize is < 1)
            throw new ArgumentException($"ConvAutoencoderOptions: the latent size must be at least 1 (or null for a feature-map code), got {LatentSize}.");
        var factor = 1 << Channels.Count;
        var (h, w) = ImageSize;
        if (h < factor || w < factor || h % factor != 0 || w % factor != 0)
            throw new ArgumentException($"ConvAutoencoderOptions: {Channels.Count} stride-2 block(s) halve the image {Channels.Count} time(s), so its sides must be positive multiples of {factor}; got {h}x{w}.");
    }
}

/// <summary>
/// A convolutional autoencoder for images: stride-2 convolutions shrink the image into a small feature map
/// (optionally flattened to a code by a linear layer), transposed convolutions grow it back. Layers are named
/// <c>encoder.conv1, encoder.act1, ..., encoder.to_code</c> and <c>decoder.from_code, decoder.deconv1, ...</c>.
/// </summary>
public sealed class ConvAutoencoder : nn.Module<Tensor, Tensor>, IAutoencoder
{
    readonly nn.Module<Tensor, Tensor> encoder;
    readonly nn.Module<Tensor, Tensor> decoder;
    readonly TorchSharp.Modules.Conv2d conv1;

    /// <summary>A convolutional autoencoder built from <paramref name="options"/> (default: 28x28 grey images, 16-value code).</summary>
    /// <exception cref="ArgumentException">The options are inconsistent, e.g. an image size the blocks cannot halve.</exception>
    public ConvAutoencoder(ConvAutoencoderOptions? options = null) : base(ModuleName.AfterRuntimeStart("conv_autoencoder"))
    {
        options ??= new ConvAutoencoderOptions();
        options.Validate();
        Options = options;
        var (h, w) = options.FeatureSize;
        var last = options.Channels[^1];

        var down = new List<(string, nn.Module<Tensor, Tensor>)>();
        var inChannels = options.InChannels;
        for (var i = 0; i < options.Channels.Count; i++)
        {
            down.Add(($"conv{i + 1}", nn.Conv2d(inChannels, options.Channels[i], 3, stride: 2, padding: 1)));
            down.Add(($"act{i + 1}", ActivationModules.Create(options.Activation)));
            inChannels = options.Channels[i];
        }
        if (options.LatentSize is { } latent)
        {
            down.Add(("flatten", nn.Flatten()));
            down.Add(("to_code", nn.Linear((long)last * h * w, latent)));
        }

        var up = new List<(string, nn.Module<Tensor, Tensor>)>();
        if (options.LatentSize is { } code)
        {
            up.Add(("from_code", nn.Linear(code, (long)last * h * w)));
            up.Add(("from_code_act", ActivationModules.Create(options.Activation)));
            up.Add(("unflatten", nn.Unflatten(1, [last, h, w])));
        }
        for (var i = options.Channels.Count - 1; i >= 0; i--)
        {
            var outChannels = i == 0 ? options.InChannels : options.Channels[i - 1];
            var j = options.Channels.Count - i;
            up.Add(($"deconv{j}", nn.ConvTranspose2d(options.Channels[i], outChannels, 3, stride: 2, padding: 1, output_padding: 1)));
            up.Add(($"act{j}", ActivationModules.Create(i == 0 ? options.OutputActivation : options.Activation)));
        }
        encoder = nn.Sequential(down);
        decoder = nn.Sequential(up);
        conv1 = (TorchSharp.Modules.Conv2d)encoder.named_children().First().module;
        RegisterComponents();
    }

    /// <summary>The options the model was built from.</summary>
    public ConvAutoencoderOptions Options { get; }

    /// <summary>The shape of one code: <c>[LatentSize]</c>, or <c>[C, h, w]</c> for a feature-map code.</summary>
    public long[] CodeShape => Options.LatentSize is { } latent ? [latent] : [Options.Channels[^1], Options.FeatureSize.Height, Options.FeatureSize.Width];

    /// <summary>The codes of images <c>[N, InChannels, H, W]</c> of the configured size.</summary>
    /// <exception cref="ArgumentException">The input is not such a batch (the message names the expected and actual shape).</exception>
    public Tensor Encode(Tensor input)
    {
        InputChecks.Images(input, "conv_autoencoder", "encoder.conv1", Options.InChannels, conv1.weight!);
        var (h, w) = Options.ImageSize;
        if (input.shape[2] != h || input.shape[3] != w)
            throw new ArgumentException($"conv_autoencoder expects images [N, {Options.InChannels}, {h}, {w}] (its ImageSize), got {Shapes.Format(input)}.", nameof(input));
        return encoder.call(input);
    }

    /// <summary>Images <c>[N, InChannels, H, W]</c> decoded from codes of <see cref="CodeShape"/>.</summary>
    /// <exception cref="ArgumentException">The codes do not have <see cref="CodeShape"/>.</exception>
    public Tensor Decode(Tensor code)
    {
        ArgumentNullException.ThrowIfNull(code);
        if (code.dim() != CodeShape.Length + 1 || !code.shape[1..].SequenceEqual(CodeShape))
            throw new ArgumentException($"conv_autoencoder.decoder expects codes [N, {string.Join(", ", CodeShape)}], got {Shapes.Format(code)}.", nameof(code));
        return decoder.call(code);
    }

    /// <summary>The reconstruction of images <c>[N, InChannels, H, W]</c>.</summary>
    public override Tensor forward(Tensor input) => Decode(Encode(input));
}
