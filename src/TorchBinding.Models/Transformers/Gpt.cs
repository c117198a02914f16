using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>Where a <see cref="Gpt"/> computes next-token logits.</summary>
public enum GptOutput
{
    /// <summary>Only after the last position: <c>[N, V]</c>, the next token of the whole context (the course's bit GPT).</summary>
    LastPosition,

    /// <summary>After every position: <c>[N, T, V]</c>, position t predicting token t + 1 (training on whole sequences).</summary>
    AllPositions,
}

/// <summary>
/// Options of a <see cref="Gpt"/>. The defaults are the course's bit GPT (Karpathy's "GPT as a finite-state Markov
/// chain"): vocabulary 2, context 3, 4 layers of 4 heads, embedding 16, no linear biases, tied embeddings, logits
/// of the last position.
/// </summary>
public sealed record GptOptions
{
    /// <summary>Tokens in the vocabulary V.</summary>
    public int VocabSize { get; init; } = 2;

    /// <summary>The context length (block size): the most tokens the model sees.</summary>
    public int Context { get; init; } = 3;

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 4;

    /// <summary>Attention heads per block (they must divide the embedding size).</summary>
    public int Heads { get; init; } = 4;

    /// <summary>The embedding size D.</summary>
    public int EmbeddingDim { get; init; } = 16;

    /// <summary>Biases in the linear layers (attention projections and MLP; LayerNorms always have theirs, as in nanoGPT).</summary>
    public bool Bias { get; init; }

    /// <summary>Dropout on the embeddings, the attention weights and the residual branches while training (default 0).</summary>
    public double Dropout { get; init; }

    /// <summary>The output layer is the token embedding, transposed (weight tying; default true).</summary>
    public bool TiedEmbeddings { get; init; } = true;

    /// <summary>Logits of the last position only (default, as the course) or of every position.</summary>
    public GptOutput Output { get; init; } = GptOutput.LastPosition;

    /// <summary>Explicit or fused attention (default: the faster on the device, <see cref="ScaledDotProductAttention.Fastest"/>).</summary>
    public AttentionImplementation Implementation { get; init; } = AttentionImplementation.Auto;

    internal void Validate()
    {
        foreach (var (value, name) in new[] { (VocabSize, nameof(VocabSize)), (Context, nameof(Context)), (Layers, nameof(Layers)), (Heads, nameof(Heads)), (EmbeddingDim, nameof(EmbeddingDim)) })
        {
            if (value < 1)
                throw new ArgumentException($"GptOptions.{name} must be positive, got {value}.");
        }
        if (EmbeddingDim % Heads != 0)
            throw new ArgumentException($"GptOptions: {Heads} heads do not divide the embedding size {EmbeddingDim}.");
        if (!(Dropout is >= 0 and < 1))
            throw new ArgumentException($"GptOptions.Dropout must be in [0, 1), got {Dropout}.");
    }
}

/// <summary>
/// A decoder-only transformer (GPT; nanoGPT's layout): token embedding <c>wte</c> plus learned position embedding
/// <c>wpe</c>, pre-norm blocks with causal self-attention (<c>h.0</c> ...; token t sees tokens 0..t), a final
/// LayerNorm <c>ln_f</c> and the output layer, by default the token embedding transposed (weight tying, so the
/// shared matrix is counted once). Initialised as nanoGPT: every linear and embedding weight N(0, 0.02²), biases 0,
/// the residual projections (<c>attn.to_out</c>, <c>mlp.fc2</c>) N(0, (0.02/√(2·layers))²). Modules are made and
/// initialised in nanoGPT's order, so after the same <c>manual_seed</c> the initial weights are the notebook's.
/// nanoGPT names map as <c>c_attn</c> → <c>attn.to_qkv</c>, <c>attn.c_proj</c> → <c>attn.to_out</c>, <c>ln_1</c> →
/// <c>norm1</c>, <c>ln_2</c> → <c>norm2</c>, <c>mlp.c_fc</c> → <c>mlp.fc1</c>, <c>mlp.c_proj</c> → <c>mlp.fc2</c>.
/// </summary>
/// <example><code>
/// var gpt = Gpt.FiniteState(context: 3);                          // 12,656 parameters
/// var logits = gpt.call(tensor(new long[,] { { 1, 1, 1 } }));     // [1, 2]: the next bit
/// var text = gpt.Generate(tensor(new long[] { 1, 1, 1 }), steps: 20, seed: 1);
/// </code></example>
public sealed class Gpt : nn.Module<Tensor, Tensor>
{
    readonly Embedding wte;
    readonly LearnedPositionalEmbedding wpe;
    readonly Dropout? drop;
    readonly ModuleList<TransformerBlock> h;
    readonly LayerNorm ln_f;
    readonly Linear? lm_head;

