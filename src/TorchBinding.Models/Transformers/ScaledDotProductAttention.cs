using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>How attention is computed.</summary>
public enum AttentionImplementation
{
    /// <summary>The faster one on the tensors' device (<see cref="ScaledDotProductAttention.Fastest"/>), and <see cref="Explicit"/> whenever the weights are asked for.</summary>
    Auto,

    /// <summary>
    /// From tensor operations, as the lecture writes it: scores <c>q kᵀ · scale</c>, masked, softmax over the keys,
    /// dropout, times <c>v</c>. Gives the weights.
    /// </summary>
    Explicit,

    /// <summary>libtorch's fused <c>scaled_dot_product_attention</c> kernel (flash / memory-efficient where available). Does not give the weights.</summary>
    Fused,
}

/// <summary>
/// Scaled dot-product attention, <c>softmax(q kᵀ · scale) v</c> (Vaswani et al., 2017), on batch-first tensors:
/// queries <c>[N, T, d]</c> or <c>[N, H, T, d]</c>, keys and values <c>[N, S, d]</c> / <c>[N, H, S, d]</c>
/// (values may have another last size). Each row of the weights is a probability distribution over the keys:
/// query i's output is the average of the values weighted by how well its query matches each key.
/// </summary>
/// <example><code>
/// var output = ScaledDotProductAttention.Compute(q, k, v, AttentionMask.CausalMask);
/// var (output2, weights) = ScaledDotProductAttention.ComputeWithWeights(q, k, v);   // weights [N, (H,) T, S]
/// </code></example>
public static class ScaledDotProductAttention
{
    /// <summary>
    /// What <see cref="AttentionImplementation.Auto"/> uses on <paramref name="device"/> when the weights are not needed.
    /// On the CPU the explicit version: it trained the course ViT (T = 17 tokens, heads of 8 features) about 20 %
    /// faster than libtorch's fused kernel in <c>scripts/bench.sh vit</c> (one thread; the fused kernel's blocking
    /// does not pay off on sequences this short). On CUDA the fused kernel (flash / memory-efficient attention),
    /// which never writes the T x T weights to memory; <c>scripts/gpu-check.sh</c> measures both there.
    /// </summary>
    public static AttentionImplementation Fastest(DeviceType device) =>
        device == DeviceType.CUDA ? AttentionImplementation.Fused : AttentionImplementation.Explicit;

    /// <summary>The standard scale 1/√d of queries with <paramref name="headDim"/> features.</summary>
    public static double StandardScale(long headDim) => 1.0 / Math.Sqrt(headDim);

    /// <summary>The attention output <c>[N, (H,) T, dv]</c>.</summary>
    /// <param name="query">Queries <c>[N, T, d]</c> or <c>[N, H, T, d]</c>.</param>
    /// <param name="key">Keys <c>[N, S, d]</c> or <c>[N, H, S, d]</c>.</param>
    /// <param name="value">Values <c>[N, S, dv]</c> or <c>[N, H, S, dv]</c>.</param>
    /// <param name="mask">Which keys each query may attend to (null: all).</param>
    /// <param name="dropout">Dropout probability on the attention weights (pass 0 when evaluating).</param>
    /// <param name="scale">The factor of the scores (null: 1/√d).</param>
    /// <param name="implementation">Explicit tensor operations or libtorch's fused kernel.</param>
    /// <exception cref="ArgumentException">The shapes do not fit together, or the mask does not fit them.</exception>
    public static Tensor Compute(Tensor query, Tensor key, Tensor value, AttentionMask? mask = null, double dropout = 0, double? scale = null,
        AttentionImplementation implementation = AttentionImplementation.Auto)
    {
        Check(query, key, value, dropout, scale);
        var fused = implementation == AttentionImplementation.Fused
            || (implementation == AttentionImplementation.Auto && Fastest(query.device_type) == AttentionImplementation.Fused);
        return fused ? ComputeFused(query, key, value, mask, dropout, scale) : ComputeExplicit(query, key, value, mask, dropout, scale, out _);
    }

    /// <summary>
    /// The attention output and the attention weights <c>[N, (H,) T, S]</c> (always computed explicitly). The weights
    /// are the softmax before dropout: each row sums to 1 (0 for a query whose keys are all masked).
    /// </summary>
    /// <inheritdoc cref="Compute"/>
    public static (Tensor Output, Tensor Weights) ComputeWithWeights(Tensor query, Tensor key, Tensor value, AttentionMask? mask = null, double dropout = 0, double? scale = null)
    {
        Check(query, key, value, dropout, scale);
        var output = ComputeExplicit(query, key, value, mask, dropout, scale, out var weights);
        return (output, weights);
    }

