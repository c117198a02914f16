using TorchBinding.Models.Transfer;
using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>The first layers of a <see cref="ResNet"/>, before the stages.</summary>
public enum ResNetStem
{
    /// <summary>3x3 convolution, stride 1, batch norm, ReLU, no max pool: for small images (32x32 CIFAR, 28x28 MNIST).</summary>
    Cifar,

    /// <summary>7x7 convolution, stride 2, batch norm, ReLU, 3x3 max pool stride 2: for 224x224 ImageNet images (resolution / 4).</summary>
    ImageNet,
}

/// <summary>The kind of block of a <see cref="ResNet"/>'s stages.</summary>
public enum ResNetBlock
{
    /// <summary>Two 3x3 convolutions (<see cref="BasicBlock"/>, ResNet-18/34, CIFAR ResNets).</summary>
    Basic,

    /// <summary>1x1, 3x3, 1x1 convolutions with expansion 4 (<see cref="Bottleneck"/>, ResNet-50 and deeper).</summary>
    Bottleneck,
}

/// <summary>
/// Options of a <see cref="ResNet"/>: a stem, stages of residual blocks (the first at stride 1, each later one
/// starting with stride 2), global average pooling and a linear classifier. The defaults are the course's small
/// ResNet: 3x3 conv 1→16 without bias + BN + ReLU; stage 1: two basic blocks of 16 channels, stride 1, identity
/// shortcuts; stage 2: two basic blocks of 32 channels, the first with stride 2 and a 1x1 conv + BN projection
/// shortcut; adaptive average pool; Linear 32→10.
/// </summary>
public sealed record ResNetOptions
{
    /// <summary>The course's small ResNet (the defaults).</summary>
    public static ResNetOptions Course => new();

    /// <summary>
    /// ResNet-18 as in torchvision (stages of 64, 128, 256, 512 channels, [2, 2, 2, 2] basic blocks, projection
    /// shortcuts): with the <see cref="ResNetStem.ImageNet"/> stem it is torchvision's <c>resnet18</c> for 224x224,
    /// 11,689,512 parameters for 1000 classes; with the <see cref="ResNetStem.Cifar"/> stem the usual 32x32 variant.
    /// </summary>
    public static ResNetOptions ResNet18(int classes = 1000, int inChannels = 3, ResNetStem stem = ResNetStem.ImageNet) =>
        Torchvision(classes, inChannels, stem, ResNetBlock.Basic, [2, 2, 2, 2]);

    /// <summary>ResNet-34 (basic blocks [3, 4, 6, 3]; 21,797,672 parameters for 1000 classes at 224).</summary>
    public static ResNetOptions ResNet34(int classes = 1000, int inChannels = 3, ResNetStem stem = ResNetStem.ImageNet) =>
        Torchvision(classes, inChannels, stem, ResNetBlock.Basic, [3, 4, 6, 3]);

    /// <summary>ResNet-50 (bottleneck blocks [3, 4, 6, 3]; 25,557,032 parameters for 1000 classes at 224).</summary>
    public static ResNetOptions ResNet50(int classes = 1000, int inChannels = 3, ResNetStem stem = ResNetStem.ImageNet) =>
        Torchvision(classes, inChannels, stem, ResNetBlock.Bottleneck, [3, 4, 6, 3]);

    /// <summary>
    /// He et al.'s CIFAR network of depth 6n+2 (8, 14, 20, 32, 44, 56, 110): a 3x3 stem of 16 channels, three stages
    /// of n basic blocks with 16, 32, 64 channels, global average pooling, a linear classifier. With
    /// <paramref name="residual"/> false it is the plain network of the same depth.
    /// </summary>
    /// <exception cref="ArgumentException">The depth is not 6n+2 for some n ≥ 1.</exception>
    public static ResNetOptions Cifar(int depth, bool residual = true, int inChannels = 3, int classes = 10, Shortcut shortcut = Shortcut.Projection)
    {
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentException($"A CIFAR ResNet has depth 6n+2 (8, 14, 20, 32, 44, 56, 110, ...), got {depth}.", nameof(depth));
        var n = (depth - 2) / 6;
        return new ResNetOptions
        {
            InChannels = inChannels, Classes = classes, Widths = [16, 32, 64], Blocks = [n, n, n], Residual = residual, Shortcut = shortcut,
        };
    }