    /// <summary>A GPT built from <paramref name="options"/> (default: the course's bit GPT with context 3).</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (e.g. heads that do not divide the embedding size).</exception>
    public Gpt(GptOptions? options = null) : base(ModuleName.AfterRuntimeStart("gpt"))
    {
        options ??= new GptOptions();
        options.Validate();
        Options = options;
        var o = options;
        var blockOptions = new TransformerBlockOptions
        {
            Attention = new AttentionOptions { QkvBias = o.Bias, OutputBias = o.Bias, Dropout = o.Dropout, Implementation = o.Implementation, Causal = true },
            MlpBias = o.Bias,
            Dropout = o.Dropout,
        };
        // nanoGPT's order: wte, wpe, blocks, ln_f, lm_head; each draws its default initialisation from the generator.
        wte = nn.Embedding(o.VocabSize, o.EmbeddingDim);
        wpe = new LearnedPositionalEmbedding(o.Context, o.EmbeddingDim);
        drop = o.Dropout > 0 ? nn.Dropout(o.Dropout) : null;
        h = nn.ModuleList(Enumerable.Range(0, o.Layers).Select(_ => new TransformerBlock(o.EmbeddingDim, o.Heads, 4 * o.EmbeddingDim, blockOptions)).ToArray());
        ln_f = nn.LayerNorm(o.EmbeddingDim);
        if (o.TiedEmbeddings)
        {
            // nanoGPT makes lm_head = Linear(D, V, bias=False) and then shares its weight with wte: the generator
            // advances by that layer's default (uniform) initialisation, which is then overwritten.
            using var noGrad = no_grad();
            using var discarded = empty(o.VocabSize, o.EmbeddingDim);
            nn.init.kaiming_uniform_(discarded, Math.Sqrt(5));
        }
        else
        {
            lm_head = nn.Linear(o.EmbeddingDim, o.VocabSize, hasBias: false);
        }
        RegisterComponents();
        InitializeAsNanoGpt();
    }

    /// <summary>
    /// The course's bit GPT: vocabulary 2, 4 layers, 4 heads, embedding 16, no linear biases, tied embeddings, logits
    /// of the last position. 12,656 parameters with context 3, 12,640 with context 2.
    /// </summary>
    /// <param name="context">The number of previous bits that make the state.</param>
    /// <param name="vocabSize">Tokens (2 for bits).</param>
    /// <param name="implementation">Explicit or fused attention (the notebook computes it explicitly; the two round differently).</param>
    public static Gpt FiniteState(int context = 3, int vocabSize = 2, AttentionImplementation implementation = AttentionImplementation.Auto) =>
        new(new GptOptions { Context = context, VocabSize = vocabSize, Implementation = implementation });

    /// <summary>The options the model was built from.</summary>
    public GptOptions Options { get; }

    /// <summary>The token embedding <c>[V, D]</c> (also the output layer's weight when tied).</summary>
    public Tensor TokenEmbedding => wte.weight!;

    /// <summary>The transformer blocks, first first.</summary>
    public IReadOnlyList<TransformerBlock> Blocks => h.ToList();

    /// <summary>
    /// Next-token logits of token sequences <c>[N, T]</c> (int64, T ≤ <see cref="GptOptions.Context"/>): <c>[N, V]</c>
    /// for the last position, or <c>[N, T, V]</c> with <see cref="GptOutput.AllPositions"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Not <c>[N, T]</c> integers, T longer than the context, or a token outside the vocabulary.</exception>
    public override Tensor forward(Tensor input)
    {
        var x = Hidden(input);
        if (Options.Output == GptOutput.LastPosition)
            x = x.select(1, -1);
        return Logits(x);
    }

    /// <summary>
    /// Continues <paramref name="prompt"/> (<c>[T]</c> or <c>[N, T]</c> tokens) by <paramref name="steps"/> sampled
    /// tokens, each from the model's next-token distribution given the last <see cref="GptOptions.Context"/> tokens.
    /// Runs in eval mode without gradients (the model's mode is restored).
    /// </summary>
    /// <param name="prompt">The starting tokens, int64, <c>[T]</c> or <c>[N, T]</c>.</param>
    /// <param name="steps">How many tokens to add.</param>
    /// <param name="temperature">Divides the logits: below 1 sharper, above 1 flatter (must be positive).</param>
    /// <param name="topK">Sample only among the k most likely tokens (null: all).</param>
    /// <param name="seed">Seeds a private generator, so the same seed gives the same tokens (null: the global generator, as the notebook's <c>torch.multinomial</c>).</param>
    /// <returns>The prompt followed by the new tokens, <c>[T + steps]</c> or <c>[N, T + steps]</c>, on the prompt's device.</returns>
    public Tensor Generate(Tensor prompt, int steps, double temperature = 1.0, int? topK = null, long? seed = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (!(temperature > 0) || !double.IsFinite(temperature))
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be a positive number.");
        if (topK is { } k && (k < 1 || k > Options.VocabSize))
            throw new ArgumentOutOfRangeException(nameof(topK), topK, $"top-k must be between 1 and the vocabulary size {Options.VocabSize}.");
        if (prompt.dim() is not (1 or 2) || prompt.shape[^1] < 1)
            throw new ArgumentException($"gpt.Generate expects a prompt of at least one token, [T] or [N, T], got {Shapes.Format(prompt)}.", nameof(prompt));
        var wasTraining = training;
        eval();
        using var generator = seed is { } s ? new Generator((ulong)s, prompt.device) : null;
        try
        {
            using var noGrad = no_grad();
            using var scope = NewDisposeScope();
            var tokens = prompt.dim() == 1 ? prompt.unsqueeze(0) : prompt;
            for (var step = 0; step < steps; step++)
            {
                var length = tokens.shape[1];
                var context = length > Options.Context ? tokens.narrow(1, length - Options.Context, Options.Context) : tokens;
                var logits = Logits(Hidden(context).select(1, -1)) / temperature;                          // [N, V]
                if (topK is { } kept && kept < Options.VocabSize)
                {
                    var threshold = logits.topk(kept, dim: -1).values.narrow(1, kept - 1, 1);
                    logits = logits.masked_fill(logits.lt(threshold), double.NegativeInfinity);
                }
                var next = multinomial(logits.softmax(-1), 1, generator: generator);
                tokens = cat([tokens, next], 1);
            }
            return (prompt.dim() == 1 ? tokens.squeeze(0) : tokens).MoveToOuterDisposeScope();
        }
        finally
        {
            train(wasTraining);
        }
    }

