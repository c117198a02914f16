using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>How a <see cref="DiffusionMlp"/> sees the step t.</summary>
public enum TimeEncoding
{
    /// <summary>One extra input, t/(T−1) − 0.5 in [−0.5, 0.5]: the course's <c>TimeAppender</c>.</summary>
    Scaled,

    /// <summary>A <see cref="SinusoidalTimeEmbedding"/> of <see cref="DiffusionMlpOptions.TimeEmbeddingSize"/> extra inputs.</summary>
    Sinusoidal,
}

/// <summary>Options of a <see cref="DiffusionMlp"/>. The defaults are the course's SimpleDiffusion network: [x, t/49 − 0.5] → 256 → 256 → 256 → 1.</summary>
public sealed record DiffusionMlpOptions
{
    /// <summary>The number of features of a sample (default 1; 2 for points in the plane).</summary>
    public int DataSize { get; init; } = 1;

    /// <summary>The hidden layer sizes (default [256, 256, 256]).</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [256, 256, 256];

    /// <summary>The number of diffusion steps T the model serves (default 50), for the scaled time and the step check.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>How the step enters (default: the course's scaled scalar).</summary>
    public TimeEncoding TimeEncoding { get; init; } = TimeEncoding.Scaled;

    /// <summary>The sinusoidal embedding's length (default 32; used with <see cref="TimeEncoding.Sinusoidal"/>).</summary>
    public int TimeEmbeddingSize { get; init; } = 32;

    /// <summary>The hidden activation (default ReLU).</summary>
    public Activations.Activation Activation { get; init; } = Activations.Activation.ReLU;
}

/// <summary>
/// The noise predictor of low-dimensional diffusion: an <see cref="Mlp"/> (child <c>mlp</c>) on the sample
/// concatenated with its step's encoding, predicting the noise (as many outputs as features). With the default
/// options it is the course's SimpleDiffusion network (132,609 parameters).
/// </summary>
public sealed class DiffusionMlp : nn.Module<Tensor, Tensor, Tensor>, INoisePredictor
{
    readonly SinusoidalTimeEmbedding? time;
    readonly Mlp mlp;

    /// <summary>A noise predictor built from <paramref name="options"/> (default: the course's 1-D network for T = 50).</summary>
    public DiffusionMlp(DiffusionMlpOptions? options = null) : base(ModuleName.AfterRuntimeStart("diffusion_mlp"))
    {
        options ??= new DiffusionMlpOptions();
        if (options.DataSize < 1)
            throw new ArgumentException($"diffusion_mlp: DataSize must be positive, got {options.DataSize}.");
        if (options.Steps < 1)
            throw new ArgumentException($"diffusion_mlp: Steps (T) must be at least 1, got {options.Steps}.");
        Options = options;
        var timeInputs = 1;
        if (options.TimeEncoding == TimeEncoding.Sinusoidal)
        {
            time = new SinusoidalTimeEmbedding(options.TimeEmbeddingSize);
            register_module("time", time);
            timeInputs = options.TimeEmbeddingSize;
        }
        mlp = new Mlp(new MlpOptions { Sizes = [options.DataSize + timeInputs, .. options.HiddenSizes, options.DataSize], Activation = options.Activation });
        register_module("mlp", mlp);
    }

    /// <summary>The options the model was built from.</summary>
    public DiffusionMlpOptions Options { get; }

    /// <inheritdoc/>
    public IReadOnlyList<long> SampleShape => [Options.DataSize];

    /// <summary>Always 0: this network is unconditional.</summary>
    public int Classes => 0;

    /// <summary>The predicted noise <c>[N, DataSize]</c> of samples <c>[N, DataSize]</c> at steps <c>[N]</c> in 0..T−1.</summary>
    /// <exception cref="ArgumentException">Samples of the wrong shape, or steps that are not integers in 0..T−1.</exception>
    public override Tensor forward(Tensor x, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(t);
        if (x.dim() != 2 || x.shape[1] != Options.DataSize)
            throw new ArgumentException($"diffusion_mlp expects samples [N, {Options.DataSize}], got {Shapes.Format(x)}.", nameof(x));
        if (t.dim() != 1 || t.shape[0] != x.shape[0])
            throw new ArgumentException($"diffusion_mlp expects one step per sample, t [{x.shape[0]}], got {Shapes.Format(t)}.", nameof(t));
        // A step past T would be scaled beyond the range the network was trained on, and answer nonsense.
        InputChecks.DiffusionSteps(t, "diffusion_mlp", Options.Steps, "DiffusionMlpOptions.Steps");
        var encoded = time is not null
            ? time.call(t).to(x.dtype)
            : (t.to(x.dtype) / Math.Max(1, Options.Steps - 1) - 0.5)[.., TensorIndex.None];
        return mlp.call(cat([x, encoded], 1));
    }

    /// <inheritdoc/>
    public Tensor PredictNoise(Tensor x, Tensor t, Tensor? labels = null)
    {
        if (labels is not null)
            throw new ArgumentException($"diffusion_mlp is unconditional and takes no labels; got labels {Shapes.Format(labels)}.", nameof(labels));
        return call(x, t);
    }
}
