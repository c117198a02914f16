using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>Options of a <see cref="DcganGenerator"/> and <see cref="DcganDiscriminator"/> pair.</summary>
public sealed record DcganOptions
{
    /// <summary>The length of a latent code (default 64).</summary>
    public int LatentSize { get; init; } = 64;

    /// <summary>Image channels (default 1).</summary>
    public int Channels { get; init; } = 1;

    /// <summary>The image side, divisible by 4 (default 28: MNIST). The networks work at side/4 and side/2.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>
    /// Feature maps at half resolution; quarter resolution has twice as many (default 32: the generator goes
    /// 64 → 64·7·7 → 32·14·14 → 1·28·28).
    /// </summary>
    public int Width { get; init; } = 32;

    /// <summary>Class conditioning (null, the default: unconditional).</summary>
    public LabelConditioning? Conditioning { get; init; }

    /// <summary>
    /// The discriminator's convolutions and head spectrally normalised (<see cref="Layers.SpectralNorm"/>; Miyato et al.,
    /// 2018), and no batch norm in it (default false: the DCGAN paper's batch norm). The generator is unaffected.
    /// </summary>
    public bool SpectralNorm { get; init; }

    /// <summary>
    /// How a conditional discriminator sees the label (default <see cref="DiscriminatorConditioning.InputChannels"/>).
    /// </summary>
    public DiscriminatorConditioning DiscriminatorConditioning { get; init; } = DiscriminatorConditioning.InputChannels;

    internal int Quarter => ImageSize / 4;

    internal void Validate(string model)
    {
        if (LatentSize < 1 || Channels < 1 || Width < 1)
            throw new ArgumentException($"{model}: LatentSize, Channels and Width must be positive, got {LatentSize}, {Channels}, {Width}.");
        if (ImageSize < 4 || ImageSize % 4 != 0)
            throw new ArgumentException($"{model}: ImageSize must be a positive multiple of 4 (two 2x upsamplings), got {ImageSize}.");
    }
}

/// <summary>How a conditional GAN discriminator sees the label.</summary>
public enum DiscriminatorConditioning
{
    /// <summary>The label's vector as extra constant input channels (Mirza and Osindero's cGAN, in convolutional form).</summary>
    InputChannels,

    /// <summary>
    /// The projection discriminator (Miyato and Koyama, 2018): logit = head(φ(x)) + ⟨E y, φ(x)⟩, the features φ(x)
    /// projected on a learned embedding of the label. The convolutions see only the image, so it costs nearly
    /// nothing over an unconditional discriminator (ten constant input channels give MNIST's first convolution eleven
    /// times the arithmetic; a conditional DCGAN epoch measured about a tenth faster with the projection).
    /// </summary>
    Projection,
}

/// <summary>
/// The DCGAN generator (Radford et al., 2016) for small images: [z, label vector] → a linear projection to
/// 2·Width maps at side/4 → batch norm, ReLU → a 4x4 transposed convolution with stride 2 to Width maps at side/2
/// → batch norm, ReLU → a transposed convolution to the image → tanh. Outputs lie in [-1, 1]: scale the data
/// there. Layers: <c>labels</c> (conditional only), <c>project</c>, <c>bn0</c>, <c>up1</c>, <c>bn1</c>, <c>up2</c>.
/// </summary>
public sealed class DcganGenerator : GanGenerator
{
    readonly LabelEncoder? labels;
    readonly Linear project;
    readonly BatchNorm2d bn0;
    readonly ConvTranspose2d up1;
    readonly BatchNorm2d bn1;
    readonly ConvTranspose2d up2;

    /// <summary>A generator built from <paramref name="options"/> (default: MNIST, 28x28, width 32).</summary>
    public DcganGenerator(DcganOptions? options = null) : this(options ?? new DcganOptions(), "dcgan_generator")
    {
    }