    static Tensor ComputeExplicit(Tensor query, Tensor key, Tensor value, AttentionMask? mask, double dropout, double? scale, out Tensor weights)
    {
        var factor = scale ?? StandardScale(query.shape[^1]);
        var scores = matmul(query, key.transpose(-2, -1)).mul(factor);
        var allowed = mask?.Combine(scores.shape, scores.device, "attention");
        if (allowed is null)
        {
            weights = scores.softmax(-1);
        }
        else
        {
            weights = scores.masked_fill(allowed.logical_not(), double.NegativeInfinity).softmax(-1);
            // A query with every key masked has a row of -inf, whose softmax is NaN: it attends to nothing instead
            // (libtorch's fused kernel does the same).
            weights = weights.masked_fill(allowed.any(-1, keepdim: true).logical_not(), 0.0);
        }
        var used = dropout > 0 ? nn.functional.dropout(weights, dropout, training: true) : weights;
        return matmul(used, value);
    }

    static Tensor ComputeFused(Tensor query, Tensor key, Tensor value, AttentionMask? mask, double dropout, double? scale)
    {
        var headDim = query.shape[^1];
        // The kernel (in TorchSharp 0.107) always scales by 1/√d: another scale s is the same as queries times s·√d.
        var q = scale is { } s && Math.Abs(s - StandardScale(headDim)) > 1e-12 * s ? query.mul(s * Math.Sqrt(headDim)) : query;
        var scoresShape = query.shape[..^1].Append(key.shape[^2]).ToArray();
        if (mask is { Causal: true, KeyPadding: null, Allowed: null })
            return nn.functional.scaled_dot_product_attention(q, key, value, p: dropout, is_casual: true);
        var allowed = mask?.Combine(scoresShape, query.device, "attention");
        return nn.functional.scaled_dot_product_attention(q, key, value, allowed, dropout);
    }

    static void Check(Tensor query, Tensor key, Tensor value, double dropout, double? scale)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var rank = query.dim();
        if (rank is not (3 or 4) || key.dim() != rank || value.dim() != rank)
            throw new ArgumentException(
                $"attention expects queries, keys and values of one rank, [N, T, d] or [N, H, T, d]; got query {Shapes.Format(query)}, key {Shapes.Format(key)}, value {Shapes.Format(value)}.");
        for (var d = 0; d < rank - 2; d++)
        {
            if (key.shape[d] != query.shape[d] || value.shape[d] != query.shape[d])
                throw new ArgumentException(
                    $"attention: query, key and value must agree in their leading (batch{(rank == 4 ? ", head" : "")}) dimensions; got query {Shapes.Format(query)}, key {Shapes.Format(key)}, value {Shapes.Format(value)}.");
        }
        if (key.shape[^1] != query.shape[^1])
            throw new ArgumentException($"attention: queries and keys need the same feature size d, got query d = {query.shape[^1]} and key d = {key.shape[^1]} (query {Shapes.Format(query)}, key {Shapes.Format(key)}).");
        if (value.shape[^2] != key.shape[^2])
            throw new ArgumentException($"attention: every key needs a value, got {key.shape[^2]} keys and {value.shape[^2]} values (key {Shapes.Format(key)}, value {Shapes.Format(value)}).");
        if (!query.is_floating_point() || key.dtype != query.dtype || value.dtype != query.dtype)
            throw new ArgumentException($"attention expects floating-point queries, keys and values of one dtype, got {query.dtype}, {key.dtype}, {value.dtype}.");
        static bool SameDevice(Tensor a, Tensor b) => a.device_type == b.device_type && a.device_index == b.device_index;
        if (!SameDevice(key, query) || !SameDevice(value, query))
            throw new ArgumentException($"attention: queries, keys and values must be on one device, got {query.device}, {key.device}, {value.device}.");
        if (!(dropout is >= 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(dropout), dropout, "The attention dropout must be in [0, 1).");
        if (scale is { } s && !(double.IsFinite(s) && s > 0))
            throw new ArgumentOutOfRangeException(nameof(scale), scale, "The attention scale must be a positive number.");
    }
}
