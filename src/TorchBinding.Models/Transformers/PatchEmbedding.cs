using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>How a <see cref="PatchEmbedding"/> computes the patch vectors.</summary>
public enum PatchEmbeddingKind
{
    /// <summary>Cut the image into patches, flatten each, apply one linear layer (the course ViT's <c>patch_to_embedding</c>).</summary>
    Linear,

    /// <summary>A convolution with kernel = stride = patch size (the ViT paper's "hybrid" form, timm's <c>proj</c>): the same map, computed by the conv kernel.</summary>
    Convolution,
}

/// <summary>
/// Turns images <c>[N, C, H, W]</c> into a sequence of patch embeddings <c>[N, (H/P)·(W/P), D]</c>: patches run
/// row-major over the grid of patches, and each patch is flattened as einops <c>'(p1 p2 c)'</c> (rows, then columns,
/// then channels), the course ViT's <c>'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'</c>. A linear layer on flattened
/// patches and a convolution with kernel = stride = P are the same function; <see cref="CopyWeightsFrom"/> moves
/// weights between the two forms.
/// </summary>
public sealed class PatchEmbedding : nn.Module<Tensor, Tensor>
{
    readonly Linear? linear;
    readonly Conv2d? conv;

    /// <summary>Patches of <paramref name="patchSize"/> x <paramref name="patchSize"/> pixels of <paramref name="channels"/> channels, embedded in <paramref name="dim"/> features.</summary>
    public PatchEmbedding(int patchSize, int channels, int dim, PatchEmbeddingKind kind = PatchEmbeddingKind.Linear) : base(ModuleName.AfterRuntimeStart("patch_embedding"))
    {
        if (patchSize < 1 || channels < 1 || dim < 1)
            throw new ArgumentException($"patch_embedding needs positive sizes, got patch {patchSize}, {channels} channel(s), dim {dim}.");
        (PatchSize, Channels, Dim, Kind) = (patchSize, channels, dim, kind);
        if (kind == PatchEmbeddingKind.Linear)
            linear = nn.Linear(PatchValues, dim);
        else
            conv = nn.Conv2d(channels, dim, patchSize, stride: patchSize);
        RegisterComponents();
    }

    /// <summary>The patch size P.</summary>
    public int PatchSize { get; }

    /// <summary>Image channels C.</summary>
    public int Channels { get; }

    /// <summary>The embedding size D.</summary>
    public int Dim { get; }

    /// <summary>Values per patch, P·P·C.</summary>
    public int PatchValues => PatchSize * PatchSize * Channels;

    /// <summary>Linear layer or convolution.</summary>
    public PatchEmbeddingKind Kind { get; }

    /// <summary>
    /// The embedding filters as <c>[D, P·P·C]</c> rows in the <c>(p1 p2 c)</c> order, whichever the form: row d is the
    /// patch that excites embedding feature d most (for pictures of the filters, reshape to <c>[D, P, P, C]</c>).
    /// </summary>
    public Tensor Filters => linear is not null
        ? linear.weight!
        : conv!.weight!.permute(0, 2, 3, 1).reshape(Dim, PatchValues);

    /// <summary>The embedding's bias <c>[D]</c>.</summary>
    public Tensor Bias => (linear is not null ? linear.bias : conv!.bias)!;

    /// <summary>
    /// The patches of images <c>[N, C, H, W]</c> as <c>[N, (H/P)·(W/P), P·P·C]</c>, einops
    /// <c>'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'</c>.
    /// </summary>
    /// <exception cref="ArgumentException">The image is not a batch of C-channel images whose sides P divides.</exception>
    public static Tensor Patches(Tensor images, int patchSize)
    {
        CheckImages(images, "patch_embedding", patchSize, images?.dim() == 4 ? images.shape[1] : 1);
        var (n, c, h, w) = (images!.shape[0], images.shape[1], images.shape[2], images.shape[3]);
        return images.view(n, c, h / patchSize, patchSize, w / patchSize, patchSize)
            .permute(0, 2, 4, 3, 5, 1)                                     // b h w p1 p2 c
            .reshape(n, h / patchSize * (w / patchSize), patchSize * patchSize * c);
    }

    /// <summary>Patch embeddings <c>[N, (H/P)·(W/P), D]</c> of images <c>[N, C, H, W]</c>.</summary>
    public override Tensor forward(Tensor input)
    {
        CheckImages(input, "patch_embedding", PatchSize, Channels);
        InputChecks.LikeParameters(input, "patch_embedding", (linear is not null ? linear.weight : conv!.weight)!);
        if (linear is not null)
            return linear.call(Patches(input, PatchSize));
        return conv!.call(input).flatten(2).transpose(1, 2);              // [N, D, h, w] -> [N, h·w, D]
    }

    /// <summary>Copies the weights of <paramref name="other"/> (either form) into this embedding, converting the layout.</summary>
    /// <exception cref="ArgumentException">The two have different sizes.</exception>
    public void CopyWeightsFrom(PatchEmbedding other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if ((other.PatchSize, other.Channels, other.Dim) != (PatchSize, Channels, Dim))
            throw new ArgumentException($"patch_embedding: cannot copy a {other.PatchSize}x{other.PatchSize}x{other.Channels} → {other.Dim} embedding into a {PatchSize}x{PatchSize}x{Channels} → {Dim} one.", nameof(other));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var filters = other.Filters.detach();
        if (linear is not null)
            linear.weight!.copy_(filters);
        else
            conv!.weight!.copy_(filters.reshape(Dim, PatchSize, PatchSize, Channels).permute(0, 3, 1, 2));
        Bias.copy_(other.Bias.detach());
    }

    internal static void CheckImages(Tensor? images, string owner, int patchSize, long channels)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4)
            throw new ArgumentException($"{owner} expects a batch of images [N, {channels}, H, W], got {Shapes.Format(images)}{(images.dim() == 3 ? ": add the channel dimension (unsqueeze(1)) or the batch dimension (unsqueeze(0))" : "")}.", nameof(images));
        if (images.shape[1] != channels)
            throw new ArgumentException($"{owner} expects {channels} channel(s), got {images.shape[1]}: input {Shapes.Format(images)}.", nameof(images));
        var (h, w) = (images.shape[2], images.shape[3]);
        if (h % patchSize != 0 || w % patchSize != 0)
            throw new ArgumentException($"{owner}: a {h}x{w} image does not divide into {patchSize}x{patchSize} patches ({(h % patchSize != 0 ? h : w)} is not a multiple of the patch size {patchSize}): input {Shapes.Format(images)}.", nameof(images));
    }
}
