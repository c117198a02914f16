using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>
/// Options of a <see cref="VisionTransformer"/>. The defaults are the course's MNIST ViT (28x28 grey images, 7x7
/// patches, D = 64, 6 blocks of 8 heads, MLP 128, no qkv bias, head 64 → 128 → GELU → 10) with the standard
/// attention scale 1/√(head dim); <see cref="Course"/> is the notebook exactly, scale 1/√(model dim) included.
/// </summary>
public sealed record VisionTransformerOptions
{
    /// <summary>The course notebook's ViT: the defaults with <see cref="AttentionScale.ModelDim"/>.</summary>
    public static VisionTransformerOptions Course => new() { Scale = AttentionScale.ModelDim };

    /// <summary>The image size (height, width); the position embedding has one entry per patch of it.</summary>
    public (int Height, int Width) ImageSize { get; init; } = (28, 28);

    /// <summary>The (square) patch size P; it must divide both image sides.</summary>
    public int PatchSize { get; init; } = 7;

    /// <summary>Image channels.</summary>
    public int Channels { get; init; } = 1;

    /// <summary>Classes (outputs, as logits).</summary>
    public int Classes { get; init; } = 10;

    /// <summary>The model dimension D.</summary>
    public int Dim { get; init; } = 64;

    /// <summary>Transformer blocks.</summary>
    public int Depth { get; init; } = 6;

    /// <summary>Attention heads per block (they must divide D).</summary>
    public int Heads { get; init; } = 8;

    /// <summary>The hidden width of each block's MLP.</summary>
    public int MlpDim { get; init; } = 128;

    /// <summary>The hidden width of the classification head (null: a single linear layer D → classes).</summary>
    public int? HeadHidden { get; init; } = 128;

    /// <summary>A bias in the query/key/value projections (default false, as the course).</summary>
    public bool QkvBias { get; init; }

    /// <summary>The attention scale (default the standard 1/√(head dim); the course uses 1/√(model dim)).</summary>
    public AttentionScale Scale { get; init; } = AttentionScale.HeadDim;

    /// <summary>A final LayerNorm on the class token before the head (the ViT paper has one, the course does not).</summary>
    public bool FinalNorm { get; init; }

    /// <summary>Dropout on the embedded tokens and on each block's sub-layer outputs while training (default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>Linear layer on flattened patches (the course) or a strided convolution.</summary>
    public PatchEmbeddingKind PatchEmbedding { get; init; } = PatchEmbeddingKind.Linear;

    /// <summary>Explicit or fused attention (default: the faster on the device, <see cref="ScaledDotProductAttention.Fastest"/>).</summary>
    public AttentionImplementation Implementation { get; init; } = AttentionImplementation.Auto;

    /// <summary>Patches per image.</summary>
    public int Patches => ImageSize.Height / PatchSize * (ImageSize.Width / PatchSize);

    internal void Validate()
    {
        foreach (var (value, name) in new[] { (ImageSize.Height, "ImageSize.Height"), (ImageSize.Width, "ImageSize.Width"), (PatchSize, nameof(PatchSize)),
                     (Channels, nameof(Channels)), (Classes, nameof(Classes)), (Dim, nameof(Dim)), (Depth, nameof(Depth)), (Heads, nameof(Heads)), (MlpDim, nameof(MlpDim)) })
        {
            if (value < 1)
                throw new ArgumentException($"VisionTransformerOptions.{name} must be positive, got {value}.");
        }
        if (HeadHidden is < 1)
            throw new ArgumentException($"VisionTransformerOptions.HeadHidden must be positive or null, got {HeadHidden}.");
        foreach (var side in new[] { ImageSize.Height, ImageSize.Width })
        {
            if (side % PatchSize != 0)
                throw new ArgumentException($"VisionTransformerOptions: the image size {ImageSize.Height}x{ImageSize.Width} is not divisible by the patch size {PatchSize} ({side} is not a multiple of {PatchSize}).");
        }
        if (Dim % Heads != 0)
            throw new ArgumentException($"VisionTransformerOptions: {Heads} heads do not divide the model dimension {Dim}.");
        if (!(Dropout is >= 0 and < 1))
            throw new ArgumentException($"VisionTransformerOptions.Dropout must be in [0, 1), got {Dropout}.");
    }
}

