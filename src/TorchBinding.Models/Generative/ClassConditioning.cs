using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>How a conditional model turns a class label into a vector.</summary>
public enum ClassEncoding
{
    /// <summary>A one-hot vector of length <see cref="LabelConditioning.Classes"/> (nothing learned).</summary>
    OneHot,

    /// <summary>A learned embedding of length <see cref="LabelConditioning.EmbeddingSize"/> (an <c>nn.Embedding</c> row per class).</summary>
    Embedding,
}

/// <summary>
/// Makes a generator or discriminator conditional on a class label (a conditional GAN): the label's vector is
/// concatenated to the generator's latent code and to the discriminator's input.
/// </summary>
/// <param name="Classes">The number of classes (labels <c>0..Classes−1</c>).</param>
/// <param name="Encoding">One-hot (default) or a learned embedding.</param>
/// <param name="EmbeddingSize">The embedding's length (used with <see cref="ClassEncoding.Embedding"/>; default 16).</param>
public sealed record LabelConditioning(int Classes, ClassEncoding Encoding = ClassEncoding.OneHot, int EmbeddingSize = 16)
{
    /// <summary>The length of a label's vector: <see cref="Classes"/> for one-hot, else <see cref="EmbeddingSize"/>.</summary>
    public int Size => Encoding == ClassEncoding.OneHot ? Classes : EmbeddingSize;

    internal void Validate(string model)
    {
        if (Classes < 2)
            throw new ArgumentException($"{model}: a conditional model needs at least 2 classes, got {Classes}.");
        if (Encoding == ClassEncoding.Embedding && EmbeddingSize < 1)
            throw new ArgumentException($"{model}: the label embedding size must be positive, got {EmbeddingSize}.");
    }
}

/// <summary>
/// The label encoder of a conditional model: class indices <c>[N]</c> to vectors <c>[N, Size]</c>, one-hot or
/// learned (<see cref="LabelConditioning"/>). Labels are checked (integer dtype, one per sample, in range) with a
/// message that names the model.
/// </summary>
public sealed class LabelEncoder : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Embedding? embedding;

    /// <summary>An encoder for <paramref name="conditioning"/>, used inside <paramref name="model"/> (named in messages).</summary>
    public LabelEncoder(LabelConditioning conditioning, string model = "model") : base(ModuleName.AfterRuntimeStart("LabelEncoder"))
    {
        ArgumentNullException.ThrowIfNull(conditioning);
        conditioning.Validate(model);
        Conditioning = conditioning;
        Model = model;
        if (conditioning.Encoding == ClassEncoding.Embedding)
            embedding = nn.Embedding(conditioning.Classes, conditioning.EmbeddingSize);
        RegisterComponents();
    }

    /// <summary>The conditioning this encoder implements.</summary>
    public LabelConditioning Conditioning { get; }

    /// <summary>The name of the model it belongs to, for messages.</summary>
    public string Model { get; }

    /// <summary>Vectors <c>[N, Size]</c> of labels <c>[N]</c> (float32 for one-hot, the embedding's dtype otherwise).</summary>
    public override Tensor forward(Tensor labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        InputChecks.ClassLabels(labels, Model, Conditioning.Classes);
        return embedding is null
            ? nn.functional.one_hot(labels.to(int64), Conditioning.Classes).to(float32)
            : embedding.call(labels.to(int64));
    }

    /// <summary>Checks that a conditional model got labels for every sample (and an unconditional one got none).</summary>
    internal static void CheckPresence(string model, LabelEncoder? encoder, Tensor input, Tensor? labels)
    {
        if (encoder is not null && labels is null)
            throw new ArgumentException($"{model} is conditional on {encoder.Conditioning.Classes} classes and needs a label per sample; got no labels.", nameof(labels));
        if (encoder is null && labels is not null)
            throw new ArgumentException($"{model} is unconditional and takes no labels; got labels {Shapes.Format(labels)}. Build it with a LabelConditioning to condition it on classes.", nameof(labels));
        if (labels is not null && (labels.dim() != 1 || labels.shape[0] != input.shape[0]))
            throw new ArgumentException($"{model} expects one label per sample, labels [{input.shape[0]}]; got labels {Shapes.Format(labels)} for input {Shapes.Format(input)}.", nameof(labels));
    }
}