    DcganGenerator(DcganOptions options, string name) : base(name, options.LatentSize, [options.Channels, options.ImageSize, options.ImageSize], options.Conditioning)
    {
        options.Validate(name);
        Options = options;
        if (options.Conditioning is { } conditioning)
            labels = new LabelEncoder(conditioning, name);
        var (w, q) = ((long)options.Width, (long)options.Quarter);
        project = nn.Linear(options.LatentSize + (options.Conditioning?.Size ?? 0), 2 * w * q * q, hasBias: false);
        bn0 = nn.BatchNorm2d(2 * w);
        up1 = nn.ConvTranspose2d(2 * w, w, 4, stride: 2, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(w);
        up2 = nn.ConvTranspose2d(w, options.Channels, 4, stride: 2, padding: 1);
        RegisterComponents();
    }

    /// <summary>The options the generator was built from.</summary>
    public DcganOptions Options { get; }

    /// <summary>Images <c>[N, Channels, ImageSize, ImageSize]</c> in [-1, 1] from latent codes <c>[N, LatentSize]</c> (and labels <c>[N]</c> if conditional).</summary>
    public override Tensor forward(Tensor z, Tensor? classLabels)
    {
        CheckLatent(z, classLabels, project.weight!, labels);
        var input = labels is null ? z : torch.cat([z, labels.call(classLabels!).to(z.dtype)], 1);
        var q = Options.Quarter;
        var x = project.call(input).reshape(z.shape[0], 2L * Options.Width, q, q);
        x = nn.functional.relu(bn0.call(x));
        x = nn.functional.relu(bn1.call(up1.call(x)));
        return torch.tanh(up2.call(x));
    }
}

/// <summary>
/// The DCGAN discriminator for small images: a 4x4 convolution with stride 2 to Width maps at side/2 → leaky
/// ReLU (0.2) → a 4x4 convolution with stride 2 to 2·Width maps at side/4 → batch norm, leaky ReLU → a linear
/// layer to one logit. A conditional one sees the label's vector as extra constant input channels, or with
/// <see cref="DiscriminatorConditioning.Projection"/> through <c>projection</c>, a linear map from the label's vector
/// to the features whose dot product with them joins the logit. Layers: <c>labels</c> (conditional only),
/// <c>conv1</c>, <c>conv2</c>, <c>bn2</c>, <c>head</c>, <c>projection</c> (projection only). With
/// <see cref="DcganOptions.SpectralNorm"/>, <c>conv1</c>, <c>conv2</c> and <c>head</c> are <see cref="Layers.SpectralNorm"/>
/// wrappers (their weights <c>conv1.layer.weight</c>, …) and there is no <c>bn2</c>.
/// </summary>
public sealed class DcganDiscriminator : GanDiscriminator
{
    readonly LabelEncoder? labels;
    readonly nn.Module<Tensor, Tensor> conv1;
    readonly nn.Module<Tensor, Tensor> conv2;
    readonly BatchNorm2d? bn2;
    readonly nn.Module<Tensor, Tensor> head;
    readonly Linear? projection;

    /// <summary>A discriminator built from <paramref name="options"/> (default: MNIST, 28x28, width 32).</summary>
    public DcganDiscriminator(DcganOptions? options = null) : this(options ?? new DcganOptions(), "dcgan_discriminator")
    {
    }

    DcganDiscriminator(DcganOptions options, string name) : base(name, [options.Channels, options.ImageSize, options.ImageSize], options.Conditioning)
    {
        options.Validate(name);
        Options = options;
        if (options.Conditioning is { } conditioning)
            labels = new LabelEncoder(conditioning, name);
        var (w, q) = ((long)options.Width, (long)options.Quarter);
        var projected = options.Conditioning is not null && options.DiscriminatorConditioning == DiscriminatorConditioning.Projection;
        var first = nn.Conv2d(options.Channels + (projected ? 0 : options.Conditioning?.Size ?? 0), w, 4, stride: 2, padding: 1);
        if (projected)
            projection = nn.Linear(options.Conditioning!.Size, 2 * w * q * q, hasBias: false);
        // Without batch norm after it, the second convolution needs its bias.
        var second = nn.Conv2d(w, 2 * w, 4, stride: 2, padding: 1, bias: options.SpectralNorm);
        var last = nn.Linear(2 * w * q * q, 1);
        if (options.SpectralNorm)
            (conv1, conv2, head) = (new Layers.SpectralNorm(first), new Layers.SpectralNorm(second), new Layers.SpectralNorm(last));
        else
            (conv1, conv2, bn2, head) = (first, second, nn.BatchNorm2d(2 * w), last);
        RegisterComponents();
    }

    /// <summary>The options the discriminator was built from.</summary>
    public DcganOptions Options { get; }

    /// <summary>Logits <c>[N]</c> of images <c>[N, Channels, ImageSize, ImageSize]</c> (and labels <c>[N]</c> if conditional).</summary>
    public override Tensor forward(Tensor input, Tensor? classLabels)
    {
        // The first convolution's weight (looked up each time: moving the module to a device replaces it).
        var firstWeight = ((Conv2d)(conv1 is Layers.SpectralNorm normalized ? normalized.Layer : conv1)).weight;
        CheckSamples(input, classLabels, firstWeight, labels);
        var x = input;
        var vector = labels?.call(classLabels!).to(x.dtype);
        if (vector is not null && projection is null)
            x = torch.cat([x, vector[.., .., TensorIndex.None, TensorIndex.None].expand(-1, -1, x.shape[2], x.shape[3])], 1);
        x = nn.functional.leaky_relu(conv1.call(x), 0.2);
        x = conv2.call(x);
        var features = nn.functional.leaky_relu(bn2 is null ? x : bn2.call(x), 0.2).flatten(1);
        var logits = head.call(features).squeeze(1);
        return projection is null ? logits : logits + (projection.call(vector!) * features).sum(1);
    }
}