/// <summary>
/// The Vision Transformer (Dosovitskiy et al., 2021) as the course builds it for MNIST: the image is cut into
/// patches, each patch becomes a token (<c>patch_to_embedding</c>), a learned class token is put in front, a learned
/// position embedding is added (<c>pos_embedding</c>, one vector per token), the tokens go through pre-norm
/// transformer blocks (<c>transformer.0</c> ...), and the class token's output is classified by an MLP head
/// (<c>mlp_head</c>). With no convolution there is no built-in locality: what a CNN assumes, a ViT learns from data.
/// </summary>
/// <example><code>
/// var vit = VisionTransformer.Course();                  // 213,642 parameters
/// var logits = vit.call(images);                          // [N, 1, 28, 28] -> [N, 10]
/// var maps = vit.AttentionMaps(images);                   // per block [N, 8, 17, 17]
/// var rollout = AttentionRollout.Compute(maps);           // [N, 17, 17]
/// </code></example>
public sealed class VisionTransformer : nn.Module<Tensor, Tensor>
{
    readonly Parameter pos_embedding;
    readonly PatchEmbedding patch_to_embedding;
    readonly Parameter cls_token;
    readonly ModuleList<TransformerBlock> transformer;
    readonly LayerNorm? norm;
    readonly Dropout? drop;
    readonly Sequential mlp_head;

    /// <summary>A ViT built from <paramref name="options"/> (default: the course's sizes with the standard attention scale).</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (e.g. a patch size that does not divide the image, heads that do not divide D).</exception>
    public VisionTransformer(VisionTransformerOptions? options = null) : base(ModuleName.AfterRuntimeStart("vit"))
    {
        options ??= new VisionTransformerOptions();
        options.Validate();
        Options = options;
        var o = options;
        // The notebook's order of construction (position embedding, patch embedding, class token, blocks, head),
        // so that the same seed draws the same kind of initial weights in the same order.
        using (no_grad())
            pos_embedding = new Parameter(empty(1, o.Patches + 1, o.Dim).normal_());
        patch_to_embedding = new PatchEmbedding(o.PatchSize, o.Channels, o.Dim, o.PatchEmbedding);
        using (no_grad())
            cls_token = new Parameter(empty(1, 1, o.Dim).normal_());
        var blockOptions = new TransformerBlockOptions
        {
            Attention = new AttentionOptions { QkvBias = o.QkvBias, Scale = o.Scale, Implementation = o.Implementation },
            Dropout = o.Dropout,
        };
        transformer = nn.ModuleList(Enumerable.Range(0, o.Depth).Select(_ => new TransformerBlock(o.Dim, o.Heads, o.MlpDim, blockOptions)).ToArray());
        norm = o.FinalNorm ? nn.LayerNorm(o.Dim) : null;
        drop = o.Dropout > 0 ? nn.Dropout(o.Dropout) : null;
        mlp_head = o.HeadHidden is { } hidden
            ? nn.Sequential(("fc1", nn.Linear(o.Dim, hidden)), ("act", nn.GELU()), ("fc2", nn.Linear(hidden, o.Classes)))
            : nn.Sequential(("fc1", nn.Linear(o.Dim, o.Classes)));
        RegisterComponents();
    }

    /// <summary>
    /// The course notebook's MNIST ViT: 7x7 patches (16 tokens of 49 values), Linear 49 → 64, class token, position
    /// embedding 17 x 64, 6 blocks of 8 heads with no qkv bias and scale 1/√64, MLP 64 → 128 → 64 (GELU), head
    /// 64 → 128 → GELU → 10: 213,642 parameters.
    /// </summary>
    public static VisionTransformer Course(AttentionImplementation implementation = AttentionImplementation.Auto) =>
        new(VisionTransformerOptions.Course with { Implementation = implementation });

    /// <summary>The options the model was built from.</summary>
    public VisionTransformerOptions Options { get; }

    /// <summary>The patch embedding.</summary>
    public PatchEmbedding PatchEmbedding => patch_to_embedding;

    /// <summary>The learned position embedding <c>[1, 1 + patches, D]</c> (entry 0 is the class token's).</summary>
    public Parameter PositionEmbedding => pos_embedding;

