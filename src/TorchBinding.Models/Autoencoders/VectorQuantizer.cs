using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Autoencoders;

/// <summary>Options of a <see cref="VectorQuantizer"/>; the defaults are the VQ-VAE paper's (β = 0.25, codebook learned by its loss).</summary>
public sealed record VectorQuantizerOptions
{
    /// <summary>The weight β of the commitment loss ‖z_e − sg[z_q]‖², which keeps the encoder close to its codes.</summary>
    public double Beta { get; init; } = 0.25;

    /// <summary>
    /// Update the codebook by exponential moving averages of the vectors assigned to each code (decay γ, e.g. 0.99)
    /// instead of by the codebook loss; null: learn it by gradient descent on ‖sg[z_e] − z_q‖².
    /// </summary>
    public double? EmaDecay { get; init; }

    /// <summary>Laplace smoothing of the EMA code counts (keeps unused codes from dividing by zero).</summary>
    public double EmaEpsilon { get; init; } = 1e-5;

    /// <summary>
    /// Restart dead codes: in training, a code whose moving average of assignments per batch (decay
    /// <see cref="UsageDecay"/>) falls below this threshold is moved onto a random encoder output of the batch.
    /// null (the default): no restarts.
    /// </summary>
    public double? DeadCodeThreshold { get; init; }

    /// <summary>The decay of the moving average of code usage that dead-code restarts watch.</summary>
    public double UsageDecay { get; init; } = 0.99;

    internal void Validate()
    {
        if (!(Beta >= 0) || !double.IsFinite(Beta))
            throw new ArgumentException($"VectorQuantizerOptions.Beta must be a finite number >= 0, got {Beta}.");
        if (EmaDecay is { } decay && !(decay is > 0 and < 1))
            throw new ArgumentException($"VectorQuantizerOptions.EmaDecay must be in (0, 1), got {decay}.");
        if (!(EmaEpsilon > 0))
            throw new ArgumentException($"VectorQuantizerOptions.EmaEpsilon must be > 0, got {EmaEpsilon}.");
        if (DeadCodeThreshold is { } threshold && !(threshold > 0) )
            throw new ArgumentException($"VectorQuantizerOptions.DeadCodeThreshold must be > 0, got {threshold}.");
        if (!(UsageDecay is > 0 and < 1))
            throw new ArgumentException($"VectorQuantizerOptions.UsageDecay must be in (0, 1), got {UsageDecay}.");
    }
}

/// <summary>What a <see cref="VectorQuantizer"/> made of a batch of encoder outputs.</summary>
/// <param name="Quantized">The straight-through output z_e + sg[z_q − z_e]: its value is the nearest codes, its gradient goes to z_e unchanged. Shape of the input.</param>
/// <param name="Codes">The index of each vector's code, int64: <c>[N]</c> for vectors, <c>[N, H, W]</c> for feature maps.</param>
/// <param name="CodebookLoss">‖sg[z_e] − z_q‖² (mean): moves the codes to the encoder outputs (0 and not trained with EMA updates).</param>
/// <param name="CommitmentLoss">‖z_e − sg[z_q]‖² (mean): keeps the encoder near its codes.</param>
/// <param name="Loss">The quantizer's training loss: codebook loss (unless EMA) + β·commitment loss.</param>
/// <param name="Perplexity">exp(−Σ_k p_k log p_k) of the batch's code frequencies p: the effective number of codes used (a scalar tensor).</param>
public sealed record Quantization(Tensor Quantized, Tensor Codes, Tensor CodebookLoss, Tensor CommitmentLoss, Tensor Loss, Tensor Perplexity);