    static ResNetOptions Torchvision(int classes, int inChannels, ResNetStem stem, ResNetBlock block, IReadOnlyList<int> blocks) => new()
    {
        InChannels = inChannels, Classes = classes, Stem = stem, Widths = [64, 128, 256, 512], Blocks = blocks, Block = block,
    };

    /// <summary>Channels of the input images (1 grey, 3 colour).</summary>
    public int InChannels { get; init; } = 1;

    /// <summary>The number of classes (outputs, as logits).</summary>
    public int Classes { get; init; } = 10;

    /// <summary>The stem: small images (<see cref="ResNetStem.Cifar"/>) or ImageNet's 224x224.</summary>
    public ResNetStem Stem { get; init; } = ResNetStem.Cifar;

    /// <summary>Output channels of the stem convolution; null: the first stage's width (16 in the course, 64 in torchvision).</summary>
    public int? StemWidth { get; init; }

    /// <summary>The width of each stage (its output channels for basic blocks; a quarter of them for bottleneck blocks).</summary>
    public IReadOnlyList<int> Widths { get; init; } = [16, 32];

    /// <summary>The number of blocks of each stage.</summary>
    public IReadOnlyList<int> Blocks { get; init; } = [2, 2];

    /// <summary>The kind of block.</summary>
    public ResNetBlock Block { get; init; } = ResNetBlock.Basic;

    /// <summary>
    /// Whether the blocks add their shortcut. False gives the plain twin: identical convolutions and batch norms,
    /// no identity addition and no projection layers (plain networks in He et al. have no shortcut at all).
    /// </summary>
    public bool Residual { get; init; } = true;

    /// <summary>The shortcut of blocks that change the channel count or resolution.</summary>
    public Shortcut Shortcut { get; init; } = Shortcut.Projection;

    /// <summary>
    /// How the feature maps lie in memory; <see cref="ActivationLayout.Auto"/> (the default): channels-last on the CPU,
    /// where it trains 1.1–1.4x faster here. The output's values do not depend on it.
    /// </summary>
    public ActivationLayout Layout { get; init; } = ActivationLayout.Auto;

    internal void Validate()
    {
        if (InChannels < 1 || Classes < 1)
            throw new ArgumentException($"ResNetOptions.InChannels and Classes must be positive, got {InChannels} and {Classes}.");
        if (StemWidth is < 1)
            throw new ArgumentException($"ResNetOptions.StemWidth must be positive, got {StemWidth}.");
        if (Widths is null || Blocks is null || Widths.Count == 0 || Widths.Count != Blocks.Count)
            throw new ArgumentException($"ResNetOptions.Widths and Blocks need one entry per stage, got {Widths?.Count ?? 0} widths and {Blocks?.Count ?? 0} block counts.");
        if (Widths.Any(w => w < 1) || Blocks.Any(b => b < 1))
            throw new ArgumentException($"ResNetOptions.Widths [{string.Join(", ", Widths)}] and Blocks [{string.Join(", ", Blocks)}] must be positive.");
    }
}