    /// <summary>The learned class token <c>[1, 1, D]</c>.</summary>
    public Parameter ClassToken => cls_token;

    /// <summary>The transformer blocks, first first.</summary>
    public IReadOnlyList<TransformerBlock> Blocks => transformer.ToList();

    /// <summary>Class logits <c>[N, Classes]</c> of images <c>[N, C, H, W]</c>.</summary>
    /// <exception cref="ArgumentException">The images have the wrong rank, channels or size, or a size the patch size does not divide.</exception>
    public override Tensor forward(Tensor input)
    {
        var x = Tokens(input);
        foreach (var block in transformer)
            x = block.call(x);
        return Head(x);
    }

    /// <summary>
    /// The attention weights of every block for images <c>[N, C, H, W]</c>: one <c>[N, H, 1 + patches, 1 + patches]</c>
    /// per block (token 0 is the class token). Call it in eval mode under <c>no_grad</c> for pictures.
    /// </summary>
    public IReadOnlyList<Tensor> AttentionMaps(Tensor images)
    {
        var x = Tokens(images);
        var maps = new List<Tensor>();
        foreach (var block in transformer)
        {
            (x, var weights) = block.ForwardWithWeights(x);
            maps.Add(weights);
        }
        return maps;
    }

    Tensor Tokens(Tensor input)
    {
        var (h, w) = Options.ImageSize;
        PatchEmbedding.CheckImages(input, "vit", Options.PatchSize, Options.Channels);
        if (input.shape[2] != h || input.shape[3] != w)
            throw new ArgumentException(
                $"vit expects {h}x{w} images ({Options.Patches} patches of {Options.PatchSize}x{Options.PatchSize}, one position embedding each), got {input.shape[2]}x{input.shape[3]}: input {Shapes.Format(input)}.",
                nameof(input));
        var x = patch_to_embedding.call(input);
        x = cat([cls_token.expand(input.shape[0], -1, -1), x], 1) + pos_embedding;
        return drop is null ? x : drop.call(x);
    }

    Tensor Head(Tensor x)
    {
        var cls = x.select(1, 0);
        if (norm is not null)
            cls = norm.call(cls);
        return mlp_head.call(cls);
    }
}

/// <summary>
/// Attention rollout (Abnar &amp; Zuidema, 2020): how much each input token contributes to each output token through
/// all the blocks, following the residual path too. Per block the heads are averaged, the identity (the residual
/// connection) is added with weight <c>residual</c>, rows are renormalised, and the blocks' matrices are multiplied,
/// first block rightmost.
/// </summary>
public static class AttentionRollout
{
    /// <summary>The rolled-out attention <c>[N, T, T]</c> of per-block weights <c>[N, H, T, T]</c> (first block first); row i: where token i's output comes from.</summary>
    /// <param name="maps">The blocks' attention weights, e.g. <see cref="VisionTransformer.AttentionMaps"/>.</param>
    /// <param name="residual">The weight of the identity in each block's mixture (0.5 in the paper).</param>
    public static Tensor Compute(IReadOnlyList<Tensor> maps, double residual = 0.5)
    {
        ArgumentNullException.ThrowIfNull(maps);
        if (maps.Count == 0)
            throw new ArgumentException("Attention rollout needs the weights of at least one block.", nameof(maps));
        if (!(residual is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(residual), residual, "The residual weight must be in [0, 1].");
        var shape = maps[0].shape;
        foreach (var m in maps)
        {
            if (m.dim() != 4 || m.shape[2] != m.shape[3] || !m.shape.SequenceEqual(shape))
                throw new ArgumentException($"Attention rollout expects every block's weights as [N, H, T, T] of one shape, got {Shapes.Format(m)} (first {Shapes.Format(shape)}).", nameof(maps));
        }
        using var scope = NewDisposeScope();
        var identity = eye(shape[2], dtype: maps[0].dtype, device: maps[0].device).unsqueeze(0);
        Tensor? rollout = null;
        foreach (var m in maps)
        {
            var mixed = m.mean([1]) * (1 - residual) + identity * residual;
            mixed = mixed / mixed.sum(-1, keepdim: true);
            rollout = rollout is null ? mixed : matmul(mixed, rollout);
        }
        return rollout!.MoveToOuterDisposeScope();
    }
}
