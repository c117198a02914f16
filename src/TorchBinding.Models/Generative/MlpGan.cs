using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>How a GAN model's hidden layers and output behave.</summary>
public enum GanOutput
{
    /// <summary>No output activation: any real value (the course's coin GAN).</summary>
    Linear,

    /// <summary>tanh: values in [-1, 1], for images scaled to [-1, 1] (the DCGAN convention).</summary>
    Tanh,

    /// <summary>sigmoid: values in [0, 1], for images in [0, 1].</summary>
    Sigmoid,
}

/// <summary>Options of an <see cref="MlpGenerator"/>. The defaults suit MNIST: 64 → 256 → 512 → 784, tanh.</summary>
public sealed record MlpGeneratorOptions
{
    /// <summary>The length of a latent code (default 64; the course's coin GAN uses 1).</summary>
    public int LatentSize { get; init; } = 64;

    /// <summary>The hidden layer sizes (default [256, 512]).</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [256, 512];

    /// <summary>The shape of one sample (default [1, 28, 28]).</summary>
    public IReadOnlyList<long> OutputShape { get; init; } = [1, 28, 28];

    /// <summary>The negative slope of the hidden layers' leaky ReLU (default 0.2; 0 gives ReLU, as in the course's coin GAN).</summary>
    public double NegativeSlope { get; init; } = 0.2;

    /// <summary>Batch norm after every hidden linear layer (default false).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>The output activation (default tanh).</summary>
    public GanOutput Output { get; init; } = GanOutput.Tanh;

    /// <summary>Class conditioning (null, the default: unconditional).</summary>
    public LabelConditioning? Conditioning { get; init; }
}

/// <summary>Options of an <see cref="MlpDiscriminator"/>. The defaults suit MNIST: 784 → 512 → 256 → 1.</summary>
public sealed record MlpDiscriminatorOptions
{
    /// <summary>The shape of one sample (default [1, 28, 28]).</summary>
    public IReadOnlyList<long> InputShape { get; init; } = [1, 28, 28];

    /// <summary>The hidden layer sizes (default [512, 256]).</summary>
    public IReadOnlyList<int> HiddenSizes { get; init; } = [512, 256];

    /// <summary>The negative slope of the hidden layers' leaky ReLU (default 0.2; 0 gives ReLU).</summary>
    public double NegativeSlope { get; init; } = 0.2;

    /// <summary>Dropout after every hidden activation (default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>Class conditioning (null, the default: unconditional).</summary>
    public LabelConditioning? Conditioning { get; init; }
}

/// <summary>
/// A fully connected generator: [z, label vector] → hidden layers (linear, optional batch norm, leaky ReLU) →
/// linear → output activation, reshaped to <see cref="MlpGeneratorOptions.OutputShape"/>. Layers are named
/// <c>labels</c> (conditional only) and <c>body</c> (<c>fc1, bn1, act1, ..., fcL, out</c>).
/// </summary>
/// <example>
/// <code>
/// // The course's coin-flip generator: 1 → 64 ReLU → 1, linear output (193 parameters).
/// var g = new MlpGenerator(new MlpGeneratorOptions { LatentSize = 1, HiddenSizes = [64], OutputShape = [1], NegativeSlope = 0, Output = GanOutput.Linear });
/// </code>
/// </example>
public sealed class MlpGenerator : GanGenerator
{
    readonly LabelEncoder? labels;
    readonly Sequential body;

    /// <summary>A generator built from <paramref name="options"/> (default: the MNIST one).</summary>
    public MlpGenerator(MlpGeneratorOptions? options = null) : this(options ?? new MlpGeneratorOptions(), "mlp_generator")
    {
    }

    MlpGenerator(MlpGeneratorOptions options, string name) : base(name, options.LatentSize, options.OutputShape, options.Conditioning)
    {
        Options = options;
        if (options.Conditioning is { } conditioning)
            labels = new LabelEncoder(conditioning, name);
        var features = OutputShape.Aggregate(1L, (a, b) => a * b);
        var layers = MlpLayers.Build(options.LatentSize + (options.Conditioning?.Size ?? 0), options.HiddenSizes, features, options.NegativeSlope, options.BatchNorm, 0, name);
        layers.Add(("out", options.Output switch
        {
            GanOutput.Tanh => nn.Tanh(),
            GanOutput.Sigmoid => nn.Sigmoid(),
            _ => nn.Identity(),
        }));
        body = nn.Sequential(layers);
        if (labels is not null)
            register_module("labels", labels);
        register_module("body", body);
    }