/// <summary>
/// The residual network of the ResNet lecture (He et al., 2016): blocks learn a residual F(x) that is added to
/// their input, so gradients flow through the identity shortcuts and very deep networks train; the plain twin
/// (<see cref="ResNetOptions.Residual"/> false) shows the degradation problem of deep networks without them.
/// <c>new ResNet()</c> is the course's small ResNet (42,938 parameters); the factories give ResNet-18/34/50 and the
/// CIFAR networks of depth 6n+2. Layer names follow torchvision (<c>conv1, bn1, maxpool, layer1..layerK, avgpool,
/// fc</c>; blocks <c>layer2.0.conv1</c>, <c>layer2.0.downsample.0</c>): ResNet-18/34/50 have torchvision's state-dict names and shapes.
/// Convolutions start with He (Kaiming) normal initialisation, fan-out, as in torchvision.
/// </summary>
/// <example>
/// <code>
/// var course = new ResNet();                                        // 28x28 grey, 10 classes
/// var resnet18 = ResNet.ResNet18(classes: 10, stem: ResNetStem.Cifar); // 32x32 colour
/// var plain56 = ResNet.Cifar(56, residual: false, inChannels: 1);    // the depth experiment
/// </code>
/// </example>
public sealed class ResNet : nn.Module<Tensor, Tensor>, IReplaceableHead
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly MaxPool2d? maxpool;
    readonly List<Sequential> stages = [];
    readonly AdaptiveAvgPool2d avgpool;
    nn.Module<Tensor, Tensor> fc;
    readonly string modelName;

    /// <summary>A ResNet built from <paramref name="options"/> (default: the course's small ResNet).</summary>
    public ResNet(ResNetOptions? options = null) : base(ModuleName.AfterRuntimeStart((options?.Residual ?? true) ? "resnet" : "plainnet"))
    {
        options ??= new ResNetOptions();
        options.Validate();
        Options = options;
        modelName = options.Residual ? "resnet" : "plainnet";
        var stemWidth = options.StemWidth ?? options.Widths[0];
        conv1 = options.Stem == ResNetStem.ImageNet
            ? nn.Conv2d(options.InChannels, stemWidth, 7, stride: 2, padding: 3, bias: false)
            : nn.Conv2d(options.InChannels, stemWidth, 3, stride: 1, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(stemWidth);
        maxpool = options.Stem == ResNetStem.ImageNet ? nn.MaxPool2d(3, stride: 2, padding: 1) : null;
        // Registered by hand in torchvision's order (stem, stages, head), so summaries and state dicts read top down.
        register_module("conv1", conv1);
        register_module("bn1", bn1);
        if (maxpool is not null)
            register_module("maxpool", maxpool);

        var channels = stemWidth;
        var blocks = 0;
        for (var s = 0; s < options.Widths.Count; s++)
        {
            var stage = new List<nn.Module<Tensor, Tensor>>();
            for (var b = 0; b < options.Blocks[s]; b++)
            {
                var stride = s > 0 && b == 0 ? 2 : 1;
                if (options.Block == ResNetBlock.Basic)
                {
                    stage.Add(new BasicBlock(channels, options.Widths[s], stride, options.Residual, options.Shortcut));
                    channels = options.Widths[s];
                }
                else
                {
                    stage.Add(new Bottleneck(channels, options.Widths[s], stride, options.Residual, options.Shortcut));
                    channels = options.Widths[s] * Bottleneck.Expansion;
                }
            }
            blocks += options.Blocks[s];
            var layer = nn.Sequential(stage);
            stages.Add(layer);
            register_module($"layer{s + 1}", layer);
        }
        avgpool = nn.AdaptiveAvgPool2d(1);
        fc = nn.Linear(channels, options.Classes);
        register_module("avgpool", avgpool);
        register_module("fc", fc);
        FeatureChannels = channels;
        Depth = 1 + blocks * (options.Block == ResNetBlock.Basic ? 2 : 3) + 1;

        RegisterComponents(); // nothing left to register: it skips the names taken above

        InitialiseLikeTorchvision();
    }

    /// <summary>The course's small ResNet (the same as <c>new ResNet()</c>) for other channel or class counts.</summary>
    public static ResNet Course(int inChannels = 1, int classes = 10) =>
        new(ResNetOptions.Course with { InChannels = inChannels, Classes = classes });

    /// <inheritdoc cref="ResNetOptions.ResNet18"/>
    public static ResNet ResNet18(int classes = 1000, int inChannels = 3, ResNetStem stem = ResNetStem.ImageNet) =>
        new(ResNetOptions.ResNet18(classes, inChannels, stem));

    /// <inheritdoc cref="ResNetOptions.ResNet34"/>
    public static ResNet ResNet34(int classes = 1000, int inChannels = 3, ResNetStem stem = ResNetStem.ImageNet) =>
        new(ResNetOptions.ResNet34(classes, inChannels, stem));

    /// <inheritdoc cref="ResNetOptions.ResNet50"/>
    public static ResNet ResNet50(int classes = 1000, int inChannels = 3, ResNetStem stem = ResNetStem.ImageNet) =>
        new(ResNetOptions.ResNet50(classes, inChannels, stem));

    /// <inheritdoc cref="ResNetOptions.Cifar"/>
    public static ResNet Cifar(int depth, bool residual = true, int inChannels = 3, int classes = 10, Shortcut shortcut = Shortcut.Projection) =>
        new(ResNetOptions.Cifar(depth, residual, inChannels, classes, shortcut));

    /// <summary>The options the model was built from.</summary>
    public ResNetOptions Options { get; }

    /// <summary>The number of weighted layers on the main path: the stem convolution, every block's convolutions, the classifier (18 for ResNet-18, 6n+2 for the CIFAR networks).</summary>
    public int Depth { get; }

    /// <summary>Channels of the last stage's output (the classifier's input).</summary>
    public int FeatureChannels { get; }

    /// <summary>The classifier's name, <c>fc</c>.</summary>
    public string HeadName => "fc";

    /// <summary>The classifier (a <c>Linear</c> unless replaced).</summary>
    public nn.Module<Tensor, Tensor> Head => fc;

    /// <summary>The features the classifier receives (<see cref="FeatureChannels"/>, after global average pooling).</summary>
    public long HeadInputFeatures => FeatureChannels;

    /// <summary>Puts <paramref name="newHead"/> in the classifier's place (registered as <c>fc</c>) and returns the old one; see <c>TransferLearning.ReplaceHead</c>.</summary>
    public nn.Module<Tensor, Tensor> SwapHead(nn.Module<Tensor, Tensor> newHead)
    {
        ArgumentNullException.ThrowIfNull(newHead);
        var old = fc;
        fc = newHead;
        register_module("fc", null!);
        register_module("fc", newHead);
        return old;
    }

    /// <summary>The stages, <c>layer1</c> first: each a sequence of blocks (<see cref="BasicBlock"/> or <see cref="Bottleneck"/>).</summary>
    public IReadOnlyList<Sequential> Stages => stages;

    /// <summary>Class logits <c>[N, Classes]</c> of images <c>[N, InChannels, H, W]</c> of any size.</summary>
    /// <exception cref="ArgumentException">The input is not such a batch.</exception>
    public override Tensor forward(Tensor input) => fc.call(torch.flatten(avgpool.call(Features(input)), 1));

    /// <summary>The last stage's feature map <c>[N, FeatureChannels, h, w]</c> (for Grad-CAM and feature pictures).</summary>
    /// <exception cref="ArgumentException">The input is not a batch of images with <see cref="ResNetOptions.InChannels"/> channels.</exception>
    public Tensor Features(Tensor input)
    {
        InputChecks.Images(input, modelName, "conv1", Options.InChannels, conv1.weight!);
        if (training)
        {
            // Batch norm needs more than one value per channel; the last stage has the fewest.
            var downsamplings = Options.Widths.Count - 1 + (Options.Stem == ResNetStem.ImageNet ? 2 : 0);
            long Last(long size) => Enumerable.Range(0, downsamplings).Aggregate(size, (n, _) => (n + 1) / 2);
            if (input.shape[0] * Last(input.shape[2]) * Last(input.shape[3]) <= 1)
                throw new ArgumentException($"{modelName} cannot train on input {Shapes.Format(input)}: its last stage has one value per channel, too few for batch norm; use larger batches or images, or call model.eval() to predict.", nameof(input));
        }
        var x = nn.functional.relu(bn1.call(conv1.call(MemoryLayout.Arrange(input, Options.Layout))));
        if (maxpool is not null)
            x = maxpool.call(x);
        foreach (var stage in stages)
            x = stage.call(x);
        return x;
    }

    void InitialiseLikeTorchvision()
    {
        using var noGrad = no_grad();
        foreach (var module in modules())
        {
            if (module is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight!, 0, nn.init.FanInOut.FanOut, nn.init.NonlinearityType.ReLU);
        }
    }
}
