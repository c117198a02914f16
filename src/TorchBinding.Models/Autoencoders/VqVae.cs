using TorchBinding.Activations;
using TorchBinding.Data;
using TorchBinding.Losses;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>What a <see cref="VqVae"/> made of a batch: the reconstruction and the quantization behind it.</summary>
/// <param name="Reconstruction">The decoder's output, in the input's shape.</param>
/// <param name="Encoded">The encoder's output z_e.</param>
/// <param name="Quantization">The quantizer's codes, losses and perplexity.</param>
public sealed record VqVaeOutput(Tensor Reconstruction, Tensor Encoded, Quantization Quantization);

/// <summary>
/// The VQ-VAE (van den Oord et al., 2017): encoder → <see cref="VectorQuantizer"/> (nearest code, straight-through
/// gradient) → decoder, trained on reconstruction + codebook + β·commitment losses. Any encoder and decoder fit
/// (vectors <c>[N, D]</c> or feature maps <c>[N, D, H, W]</c> between them); <see cref="Mlp"/> builds the course's
/// minimal one for 2-D data and <see cref="Convolutional"/> one for 28x28 images. Submodules: <c>encoder</c>,
/// <c>quantizer</c>, <c>decoder</c>.
/// </summary>
public sealed class VqVae : nn.Module<Tensor, Tensor>, IAutoencoder
{
    readonly nn.Module<Tensor, Tensor> encoder;
    readonly VectorQuantizer quantizer;
    readonly nn.Module<Tensor, Tensor> decoder;

    /// <summary>A VQ-VAE of the given parts (the encoder's output has the quantizer's code size in dimension 1).</summary>
    public VqVae(nn.Module<Tensor, Tensor> encoder, VectorQuantizer quantizer, nn.Module<Tensor, Tensor> decoder) : base(ModuleName.AfterRuntimeStart("vq_vae"))
    {
        this.encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        this.quantizer = quantizer ?? throw new ArgumentNullException(nameof(quantizer));
        this.decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        RegisterComponents();
    }

    /// <summary>
    /// The course's minimal VQ-VAE for points: encoder and decoder are Linear → activation → Linear
    /// (<paramref name="inputSize"/>→<paramref name="hidden"/>→<paramref name="latentSize"/> and back) with Xavier-uniform
    /// weights and zero biases. The defaults, 2→32→2, 12 codes, tanh and β 0.25, have 348 parameters.
    /// </summary>
    public static VqVae Mlp(int inputSize = 2, int hidden = 32, int latentSize = 2, int codes = 12, Activation activation = Activation.Tanh, VectorQuantizerOptions? options = null)
    {
        var quantizer = new VectorQuantizer(codes, latentSize, options);
        var encoder = new Mlp(new MlpOptions { Sizes = [inputSize, hidden, latentSize], Activation = activation });
        var decoder = new Mlp(new MlpOptions { Sizes = [latentSize, hidden, inputSize], Activation = activation });
        foreach (var linear in encoder.modules().Concat(decoder.modules()).OfType<TorchSharp.Modules.Linear>())
        {
            nn.init.xavier_uniform_(linear.weight!);
            nn.init.zeros_(linear.bias!);
        }
        return new VqVae(encoder, quantizer, decoder);
    }

    /// <summary>
    /// A convolutional VQ-VAE for 28x28 grey images: two stride-2 4x4 convolutions (1→<paramref name="channels"/>→
    /// 2·channels, 28→14→7) and a 1x1 convolution to <paramref name="codeSize"/>, so a 7x7 grid of codes; the decoder
    /// mirrors it with transposed convolutions to a linear output, for an MSE on pixels in [0, 1] (a sigmoid output
    /// trained by MSE tends to saturate at the black background early on and stop learning).
    /// </summary>
    public static VqVae Convolutional(int codes = 64, int codeSize = 16, int channels = 32, VectorQuantizerOptions? options = null)
    {
        if (channels < 1)
            throw new ArgumentException($"VqVae.Convolutional: channels must be positive, got {channels}.", nameof(channels));
        var quantizer = new VectorQuantizer(codes, codeSize, options);
        var encoder = nn.Sequential(
            ("conv1", nn.Conv2d(1, channels, 4, stride: 2, padding: 1)), ("act1", nn.ReLU()),
            ("conv2", nn.Conv2d(channels, 2 * channels, 4, stride: 2, padding: 1)), ("act2", nn.ReLU()),
            ("to_code", nn.Conv2d(2 * channels, codeSize, 1)));
        var decoder = nn.Sequential(
            ("from_code", nn.Conv2d(codeSize, 2 * channels, 3, padding: 1)), ("act1", nn.ReLU()),
            ("deconv1", nn.ConvTranspose2d(2 * channels, channels, 4, stride: 2, padding: 1)), ("act2", nn.ReLU()),
            ("deconv2", nn.ConvTranspose2d(channels, 1, 4, stride: 2, padding: 1)));
        return new VqVae(encoder, quantizer, decoder);
    }