    /// <summary>The options the generator was built from.</summary>
    public MlpGeneratorOptions Options { get; }

    /// <summary>Samples <c>[N, ...OutputShape]</c> from latent codes <c>[N, LatentSize]</c> (and labels <c>[N]</c> if conditional).</summary>
    public override Tensor forward(Tensor z, Tensor? classLabels)
    {
        CheckLatent(z, classLabels, body.parameters().First(), labels);
        var input = labels is null ? z : torch.cat([z, labels.call(classLabels!).to(z.dtype)], 1);
        return body.call(input).reshape([z.shape[0], .. OutputShape]);
    }
}

/// <summary>
/// A fully connected discriminator: [flattened sample, label vector] → hidden layers (linear, leaky ReLU,
/// optional dropout) → one logit. Layers are named <c>labels</c> (conditional only) and <c>body</c>
/// (<c>fc1, act1, ..., fcL</c>).
/// </summary>
/// <example>
/// <code>
/// // The course's coin-flip discriminator: 1 → 32 ReLU → 1 (97 parameters); the sigmoid is in the loss.
/// var d = new MlpDiscriminator(new MlpDiscriminatorOptions { InputShape = [1], HiddenSizes = [32], NegativeSlope = 0 });
/// </code>
/// </example>
public sealed class MlpDiscriminator : GanDiscriminator
{
    readonly LabelEncoder? labels;
    readonly Sequential body;

    /// <summary>A discriminator built from <paramref name="options"/> (default: the MNIST one).</summary>
    public MlpDiscriminator(MlpDiscriminatorOptions? options = null) : this(options ?? new MlpDiscriminatorOptions(), "mlp_discriminator")
    {
    }

    MlpDiscriminator(MlpDiscriminatorOptions options, string name) : base(name, options.InputShape, options.Conditioning)
    {
        Options = options;
        if (options.Conditioning is { } conditioning)
            labels = new LabelEncoder(conditioning, name);
        var features = InputShape.Aggregate(1L, (a, b) => a * b);
        body = nn.Sequential(MlpLayers.Build(features + (options.Conditioning?.Size ?? 0), options.HiddenSizes, 1, options.NegativeSlope, false, options.Dropout, name));
        if (labels is not null)
            register_module("labels", labels);
        register_module("body", body);
    }

    /// <summary>The options the discriminator was built from.</summary>
    public MlpDiscriminatorOptions Options { get; }

    /// <summary>Logits <c>[N]</c> of samples <c>[N, ...InputShape]</c> (and labels <c>[N]</c> if conditional).</summary>
    public override Tensor forward(Tensor input, Tensor? classLabels)
    {
        CheckSamples(input, classLabels, body.parameters().First(), labels);
        var x = input.reshape(input.shape[0], -1);
        if (labels is not null)
            x = torch.cat([x, labels.call(classLabels!).to(x.dtype)], 1);
        return body.call(x).squeeze(1);
    }
}

/// <summary>The layer list of a GAN MLP.</summary>
static class MlpLayers
{
    public static List<(string, nn.Module<Tensor, Tensor>)> Build(long inputs, IReadOnlyList<int> hidden, long outputs, double slope, bool batchNorm, double dropout, string model)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        if (hidden.Any(h => h < 1))
            throw new ArgumentException($"{model}: hidden sizes must be positive, got [{string.Join(", ", hidden)}].");
        if (slope < 0 || double.IsNaN(slope))
            throw new ArgumentException($"{model}: the negative slope must be 0 (ReLU) or positive (leaky ReLU), got {slope}.");
        if (dropout is < 0 or >= 1 || double.IsNaN(dropout))
            throw new ArgumentException($"{model}: dropout must be in [0, 1), got {dropout}.");
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        var previous = inputs;
        for (var i = 0; i < hidden.Count; i++)
        {
            var n = $"{i + 1}";
            layers.Add(($"fc{n}", nn.Linear(previous, hidden[i], hasBias: !batchNorm)));
            if (batchNorm)
                layers.Add(($"bn{n}", nn.BatchNorm1d(hidden[i])));
            layers.Add(($"act{n}", slope == 0 ? nn.ReLU() : nn.LeakyReLU(slope)));
            if (dropout > 0)
                layers.Add(($"drop{n}", nn.Dropout(dropout)));
            previous = hidden[i];
        }
        layers.Add(($"fc{hidden.Count + 1}", nn.Linear(previous, outputs)));
        return layers;
    }
}
