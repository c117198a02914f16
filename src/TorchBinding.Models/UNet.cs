using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>How a <see cref="UNet"/>'s decoder doubles the resolution.</summary>
public enum UNetUpsampling
{
    /// <summary>A learned 2x2 transposed convolution with stride 2 (the original U-Net's "up-convolution").</summary>
    TransposedConvolution,

    /// <summary>Bilinear upsampling followed by a 3x3 convolution ("resize-convolution", free of checkerboard artefacts).</summary>
    Bilinear,
}

/// <summary>
/// Options of a <see cref="UNet"/>. The defaults (depth 3, base width 16, about 480K parameters) train on the 64x64
/// grey shape images of <c>ShapesSegmentation</c> on a CPU in minutes; set <see cref="Classes"/> to the data's class count.
/// </summary>
public sealed record UNetOptions
{
    /// <summary>Channels of the input images (1 grey, 3 colour).</summary>
    public int InChannels { get; init; } = 1;

    /// <summary>The number of classes: the output has one logit map per class.</summary>
    public int Classes { get; init; } = 2;

    /// <summary>The number of 2x downsamplings (encoder levels below the input resolution); inputs must be divisible by 2^Depth.</summary>
    public int Depth { get; init; } = 3;

    /// <summary>Channels of the first level; each level below doubles them (16, 32, 64, then 128 at the bottom for depth 3).</summary>
    public int BaseWidth { get; init; } = 16;

    /// <summary>How the decoder upsamples.</summary>
    public UNetUpsampling Upsampling { get; init; } = UNetUpsampling.TransposedConvolution;

    /// <summary>Batch norm after every 3x3 convolution (which then has no bias).</summary>
    public bool BatchNorm { get; init; } = true;

    internal void Validate()
    {
        if (InChannels < 1 || Classes < 1 || BaseWidth < 1)
            throw new ArgumentException($"UNetOptions.InChannels, Classes and BaseWidth must be positive, got {InChannels}, {Classes}, {BaseWidth}.");
        if (Depth is < 1 or > 8)
            throw new ArgumentException($"UNetOptions.Depth must be between 1 and 8, got {Depth}.");
    }
}

/// <summary>
/// The U-Net of the segmentation lecture (Ronneberger et al., 2015): an encoder that halves the resolution and
/// doubles the channels level by level, a decoder that upsamples back, and skip connections that concatenate each
/// encoder level's feature map to the decoder at the same resolution, so the per-pixel output keeps fine detail.
/// Each level is a <see cref="DoubleConv"/> (two 3x3 convolutions, padding 1, batch norm, ReLU); layers are named
/// <c>enc1..encD</c>, <c>pool</c>, <c>bottleneck</c>, <c>upD..up1</c>, <c>decD..dec1</c> (<c>dec</c>i concatenates
/// <c>enc</c>i) and <c>head</c>, a 1x1 convolution to one logit per class and pixel.
/// </summary>
/// <example>
/// <code>
/// var data = ShapesSegmentation.Generate(2000, size: 64);
/// var model = new UNet(new UNetOptions { Classes = ShapesSegmentation.ClassNames.Count });
/// var logits = model.call(images);  // [N, 4, 64, 64]; cross_entropy(logits, masks) with masks [N, 64, 64]
/// </code>
/// </example>
public sealed class UNet : nn.Module<Tensor, Tensor>
{
    readonly List<DoubleConv> encoders = [];
    readonly List<nn.Module<Tensor, Tensor>> ups = [];
    readonly List<DoubleConv> decoders = [];
    readonly MaxPool2d pool;
    readonly DoubleConv bottleneck;
    readonly Conv2d head;

