using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>How a residual block adds its input where the block changes the channel count or the resolution.</summary>
public enum Shortcut
{
    /// <summary>A 1x1 convolution (with the block's stride) and batch norm: He et al.'s option B, torchvision's choice.</summary>
    Projection,

    /// <summary>
    /// The input subsampled with the block's stride and padded with zero channels: He et al.'s parameter-free option A,
    /// used in their CIFAR experiments, so that a residual network and its plain twin have exactly the same parameters.
    /// </summary>
    ZeroPadding,
}

/// <summary>
/// The basic residual block of ResNet-18/34 and the CIFAR ResNets: two 3x3 convolutions with batch norm,
/// <c>relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x))</c>. The first convolution carries the stride. Without
/// <c>residual</c> it is the plain block of the depth experiment: the same layers, nothing added.
/// </summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Sequential? downsample;

    /// <summary>A basic block from <paramref name="inChannels"/> to <paramref name="channels"/> channels.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="channels">Output channels.</param>
    /// <param name="stride">Stride of the first convolution (2 halves the resolution).</param>
    /// <param name="residual">Add the shortcut (false: the plain twin).</param>
    /// <param name="shortcut">The shortcut where the shapes change.</param>
    public BasicBlock(int inChannels, int channels, int stride = 1, bool residual = true, Shortcut shortcut = Shortcut.Projection)
        : base(ModuleName.AfterRuntimeStart(residual ? "BasicBlock" : "PlainBlock"))
    {
        conv1 = nn.Conv2d(inChannels, channels, 3, stride: stride, padding: 1, bias: false);
        bn1 = nn.BatchNorm2d(channels);
        conv2 = nn.Conv2d(channels, channels, 3, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(channels);
        Shape = new(inChannels, channels, stride, residual, shortcut);
        downsample = Shape.CreateProjection();
        RegisterComponents();
    }

    /// <summary>The block's channels, stride and shortcut.</summary>
    public ResidualShape Shape { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputChecks.BlockInput(input, GetName(), Shape.InChannels);
        var x = nn.functional.relu(bn1.call(conv1.call(input)));
        x = bn2.call(conv2.call(x));
        if (Shape.Residual)
            x = x + Shape.ApplyShortcut(input, downsample);
        return nn.functional.relu(x);
    }
}

/// <summary>
/// The bottleneck block of ResNet-50/101/152: 1x1 convolution down to <c>width</c> channels, 3x3 convolution (with
/// the stride, as in torchvision), 1x1 convolution up to <c>4·width</c> channels, each with batch norm, plus the
/// shortcut. Without <c>residual</c> it is the plain twin.
/// </summary>
public sealed class Bottleneck : nn.Module<Tensor, Tensor>
{
    /// <summary>The ratio of output channels to the block's width.</summary>
    public const int Expansion = 4;

    readonly Conv2d conv1;
    readonly BatchNorm2d bn1;
    readonly Conv2d conv2;
    readonly BatchNorm2d bn2;
    readonly Conv2d conv3;
    readonly BatchNorm2d bn3;
    readonly Sequential? downsample;

    /// <summary>A bottleneck block from <paramref name="inChannels"/> to <c>4·<paramref name="width"/></c> channels.</summary>
    /// <param name="inChannels">Input channels.</param>
    /// <param name="width">Channels inside the block (the output has <see cref="Expansion"/> times as many).</param>
    /// <param name="stride">Stride of the 3x3 convolution.</param>
    /// <param name="residual">Add the shortcut (false: the plain twin).</param>
    /// <param name="shortcut">The shortcut where the shapes change.</param>
    public Bottleneck(int inChannels, int width, int stride = 1, bool residual = true, Shortcut shortcut = Shortcut.Projection)
        : base(ModuleName.AfterRuntimeStart(residual ? "Bottleneck" : "PlainBottleneck"))
    {
        conv1 = nn.Conv2d(inChannels, width, 1, bias: false);
        bn1 = nn.BatchNorm2d(width);
        conv2 = nn.Conv2d(width, width, 3, stride: stride, padding: 1, bias: false);
        bn2 = nn.BatchNorm2d(width);
        conv3 = nn.Conv2d(width, width * Expansion, 1, bias: false);
        bn3 = nn.BatchNorm2d(width * Expansion);
        Shape = new(inChannels, width * Expansion, stride, residual, shortcut);
        downsample = Shape.CreateProjection();
        RegisterComponents();
    }

    /// <summary>The block's channels, stride and shortcut.</summary>
    public ResidualShape Shape { get; }

    /// <inheritdoc/>
    public override Tensor forward(Tensor input)
    {
        InputChecks.BlockInput(input, GetName(), Shape.InChannels);
        var x = nn.functional.relu(bn1.call(conv1.call(input)));
        x = nn.functional.relu(bn2.call(conv2.call(x)));
        x = bn3.call(conv3.call(x));
        if (Shape.Residual)
            x = x + Shape.ApplyShortcut(input, downsample);
        return nn.functional.relu(x);
    }
}

/// <summary>A residual block's input and output channels, stride, and how its shortcut bridges them.</summary>
/// <param name="InChannels">Input channels.</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Stride">The block's stride.</param>
/// <param name="Residual">Whether the shortcut is added (false: a plain block).</param>
/// <param name="Shortcut">The shortcut used where the shapes change.</param>
public sealed record ResidualShape(int InChannels, int OutChannels, int Stride, bool Residual, Shortcut Shortcut)
{
    /// <summary>Whether the shortcut is the identity (same channels, stride 1): nothing to learn, nothing to pad.</summary>
    public bool IsIdentity => InChannels == OutChannels && Stride == 1;

    /// <summary>The projection (1x1 conv + BN, torchvision's <c>downsample.0</c>, <c>downsample.1</c>), or null where none is needed.</summary>
    internal Sequential? CreateProjection()
    {
        if (!Residual || IsIdentity || Shortcut != Shortcut.Projection)
        {
            if (Residual && !IsIdentity && OutChannels < InChannels)
                throw new ArgumentException($"A zero-padding shortcut cannot reduce {InChannels} to {OutChannels} channels; use Shortcut.Projection.");
            return null;
        }
        return nn.Sequential(nn.Conv2d(InChannels, OutChannels, 1, stride: Stride, bias: false), nn.BatchNorm2d(OutChannels));
    }

    /// <summary>The shortcut branch of the block applied to its input.</summary>
    internal Tensor ApplyShortcut(Tensor input, Sequential? projection)
    {
        if (IsIdentity)
            return input;
        if (projection is not null)
            return projection.call(input);
        // Option A: take every Stride-th pixel (the positions the strided 3x3 convolution centres on), then zero channels.
        var x = Stride == 1 ? input : input[.., .., TensorIndex.Slice(null, null, Stride), TensorIndex.Slice(null, null, Stride)];
        return OutChannels == InChannels ? x : nn.functional.pad(x, [0, 0, 0, 0, 0, OutChannels - InChannels]);
    }
}
