using TorchBinding.Runtime;
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

/// <summary>The normalisation after each of a <see cref="DoubleConv"/>'s convolutions.</summary>
public enum UNetNormalization
{
    /// <summary>Batch norm (the default): statistics over the batch; layers <c>bn1</c>, <c>bn2</c>.</summary>
    BatchNorm,

    /// <summary>Group norm (8 groups, or fewer for narrow layers): per sample, as diffusion U-Nets use it; layers <c>gn1</c>, <c>gn2</c>.</summary>
    GroupNorm,

    /// <summary>None: the convolutions keep their biases.</summary>
    None,
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

    /// <summary>The normalisation after every 3x3 convolution (default batch norm; a normalised convolution has no bias).</summary>
    public UNetNormalization Normalization { get; init; } = UNetNormalization.BatchNorm;

    /// <summary>Batch norm after every 3x3 convolution (true: <see cref="Normalization"/> is batch norm; false: none).</summary>
    public bool BatchNorm
    {
        get => Normalization == UNetNormalization.BatchNorm;
        init => Normalization = value ? UNetNormalization.BatchNorm : UNetNormalization.None;
    }

    /// <summary>
    /// Residual blocks (default false): each <see cref="DoubleConv"/> adds its input (through a 1x1 convolution
    /// <c>skip</c> when the channel count changes) before its last ReLU, as a ResNet block does; deeper and
    /// conditioned U-Nets (diffusion) train faster so.
    /// </summary>
    public bool Residual { get; init; }

    /// <summary>
    /// The length of a per-sample conditioning vector (e.g. a diffusion model's time embedding) that every block adds,
    /// through its own linear layer <c>condition</c>, to its feature maps (default 0: none). A conditioned U-Net is
    /// called with <see cref="UNet.Forward(Tensor, Tensor)"/>.
    /// </summary>
    public int ConditionSize { get; init; }

    /// <summary>
    /// How the feature maps lie in memory; <see cref="ActivationLayout.Auto"/> (the default): channels-last on the CPU,
    /// where the default U-Net trains 1.3x faster here, except with group norm, whose CPU kernels are slower in that
    /// layout (0.7–0.8x measured). The output's values do not depend on it.
    /// </summary>
    public ActivationLayout Layout { get; init; } = ActivationLayout.Auto;

    internal void Validate()
    {
        if (ConditionSize < 0)
            throw new ArgumentException($"UNetOptions.ConditionSize must be 0 (unconditioned) or positive, got {ConditionSize}.");
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
            var encoder = new DoubleConv(inChannels, Width(level), options.Normalization, options.ConditionSize, options.Residual);
            encoders.Add(encoder);
            register_module($"enc{level}", encoder);
            inChannels = Width(level);
        }
        pool = nn.MaxPool2d(2);
        register_module("pool", pool);
        bottleneck = new DoubleConv(Width(depth), Width(depth + 1), options.Normalization, options.ConditionSize, options.Residual);
        register_module("bottleneck", bottleneck);