    /// <summary>A U-Net built from <paramref name="options"/> (default: depth 3, base width 16, 1 input channel, 2 classes).</summary>
    public UNet(UNetOptions? options = null) : base(ModuleName.AfterRuntimeStart("unet"))
    {
        options ??= new UNetOptions();
        options.Validate();
        Options = options;
        var depth = options.Depth;
        long Width(int level) => (long)options.BaseWidth << (level - 1); // level 1 .. depth + 1 (the bottleneck)

        var inChannels = (long)options.InChannels;
        for (var level = 1; level <= depth; level++)
        {
            var encoder = new DoubleConv(inChannels, Width(level), options.BatchNorm);
            encoders.Add(encoder);
            register_module($"enc{level}", encoder);
            inChannels = Width(level);
        }
        pool = nn.MaxPool2d(2);
        register_module("pool", pool);
        bottleneck = new DoubleConv(Width(depth), Width(depth + 1), options.BatchNorm);
        register_module("bottleneck", bottleneck);

        // Decoder, deepest level first: up-sample to the level's resolution and width, concatenate enc{level}, DoubleConv.
        for (var level = depth; level >= 1; level--)
        {
            nn.Module<Tensor, Tensor> up = options.Upsampling == UNetUpsampling.TransposedConvolution
                ? nn.ConvTranspose2d(Width(level + 1), Width(level), 2, stride: 2)
                : nn.Sequential(
                    ("upsample", nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Bilinear, align_corners: false)),
                    ("conv", nn.Conv2d(Width(level + 1), Width(level), 3, padding: 1)));
            var decoder = new DoubleConv(2 * Width(level), Width(level), options.BatchNorm);
            ups.Add(up);
            decoders.Add(decoder);
            register_module($"up{level}", up);
            register_module($"dec{level}", decoder);
        }
        head = nn.Conv2d(Width(1), options.Classes, 1);
        register_module("head", head);
        RegisterComponents(); // nothing left: every layer was registered above, in data-flow order
    }

    /// <summary>A U-Net with default options for these channel and class counts.</summary>
    public UNet(int inChannels, int classes) : this(new UNetOptions { InChannels = inChannels, Classes = classes })
    {
    }

    /// <summary>The options the model was built from.</summary>
    public UNetOptions Options { get; }

    /// <summary>The factor the input size must be divisible by: 2^Depth.</summary>
    public int SizeMultiple => 1 << Options.Depth;

    /// <summary>Per-pixel class logits <c>[N, Classes, H, W]</c> of images <c>[N, InChannels, H, W]</c>, H and W divisible by 2^Depth.</summary>
    /// <exception cref="ArgumentException">The input is not such a batch; the message names the size and 2^Depth.</exception>
    public override Tensor forward(Tensor input)
    {
        var first = encoders[0].FirstConvolution;
        InputChecks.Images(input, "unet", "enc1.conv1", Options.InChannels, first.weight!);
        var (height, width, multiple) = (input.shape[2], input.shape[3], SizeMultiple);
        if (height % multiple != 0 || width % multiple != 0)
        {
            static long Up(long n, long m) => (n + m - 1) / m * m;
            static long Down(long n, long m) => n / m * m;
            var crop = Down(height, multiple) > 0 && Down(width, multiple) > 0 ? $" or crop them to {Down(height, multiple)}x{Down(width, multiple)}" : "";
            throw new ArgumentException(
                $"unet of depth {Options.Depth} expects height and width divisible by 2^{Options.Depth} = {multiple}, got {height}x{width}: input {Shapes.Format(input)}; " +
                $"pad the images to {Up(height, multiple)}x{Up(width, multiple)}{crop}.",
                nameof(input));
        }
        if (Options.BatchNorm && training && input.shape[0] * (height / multiple) * (width / multiple) <= 1)
            throw new ArgumentException($"unet cannot train on input {Shapes.Format(input)}: the bottleneck has one value per channel, too few for batch norm; use larger batches or images, or call model.eval() to predict.", nameof(input));

        var skips = new List<Tensor>();
        var x = input;
        foreach (var encoder in encoders)
        {
            x = encoder.call(x);
            skips.Add(x);
            x = pool.call(x);
        }
        x = bottleneck.call(x);
        for (var i = 0; i < decoders.Count; i++)
        {
            x = ups[i].call(x);
            x = decoders[i].call(torch.cat([skips[^(i + 1)], x], 1));
        }
        return head.call(x);
    }
}

/// <summary>
/// The U-Net's building block: (3x3 convolution, padding 1 → batch norm → ReLU) twice. The padding keeps the size,
/// so encoder and decoder maps of one level match without cropping.
/// </summary>
public sealed class DoubleConv : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d? bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d? bn2;

    /// <summary>A double convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels.</summary>
    public DoubleConv(long inChannels, long outChannels, bool batchNorm = true) : base(ModuleName.AfterRuntimeStart("DoubleConv"))
    {
        InChannels = inChannels;
        OutChannels = outChannels;
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: !batchNorm);
        bn1 = batchNorm ? nn.BatchNorm2d(outChannels) : null;
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: !batchNorm);
        bn2 = batchNorm ? nn.BatchNorm2d(outChannels) : null;
        RegisterComponents();
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    internal Conv2d FirstConvolution => conv1;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputChecks.BlockInput(input, GetName(), InChannels);
        var x = conv1.call(input);
        x = nn.functional.relu(bn1 is null ? x : bn1.call(x));
        x = conv2.call(x);
        return nn.functional.relu(bn2 is null ? x : bn2.call(x));
    }
}