/// <summary>
/// The vector quantizer of the VQ-VAE (van den Oord et al., 2017): each encoder output z_e is replaced by its
/// nearest code e_k of a learned codebook (k = argmin ‖z_e − e_k‖²), the straight-through estimator copies the
/// decoder's gradient past the non-differentiable choice, the codebook loss pulls codes to the outputs assigned to
/// them and the commitment loss (weight β) keeps the encoder close to its codes. Optionally the codebook is kept as
/// moving averages of the assigned outputs (EMA) and codes that fall out of use are restarted. Inputs are vectors
/// <c>[N, D]</c> or channel-first feature maps <c>[N, D, H, W]</c> (one code per position). The codebook
/// <c>codebook</c> <c>[K, D]</c> starts uniform in ±1/K, as the course's <c>nn.Embedding</c> initialisation.
/// </summary>
public sealed class VectorQuantizer : nn.Module<Tensor, Quantization>
{
    readonly TorchSharp.Modules.Parameter codebook;
    readonly Tensor ema_count;
    readonly Tensor ema_sum;
    readonly Tensor usage;
    readonly Generator _restarts;

    /// <summary>A quantizer of <paramref name="codes"/> codes of size <paramref name="codeSize"/>.</summary>
    /// <exception cref="ArgumentException">Fewer than one code, a code size below 1, or inconsistent options.</exception>
    public VectorQuantizer(int codes, int codeSize, VectorQuantizerOptions? options = null) : base(ModuleName.AfterRuntimeStart("vector_quantizer"))
    {
        if (codes < 1)
            throw new ArgumentException($"VectorQuantizer: the codebook needs at least 1 code, got {codes}.", nameof(codes));
        if (codeSize < 1)
            throw new ArgumentException($"VectorQuantizer: the code size (latent size) must be at least 1, got {codeSize}.", nameof(codeSize));
        options ??= new VectorQuantizerOptions();
        options.Validate();
        (Codes, CodeSize, Options) = (codes, codeSize, options);
        codebook = new TorchSharp.Modules.Parameter(empty(codes, codeSize).uniform_(-1.0 / codes, 1.0 / codes), requires_grad: options.EmaDecay is null);
        ema_count = ones(codes);
        ema_sum = codebook.detach().clone();
        usage = ones(codes);
        _restarts = new Generator((ulong)Runtime.Seeding.NextSeed(), CPU);
        RegisterComponents();
    }

    /// <summary>The number of codes K.</summary>
    public int Codes { get; }

    /// <summary>The size D of a code.</summary>
    public int CodeSize { get; }

    /// <summary>The options.</summary>
    public VectorQuantizerOptions Options { get; }

    /// <summary>The codebook <c>[K, D]</c> (a parameter; updated without gradients under EMA).</summary>
    public Tensor Codebook => codebook;

    /// <summary>The code vectors <c>[..., D]</c> of code indices <c>[...]</c>.</summary>
    public Tensor Lookup(Tensor codes) => codebook[codes];

    /// <summary>Quantizes encoder outputs <c>[N, D]</c> or <c>[N, D, H, W]</c>.</summary>
    /// <exception cref="ArgumentException">The input's code dimension is not <see cref="CodeSize"/>, or (in training) it holds a NaN or infinity.</exception>
    public override Quantization forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (!(input.dim() == 2 || input.dim() == 4) || input.shape[1] != CodeSize)
            throw new ArgumentException($"vector_quantizer expects encoder outputs [N, {CodeSize}] or [N, {CodeSize}, H, W] (code size {CodeSize}), got {Shapes.Format(input)}.", nameof(input));
        InputChecks.LikeParameters(input, "vector_quantizer", codebook);
        var maps = input.dim() == 4;
        var flat = maps ? input.permute(0, 2, 3, 1).reshape(-1, CodeSize) : input;

        // ‖z‖² + ‖e‖² − 2 z·e, and the nearest code.
        var distances = flat.square().sum(dim: 1, keepdim: true) + codebook.square().sum(dim: 1).unsqueeze(0) - 2 * flat.matmul(codebook.t());
        var codes = distances.argmin(dim: 1);
        var quantized = codebook.index_select(0, codes);

        if (training)
        {
            // The EMA update and the restarts write the encoder outputs into the codebook: check them first.
            InputChecks.Finite(flat, "vector_quantizer", "input", "The encoder outputs must be finite to update the codebook; it was not changed.");
            UpdateCodebook(flat.detach(), codes);
        }
        if (training && Options.EmaDecay is not null)
            quantized = codebook.index_select(0, codes); // the codes just moved