        // Decoder, deepest level first: up-sample to the level's resolution and width, concatenate enc{level}, DoubleConv.
        for (var level = depth; level >= 1; level--)
        {
            nn.Module<Tensor, Tensor> up = options.Upsampling == UNetUpsampling.TransposedConvolution
                ? nn.ConvTranspose2d(Width(level + 1), Width(level), 2, stride: 2)
                : nn.Sequential(
                    ("upsample", nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Bilinear, align_corners: false)),
                    ("conv", nn.Conv2d(Width(level + 1), Width(level), 3, padding: 1)));
            var decoder = new DoubleConv(2 * Width(level), Width(level), options.Normalization, options.ConditionSize, options.Residual);
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
        if (Options.ConditionSize > 0)
            throw new InvalidOperationException($"unet was built with ConditionSize {Options.ConditionSize}: call Forward(input, condition) with a condition [N, {Options.ConditionSize}].");
        return Run(input, null);
    }

    /// <summary>
    /// The output <c>[N, Classes, H, W]</c> of a conditioned U-Net (<see cref="UNetOptions.ConditionSize"/> &gt; 0): every block adds
    /// a linear map of <paramref name="condition"/> <c>[N, ConditionSize]</c> to its feature maps.
    /// </summary>
    /// <exception cref="ArgumentException">The input or the condition has the wrong shape.</exception>
    public Tensor Forward(Tensor input, Tensor condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        if (Options.ConditionSize == 0)
            throw new InvalidOperationException("unet was built without conditioning (ConditionSize 0): call it with call(input), or set UNetOptions.ConditionSize.");
        ArgumentNullException.ThrowIfNull(input);
        if (condition.dim() != 2 || condition.shape[1] != Options.ConditionSize || (input.dim() > 0 && condition.shape[0] != input.shape[0]))
            throw new ArgumentException($"unet expects a condition [N, {Options.ConditionSize}] for input {Shapes.Format(input)}, got {Shapes.Format(condition)}.", nameof(condition));
        return Run(input, condition);
    }

    Tensor Run(Tensor input, Tensor? condition)
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
        var layout = Options.Layout == ActivationLayout.Auto && Options.Normalization == UNetNormalization.GroupNorm ? ActivationLayout.ChannelsFirst : Options.Layout;
        var x = MemoryLayout.Arrange(input, layout);
        foreach (var encoder in encoders)
        {
            x = Block(encoder, x, condition);
            skips.Add(x);
            x = pool.call(x);
        }
        x = Block(bottleneck, x, condition);
        for (var i = 0; i < decoders.Count; i++)
        {
            x = ups[i].call(x);
            x = Block(decoders[i], torch.cat([skips[^(i + 1)], x], 1), condition);
        }
        return head.call(x);
    }

    // Unconditioned blocks go through call so that forward hooks fire on them (Grad-CAM on enc1, bottleneck, ...).
    static Tensor Block(DoubleConv block, Tensor x, Tensor? condition) => condition is null ? block.call(x) : block.Apply(x, condition);
}

