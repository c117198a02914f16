using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Layers;

/// <summary>
/// A linear or 2-D convolution layer whose weight is divided by its spectral norm, its largest singular value σ
/// (Miyato et al., 2018, "Spectral normalization for GANs"): W/σ(W) has spectral norm 1, so the layer is 1-Lipschitz,
/// which keeps a discriminator's gradients bounded without a penalty term. σ is estimated by power iteration on the
/// weight as a matrix <c>[out, in·k·k]</c>: the estimates <c>u</c> <c>[out]</c> and <c>v</c> <c>[in·k·k]</c> of the
/// leading singular vectors are buffers, refined by <see cref="PowerIterations"/> steps at each forward pass in training
/// mode (v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖) and frozen in evaluation mode; σ = uᵀWv, through which gradients flow to W.
/// This is what PyTorch's <c>torch.nn.utils.parametrizations.spectral_norm</c> computes (one iteration per pass by
/// default, 15 at construction so the first σ is already close).
/// </summary>
/// <remarks>
/// The wrapped layer keeps its own parameters (<c>layer.weight</c>, <c>layer.bias</c>) and settings (stride, padding,
/// dilation, groups); only the weight the forward pass uses is normalised. The power iteration runs in float32 (float64 for a
/// float64 layer), also under autocast: its products are matrix–vector ones, which libtorch's CPU autocast leaves alone. A layer called
/// several times in one training step (a GAN's discriminator on real and generated batches) refines the estimate once
/// per call, as PyTorch's does.
/// </remarks>
/// <example>
/// <code>
/// var conv = new SpectralNorm(nn.Conv2d(1, 32, 4, stride: 2, padding: 1));
/// var y = conv.call(images);          // the convolution with weight W/σ(W)
/// double sigma = conv.SigmaEstimate;  // uᵀWv, the current estimate of σ(W)
/// </code>
/// </example>
public sealed class SpectralNorm : nn.Module<Tensor, Tensor>
{
    readonly nn.Module<Tensor, Tensor> layer;
    readonly Tensor u;
    readonly Tensor v;

    /// <summary>
    /// Wraps <paramref name="layer"/>, a <c>Linear</c> or a <c>Conv2d</c> with zero padding, running
    /// <paramref name="powerIterations"/> power-iteration steps per training forward pass.
    /// </summary>
    /// <exception cref="ArgumentException">Another kind of layer, a convolution padding other than zeros, or fewer than one iteration.</exception>
    public SpectralNorm(nn.Module<Tensor, Tensor> layer, int powerIterations = 1, double epsilon = 1e-12) : base(ModuleName.AfterRuntimeStart("SpectralNorm"))
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (layer is not (Linear or Conv2d))
            throw new ArgumentException($"SpectralNorm: wraps a Linear or Conv2d layer, got {layer.GetType().Name}.", nameof(layer));
        if (layer is Conv2d { padding_mode: not PaddingModes.Zeros } conv)
            throw new ArgumentException($"SpectralNorm: only zero padding is supported, the convolution pads with {conv.padding_mode}.", nameof(layer));
        if (powerIterations < 1)
            throw new ArgumentException($"SpectralNorm: at least one power iteration per forward pass is needed, got {powerIterations}.", nameof(powerIterations));
        if (!(epsilon > 0))
            throw new ArgumentException($"SpectralNorm: epsilon must be positive, got {epsilon}.", nameof(epsilon));
        this.layer = layer;
        PowerIterations = powerIterations;
        Epsilon = epsilon;
        var weight = WeightMatrix().detach();
        using (no_grad())
        {
            var dtype = weight.dtype == float64 ? float64 : float32;
            u = UnitVector(randn(weight.shape[0], dtype: dtype, device: weight.device));
            v = UnitVector(randn(weight.shape[1], dtype: dtype, device: weight.device));
            Iterate(weight.to(dtype), 15);
        }
        RegisterComponents();
    }

    /// <summary>Power-iteration steps per forward pass in training mode.</summary>
    public int PowerIterations { get; }

    /// <summary>The guard added to norms before dividing by them.</summary>
    public double Epsilon { get; }

    /// <summary>The wrapped layer, whose <c>weight</c> is the unnormalised W.</summary>
    public nn.Module<Tensor, Tensor> Layer => layer;

    /// <summary>The current estimate of the leading left singular vector <c>[out]</c> (a buffer; a copy).</summary>
    public Tensor LeftVector => u.clone();

    /// <summary>The current estimate of the leading right singular vector <c>[in·k·k]</c> (a buffer; a copy).</summary>
    public Tensor RightVector => v.clone();

    /// <summary>uᵀWv: the current estimate of the weight's largest singular value, without refining it.</summary>
    public double SigmaEstimate
    {
        get
        {
            using var _ = no_grad();
            using var weight = WeightMatrix().detach().to(u.dtype);
            using var wv = mv(weight, v);
            return dot(u, wv).to(float64).item<double>();
        }
    }

    /// <summary>
    /// W/σ, the weight the forward pass uses, with gradients to W. In training mode (and when
    /// <paramref name="refine"/> is true) the power iteration first takes <see cref="PowerIterations"/> steps.
    /// </summary>
    public Tensor NormalizedWeight(bool refine = true)
    {
        using var scope = NewDisposeScope();
        var weight = Weight;
        var matrix = WeightMatrix();
        Tensor uNow, vNow;
        using (no_grad())
        {
            if (training && refine)
                Iterate(matrix.detach().to(u.dtype), PowerIterations);
            // Copies: the graph keeps these, and the buffers are refined in place by later passes.
            (uNow, vNow) = (u.clone(), v.clone());
        }
        var sigma = dot(uNow, mv(matrix.to(uNow.dtype), vNow));
        return (weight / sigma.to(weight.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The layer's output with its weight replaced by <see cref="NormalizedWeight"/>.</summary>
    public override Tensor forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var weight = NormalizedWeight();
        return layer switch
        {
            Linear linear => nn.functional.linear(input, weight, linear.bias),
            Conv2d { padding_type: { } padding } conv => nn.functional.conv2d_padding(input, weight, conv.bias, conv.stride, padding, conv.dilation, conv.groups),
            Conv2d conv => nn.functional.conv2d(input, weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups),
            _ => throw new InvalidOperationException("SpectralNorm: unreachable (the constructor admits Linear and Conv2d)."),
        };
    }

    Parameter Weight => layer switch
    {
        Linear linear => linear.weight!,
        Conv2d conv => conv.weight,
        _ => throw new InvalidOperationException("SpectralNorm: unreachable (the constructor admits Linear and Conv2d)."),
    };

    Tensor WeightMatrix() => Weight.flatten(1);

    // v ← Wᵀu/‖Wᵀu‖, u ← Wv/‖Wv‖, in place in the buffers.
    void Iterate(Tensor matrix, int steps)
    {
        for (var i = 0; i < steps; i++)
        {
            using var wtu = mv(matrix.t(), u);
            using var vNext = UnitVector(wtu);
            v.copy_(vNext);
            using var wv = mv(matrix, v);
            using var uNext = UnitVector(wv);
            u.copy_(uNext);
        }
    }

    Tensor UnitVector(Tensor x)
    {
        using var norm = x.norm();
        return x / (norm + Epsilon);
    }
}
