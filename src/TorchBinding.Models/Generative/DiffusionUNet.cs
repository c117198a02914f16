using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>Options of a <see cref="DiffusionUNet"/>. The defaults suit MNIST on a CPU: 28x28, depth 2, width 32, group norm.</summary>
public sealed record DiffusionUNetOptions
{
    /// <summary>Image channels (default 1).</summary>
    public int Channels { get; init; } = 1;

    /// <summary>The image side (default 28). A side that 2^Depth does not divide is padded with zeros to the next multiple inside the model, and the output cropped back.</summary>
    public int ImageSize { get; init; } = 28;

    /// <summary>The U-Net's depth (default 2: 28 → 14 → 7; depth 3 pads 28 to 32 and sees the whole image at 4 × 4).</summary>
    public int Depth { get; init; } = 2;

    /// <summary>The U-Net's first-level width (default 32).</summary>
    public int BaseWidth { get; init; } = 32;

    /// <summary>The length of the time (and class) embedding every block receives (default 64).</summary>
    public int EmbeddingSize { get; init; } = 64;

    /// <summary>
    /// The number of diffusion steps T it serves, for the step check: steps must lie in 0..T−1 (null, the default: any
    /// step ≥ 0, as the sinusoidal embedding takes any). Set it to the <see cref="Ddpm"/>'s Steps.
    /// </summary>
    public int? Steps { get; init; }

    /// <summary>The number of classes (default 0: unconditional). A conditional model also learns a "no class" embedding, for classifier-free guidance.</summary>
    public int Classes { get; init; }

    /// <summary>The normalisation in the blocks (default group norm: per sample, independent of the batch's mix of steps).</summary>
    public UNetNormalization Normalization { get; init; } = UNetNormalization.GroupNorm;

    /// <summary>Residual blocks (default true): each block adds its input to its output.</summary>
    public bool Residual { get; init; } = true;

    /// <summary>How the decoder upsamples (default transposed convolution).</summary>
    public UNetUpsampling Upsampling { get; init; } = UNetUpsampling.TransposedConvolution;
}

/// <summary>
/// The noise predictor of image diffusion: the lecture's <see cref="UNet"/> (child <c>unet</c>, built with
/// <see cref="UNetOptions.ConditionSize"/>) whose every block adds a linear map of an embedding of the step t and,
/// for a conditional model, of the class label. The step's embedding is sinusoidal (<c>time</c>), then a small MLP
/// (<c>time_mlp</c>: linear, SiLU, linear); the label's is learned (<c>labels</c>, one row per class plus "no
/// class"), and the two are added. The head predicts one noise map per image channel.
/// </summary>
public sealed class DiffusionUNet : nn.Module<Tensor, Tensor, Tensor?, Tensor>, INoisePredictor
{
    readonly SinusoidalTimeEmbedding time;
    readonly Sequential time_mlp;
    readonly Embedding? labels;
    readonly UNet unet;

    /// <summary>A noise predictor built from <paramref name="options"/> (default: unconditional MNIST).</summary>
    public DiffusionUNet(DiffusionUNetOptions? options = null) : base(ModuleName.AfterRuntimeStart("diffusion_unet"))
    {
        options ??= new DiffusionUNetOptions();
        if (options.Classes is < 0 or 1)
            throw new ArgumentException($"diffusion_unet: Classes must be 0 (unconditional) or at least 2, got {options.Classes}.");
        if (options.ImageSize < 1 || options.Depth is < 1 or > 8)
            throw new ArgumentException($"diffusion_unet: ImageSize must be positive and Depth between 1 and 8, got {options.ImageSize} and {options.Depth}.");
        if (options.Steps is < 1)
            throw new ArgumentException($"diffusion_unet: Steps (T) must be at least 1 (or null), got {options.Steps}.");
        if (options.EmbeddingSize < 2 || options.EmbeddingSize % 2 != 0)
            throw new ArgumentException($"diffusion_unet: EmbeddingSize must be even and at least 2, got {options.EmbeddingSize}.");
        Options = options;
        var size = options.EmbeddingSize;
        time = new SinusoidalTimeEmbedding(size);
        time_mlp = nn.Sequential(("fc1", nn.Linear(size, size)), ("act", nn.SiLU()), ("fc2", nn.Linear(size, size)));
        if (options.Classes > 0)
            labels = nn.Embedding(options.Classes + 1, size);
        unet = new UNet(new UNetOptions
        {
            InChannels = options.Channels,
            Classes = options.Channels,
            Depth = options.Depth,
            BaseWidth = options.BaseWidth,
            Normalization = options.Normalization,
            Upsampling = options.Upsampling,
            Residual = options.Residual,
            ConditionSize = size,
        });
        RegisterComponents();
    }

    /// <summary>The options the model was built from.</summary>
    public DiffusionUNetOptions Options { get; }

    /// <inheritdoc/>
    public IReadOnlyList<long> SampleShape => [Options.Channels, Options.ImageSize, Options.ImageSize];

    /// <inheritdoc/>
    public int Classes => Options.Classes;

    /// <summary>The predicted noise <c>[N, C, H, W]</c> of images <c>[N, C, H, W]</c> at steps <c>[N]</c>, with labels <c>[N]</c> (0..Classes, Classes = no class) or null.</summary>
    public override Tensor forward(Tensor x, Tensor t, Tensor? classLabels)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 1 || (x.dim() > 0 && t.shape[0] != x.shape[0]))
            throw new ArgumentException($"diffusion_unet expects one step per sample, t [N] for x {Shapes.Format(x)}, got {Shapes.Format(t)}.", nameof(t));
        InputChecks.DiffusionSteps(t, "diffusion_unet", Options.Steps, "DiffusionUNetOptions.Steps");
        // The embedding is computed in float32 and joins the network in its dtype (bfloat16 under mixed precision).
        using var steps = time.call(t);
        var embedding = time_mlp.call(steps.to(x.dtype));
        if (labels is not null)
        {
            var given = classLabels ?? full(t.shape[0], (long)Options.Classes, dtype: int64, device: t.device);
            if (given.dim() != 1 || given.shape[0] != t.shape[0])
                throw new ArgumentException($"diffusion_unet expects one label per sample, labels [{t.shape[0]}], got {Shapes.Format(given)}.", nameof(classLabels));
            InputChecks.ClassLabels(given, "diffusion_unet", Options.Classes + 1);
            embedding = embedding + labels.call(given.to(int64));
        }
        else if (classLabels is not null)
        {
            throw new ArgumentException($"diffusion_unet is unconditional (Classes 0) and takes no labels; got labels {Shapes.Format(classLabels)}.", nameof(classLabels));
        }
        var multiple = 1 << Options.Depth;
        var padding = (multiple - Options.ImageSize % multiple) % multiple;
        if (padding == 0 || x.dim() != 4 || x.shape[2] != Options.ImageSize || x.shape[3] != Options.ImageSize)
            return unet.Forward(x, nn.functional.silu(embedding).to(x.dtype));
        var (before, size) = (padding / 2, Options.ImageSize);
        var padded = nn.functional.pad(x, [before, padding - before, before, padding - before]);
        var output = unet.Forward(padded, nn.functional.silu(embedding).to(x.dtype));
        return output[.., .., before..(before + size), before..(before + size)];
    }

    /// <inheritdoc/>
    public Tensor PredictNoise(Tensor x, Tensor t, Tensor? labels = null) => call(x, t, labels);
}