    /// <summary>The final hidden states <c>[N, T, D]</c> after <c>ln_f</c>.</summary>
    Tensor Hidden(Tensor input)
    {
        CheckTokens(input);
        var t = input.shape[1];
        var x = wte.call(input) + wpe.Positions(t);
        if (drop is not null)
            x = drop.call(x);
        foreach (var block in h)
            x = block.call(x);                                              // causal: the blocks' attention is built so
        return ln_f.call(x);
    }

    Tensor Logits(Tensor hidden) => lm_head is not null ? lm_head.call(hidden) : nn.functional.linear(hidden, wte.weight!);

    void CheckTokens(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.dim() != 2)
            throw new ArgumentException($"gpt expects token sequences [N, T], got {Shapes.Format(input)}{(input.dim() == 1 ? ": add the batch dimension (unsqueeze(0)) for one sequence" : "")}.", nameof(input));
        if (input.dtype is not (ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte))
            throw new ArgumentException($"gpt expects integer token ids, got {input.dtype}: input {Shapes.Format(input)}.", nameof(input));
        if (input.shape[1] > Options.Context)
            throw new ArgumentException($"gpt has a context of {Options.Context} tokens, got a sequence of {input.shape[1]}: input {Shapes.Format(input)}; keep the last {Options.Context} tokens.", nameof(input));
        if (input.shape[1] < 1)
            throw new ArgumentException($"gpt needs at least one token per sequence, got {Shapes.Format(input)}.", nameof(input));
        if (input.numel() > 0)
        {
            var (low, high) = (input.min().item<long>(), input.max().item<long>());
            if (low < 0 || high >= Options.VocabSize)
                throw new ArgumentException($"gpt has a vocabulary of {Options.VocabSize} tokens (0..{Options.VocabSize - 1}), got token {(low < 0 ? low : high)}: input {Shapes.Format(input)}.", nameof(input));
        }
        if (input.device_type != wte.weight!.device_type || input.device_index != wte.weight.device_index)
            throw new ArgumentException($"gpt is on {wte.weight.device} but the input is on {input.device}: move it with input.to(device).", nameof(input));
    }

    /// <summary>nanoGPT's <c>self.apply(_init_weights)</c> and scaled residual projections, in its order.</summary>
    void InitializeAsNanoGpt()
    {
        using var noGrad = no_grad();
        static void Normal(Tensor weight, double std) => nn.init.normal_(weight, 0, std);
        static void Linear(Linear layer, double std)
        {
            Normal(layer.weight!, std);
            if (layer.bias is { } bias)
                nn.init.zeros_(bias);
        }
        // apply() visits wte, wpe, then each block's children (ln_1, attn.c_attn, attn.c_proj, ln_2, mlp.c_fc,
        // mlp.c_proj), ln_f, and finally lm_head (the tied weight once more).
        Normal(wte.weight!, 0.02);
        Normal(wpe.Weight, 0.02);
        foreach (var block in h)
        {
            Linear(block.Attention.QkvProjection, 0.02);
            Linear(block.Attention.OutputProjection, 0.02);
            Linear(block.Mlp.Fc1, 0.02);
            Linear(block.Mlp.Fc2, 0.02);
        }
        if (lm_head is not null)
            Linear(lm_head, 0.02);
        else
            Normal(wte.weight!, 0.02);
        // Then every parameter whose name ends in c_proj.weight, in parameter order.
        var residualStd = 0.02 / Math.Sqrt(2.0 * Options.Layers);
        foreach (var block in h)
        {
            Normal(block.Attention.OutputProjection.weight!, residualStd);
            Normal(block.Mlp.Fc2.weight!, residualStd);
        }
    }
}
