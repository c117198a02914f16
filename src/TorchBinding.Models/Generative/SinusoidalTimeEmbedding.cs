using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Generative;

/// <summary>
/// The sinusoidal embedding of a step t (Vaswani et al.'s positional encoding, as DDPM uses it for time):
/// [sin(t·ω_0), …, sin(t·ω_{h−1}), cos(t·ω_0), …, cos(t·ω_{h−1})] with ω_i = MaxPeriod^(−i/h), h = Size/2. Nearby
/// steps get similar vectors, every step a distinct one, at all scales from 1 to MaxPeriod steps. Nothing is learned.
/// </summary>
public sealed class SinusoidalTimeEmbedding : nn.Module<Tensor, Tensor>
{
    /// <summary>An embedding of length <paramref name="size"/> (even, at least 2).</summary>
    public SinusoidalTimeEmbedding(int size, double maxPeriod = 10_000) : base(ModuleName.AfterRuntimeStart("SinusoidalTimeEmbedding"))
    {
        if (size < 2 || size % 2 != 0)
            throw new ArgumentException($"SinusoidalTimeEmbedding: the size must be even and at least 2 (sines and cosines in pairs), got {size}.", nameof(size));
        if (!(maxPeriod > 1))
            throw new ArgumentException($"SinusoidalTimeEmbedding: the maximum period must be above 1, got {maxPeriod}.", nameof(maxPeriod));
        Size = size;
        MaxPeriod = maxPeriod;
    }

    /// <summary>The embedding's length.</summary>
    public int Size { get; }

    /// <summary>The longest wavelength, in steps.</summary>
    public double MaxPeriod { get; }

    /// <summary>Embeddings <c>[N, Size]</c> (float32) of steps <c>[N]</c> (integers or reals).</summary>
    public override Tensor forward(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        if (t.dim() != 1)
            throw new ArgumentException($"SinusoidalTimeEmbedding expects one step per sample [N], got {Shapes.Format(t)}.", nameof(t));
        var half = Size / 2;
        using var scope = NewDisposeScope();
        var frequencies = exp(arange(half, dtype: float32, device: t.device) * (-Math.Log(MaxPeriod) / half));
        var angles = t.to(float32)[.., TensorIndex.None] * frequencies[TensorIndex.None, ..];
        return cat([sin(angles), cos(angles)], 1).MoveToOuterDisposeScope();
    }
}