    /// <summary>The quantizer (codebook, code counts, perplexity).</summary>
    public VectorQuantizer Quantizer => quantizer;

    /// <summary>The encoder's output z_e (before quantization).</summary>
    public Tensor Encode(Tensor input) => encoder.call(input);

    /// <summary>The decoder's output for (quantized) codes z_q.</summary>
    public Tensor Decode(Tensor code) => decoder.call(code);

    /// <summary>The decoder's output for code indices (<c>[N]</c> or <c>[N, H, W]</c>): generation from chosen codes.</summary>
    public Tensor DecodeCodes(Tensor codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        var vectors = quantizer.Lookup(codes);
        return Decode(codes.dim() == 3 ? vectors.permute(0, 3, 1, 2) : vectors);
    }

    /// <summary>Encoder, quantizer and decoder on a batch, with everything they produced.</summary>
    /// <exception cref="ArgumentException">The input holds a NaN or infinity (refused before the encoder runs, so no codebook or buffer changes).</exception>
    public VqVaeOutput Run(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        // In training a NaN would reach the codebook's EMA update in the forward pass, before any loss is seen,
        // and every later input would map to the NaN code; in evaluation it would silently map to code 0.
        InputChecks.Finite(input, "vq_vae", "input", "A non-finite input would poison the codebook; nothing was changed.");
        var encoded = Encode(input);
        var quantization = quantizer.call(encoded);
        var reconstruction = Decode(quantization.Quantized);
        if (reconstruction.numel() == input.numel() && !reconstruction.shape.SequenceEqual(input.shape))
            reconstruction = reconstruction.reshape(input.shape);
        return new VqVaeOutput(reconstruction, encoded, quantization);
    }

    /// <summary>The reconstruction of a batch.</summary>
    public override Tensor forward(Tensor input) => Run(input).Reconstruction;
}

/// <summary>
/// The training step of a <see cref="VqVae"/>: total = reconstruction (MSE by default) + the quantizer's loss, on the
/// batch's inputs (labels ignored). Logs <c>reconstruction</c>, <c>vq</c> and <c>perplexity</c>, whose epoch means the
/// history keeps as <c>train_reconstruction</c>, <c>train_vq</c>, <c>train_perplexity</c> (the course prints these).
/// </summary>
public sealed class VqVaeStep : ITrainingStep
{
    readonly VqVae _model;
    readonly LossFunction _reconstruction;

    /// <summary>Creates the step.</summary>
    /// <param name="model">The VQ-VAE.</param>
    /// <param name="reconstructionLoss">The loss of (reconstruction, input); default: mean squared error.</param>
    public VqVaeStep(VqVae model, LossFunction? reconstructionLoss = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _reconstruction = reconstructionLoss ?? ((output, target) => nn.functional.mse_loss(output, target));
    }

    /// <inheritdoc/>
    public nn.Module Model => _model;

    /// <inheritdoc/>
    public StepResult TrainStep(Batch batch, TrainingContext context)
    {
        var (total, output, values) = Losses(batch.Inputs);
        return new StepResult(total, output, values);
    }

    /// <inheritdoc/>
    public StepResult EvaluationStep(Batch batch, TrainingContext context)
    {
        var (total, output, values) = Losses(batch.Inputs);
        return new StepResult(total, output, values);
    }

    /// <summary>Refuses a data set with a NaN or infinite input before the first step, naming the data set and the element.</summary>
    public void CheckData(InMemoryDataset data, Device device, ScalarType? inputType)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0)
            throw new ArgumentException($"{data.Name} has no samples to train or evaluate on.", nameof(data));
        InputChecks.Finite(data.Inputs, $"vq_vae ({data.Name})", "input", "A non-finite input would poison the codebook in its EMA update.");
    }

    (Tensor Total, Tensor Output, Dictionary<string, Tensor> Values) Losses(Tensor input)
    {
        var result = _model.Run(input);
        var reconstruction = _reconstruction(result.Reconstruction, input);
        var q = result.Quantization;
        return (reconstruction + q.Loss, result.Reconstruction, new Dictionary<string, Tensor>
        {
            ["reconstruction"] = reconstruction, ["vq"] = q.Loss, ["perplexity"] = q.Perplexity,
        });
    }
}