        var codebookLoss = Options.EmaDecay is null ? nn.functional.mse_loss(quantized, flat.detach()) : zeros([], dtype: flat.dtype, device: flat.device);
        var commitmentLoss = nn.functional.mse_loss(quantized.detach(), flat);
        var loss = codebookLoss + Options.Beta * commitmentLoss;
        var straightThrough = flat + (quantized - flat).detach();

        var frequencies = CodeCounts(codes).to(flat.dtype) / Math.Max(1, codes.shape[0]);
        var perplexity = (-(frequencies * (frequencies + 1e-10).log()).sum()).exp();
        if (maps)
        {
            var (n, h, w) = (input.shape[0], input.shape[2], input.shape[3]);
            straightThrough = straightThrough.reshape(n, h, w, CodeSize).permute(0, 3, 1, 2);
            codes = codes.reshape(n, h, w);
        }
        return new Quantization(straightThrough, codes, codebookLoss, commitmentLoss, loss, perplexity);
    }

    /// <summary>How often each code occurs among <paramref name="codes"/> (any shape): <c>[K]</c> int64 counts.</summary>
    public Tensor CodeCounts(Tensor codes)
    {
        ArgumentNullException.ThrowIfNull(codes);
        return bincount(codes.flatten(), minlength: Codes);
    }

    /// <summary>exp(−Σ_k p_k log p_k) of code counts <c>[K]</c>: K for a uniform usage, 1 when one code takes everything.</summary>
    public static double Perplexity(Tensor counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        using var scope = NewDisposeScope();
        var p = counts.to(float64) / counts.sum().to(float64).clamp_min(1);
        return Math.Exp(-(p * (p + 1e-10).log()).sum().item<double>());
    }

    /// <summary>The number of codes with a count of zero among code counts <c>[K]</c> (dead codes).</summary>
    public static int DeadCodes(Tensor counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        using var scope = NewDisposeScope();
        return (int)counts.eq(0).sum().item<long>();
    }

    void UpdateCodebook(Tensor flat, Tensor codes)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var counts = CodeCounts(codes).to(flat.dtype);
        if (Options.DeadCodeThreshold is not null)
            usage.mul_(Options.UsageDecay).add_(counts, alpha: 1 - Options.UsageDecay);
        if (Options.EmaDecay is { } decay)
        {
            var sums = zeros(Codes, CodeSize, dtype: flat.dtype, device: flat.device).index_add_(0, codes, flat, 1);
            ema_count.mul_(decay).add_(counts, alpha: 1 - decay);
            ema_sum.mul_(decay).add_(sums, alpha: 1 - decay);
            var total = ema_count.sum();
            var smoothed = (ema_count + Options.EmaEpsilon) / (total + Codes * Options.EmaEpsilon) * total;
            codebook.copy_(ema_sum / smoothed.unsqueeze(1));
        }
        if (Options.DeadCodeThreshold is { } threshold)
        {
            var dead = usage.lt(threshold).nonzero().flatten();
            var count = dead.shape[0];
            if (count > 0)
            {
                // Each dead code moves onto a random encoder output of this batch; its usage starts afresh.
                var picks = randint(flat.shape[0], [count], generator: _restarts).to(flat.device);
                var vectors = flat.index_select(0, picks);
                codebook.index_copy_(0, dead, vectors);
                if (Options.EmaDecay is not null)
                {
                    ema_sum.index_copy_(0, dead, vectors);
                    ema_count.index_fill_(0, dead, 1);
                }
                usage.index_fill_(0, dead, 1);
                Restarts += count;
            }
        }
    }

    /// <summary>How many code restarts have happened (with <see cref="VectorQuantizerOptions.DeadCodeThreshold"/>).</summary>
    public long Restarts { get; private set; }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            _restarts.Dispose();
        base.Dispose(disposing);
    }
}