/// <summary>
/// The U-Net's building block: (3x3 convolution, padding 1 → normalisation → ReLU) twice. The padding keeps the size,
/// so encoder and decoder maps of one level match without cropping. A conditioned block (condition size &gt; 0) adds a
/// linear map of a per-sample vector (e.g. a diffusion time embedding) to the feature maps between the two
/// convolutions. Layers: <c>conv1</c>, <c>bn1</c>/<c>gn1</c>, <c>conv2</c>, <c>bn2</c>/<c>gn2</c>, <c>condition</c>.
/// </summary>
public sealed class DoubleConv : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly Conv2d conv2;
    readonly Linear? condition;
    readonly nn.Module<Tensor, Tensor>? skip;
    // Registered by hand as bn1/bn2 or gn1/gn2; kept in a list, which TorchSharp's field registration skips.
    readonly List<nn.Module<Tensor, Tensor>?> norms;

    /// <summary>A double convolution from <paramref name="inChannels"/> to <paramref name="outChannels"/> channels, with batch norm or none.</summary>
    public DoubleConv(long inChannels, long outChannels, bool batchNorm = true)
        : this(inChannels, outChannels, batchNorm ? UNetNormalization.BatchNorm : UNetNormalization.None)
    {
    }

    /// <summary>
    /// A double convolution with the given normalisation, for <paramref name="conditionSize"/> &gt; 0 a conditioning
    /// input, and with <paramref name="residual"/> a skip connection around it (identity, or a 1x1 convolution <c>skip</c>).
    /// </summary>
    public DoubleConv(long inChannels, long outChannels, UNetNormalization normalization, long conditionSize = 0, bool residual = false) : base(ModuleName.AfterRuntimeStart("DoubleConv"))
    {
        ArgumentOutOfRangeException.ThrowIfNegative(conditionSize);
        InChannels = inChannels;
        OutChannels = outChannels;
        ConditionSize = conditionSize;
        var normalised = normalization != UNetNormalization.None;
        var prefix = normalization == UNetNormalization.GroupNorm ? "gn" : "bn";
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1, bias: !normalised);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, bias: !normalised);
        norms = [Normalization(normalization, outChannels), Normalization(normalization, outChannels)];
        register_module("conv1", conv1);
        if (norms[0] is { } norm1)
            register_module($"{prefix}1", norm1);
        register_module("conv2", conv2);
        if (norms[1] is { } norm2)
            register_module($"{prefix}2", norm2);
        if (conditionSize > 0)
        {
            condition = nn.Linear(conditionSize, outChannels);
            register_module("condition", condition);
        }
        Residual = residual;
        if (residual)
        {
            skip = inChannels == outChannels ? nn.Identity() : nn.Conv2d(inChannels, outChannels, 1);
            register_module("skip", skip);
        }
        RegisterComponents(); // nothing left: every layer was registered above, under the names the state dict uses
    }

    /// <summary>Input channels.</summary>
    public long InChannels { get; }

    /// <summary>Output channels.</summary>
    public long OutChannels { get; }

    /// <summary>The length of the conditioning vector (0: unconditioned).</summary>
    public long ConditionSize { get; }

    /// <summary>Whether the block adds its input to its output (a residual block).</summary>
    public bool Residual { get; }

    internal Conv2d FirstConvolution => conv1;

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        if (condition is not null)
            throw new InvalidOperationException($"{GetName()} is conditioned (condition size {ConditionSize}): call Apply(input, condition).");
        return Apply(input, null);
    }

    /// <summary>The block's output; <paramref name="vector"/> <c>[N, ConditionSize]</c> is required by a conditioned block and ignored otherwise.</summary>
    public Tensor Apply(Tensor input, Tensor? vector)
    {
        InputChecks.BlockInput(input, GetName(), InChannels);
        // The block's intermediate maps go with its own scope; only its output leaves. Without gradients nothing else
        // holds them, and a whole forward pass's maps would stay alive until the caller's scope ended: sampling 1,000
        // MNIST digits with the diffusion U-Net took the process to 7 GB. (In training, autograd keeps what it needs.)
        using var scope = NewDisposeScope();
        var x = conv1.call(input);
        x = nn.functional.relu(norms[0] is { } norm1 ? norm1.call(x) : x);
        if (condition is not null)
        {
            if (vector is null)
                throw new ArgumentException($"{GetName()} is conditioned and needs a condition [N, {ConditionSize}].", nameof(vector));
            x = x + condition.call(vector)[.., .., TensorIndex.None, TensorIndex.None];
        }
        x = conv2.call(x);
        x = norms[1] is { } norm2 ? norm2.call(x) : x;
        return nn.functional.relu(skip is null ? x : x + skip.call(input)).MoveToOuterDisposeScope();
    }

    static nn.Module<Tensor, Tensor>? Normalization(UNetNormalization normalization, long channels) => normalization switch
    {
        UNetNormalization.BatchNorm => nn.BatchNorm2d(channels),
        UNetNormalization.GroupNorm => GroupNorm(Groups(channels), channels),
        _ => null,
    };

    /// <summary>
    /// Group norm with γ = 1 and β = 0. TorchSharp 0.107's <c>nn.GroupNorm</c> leaves both uninitialised (whatever
    /// the memory held, NaN included), unlike PyTorch's; this sets them as PyTorch does.
    /// </summary>
    static GroupNorm GroupNorm(long groups, long channels)
    {
        var norm = nn.GroupNorm(groups, channels);
        using (no_grad())
        {
            norm.weight!.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }

    /// <summary>8 groups, or the largest divisor of the channel count below 8.</summary>
    static long Groups(long channels)
    {
        for (var g = Math.Min(8, channels); g > 1; g--)
        {
            if (channels % g == 0)
                return g;
        }
        return 1;
    }
}
