using static TorchSharp.torch;

namespace TorchBinding.Models.Transformers;

/// <summary>
/// Which keys each query may attend to. Three kinds combine (a key is attended only if every given kind allows it):
/// <list type="bullet">
/// <item><see cref="Causal"/>: query t sees keys 0..t only (a decoder, a GPT).</item>
/// <item><see cref="KeyPadding"/>: <c>[N, S]</c> bool, <b>true where the key is padding</b> (PyTorch's
/// <c>key_padding_mask</c> convention): padded tokens are never attended.</item>
/// <item><see cref="Allowed"/>: bool, <b>true where query i may attend to key j</b> (the convention of
/// <c>scaled_dot_product_attention</c>): <c>[T, S]</c> for every sample, <c>[N, T, S]</c> per sample (e.g. a
/// graph's adjacency with self-loops: attention restricted to neighbours), or <c>[N, H, T, S]</c> per head.</item>
/// </list>
/// A query with no key left (all masked) gets zero attention weights and a zero output, in both implementations.
/// </summary>
/// <example><code>
/// var causal = AttentionMask.CausalMask;
/// var padded = AttentionMask.FromLengths([5, 3], length: 5);           // keys 3 and 4 of sample 1 are padding
/// var graph = new AttentionMask { Allowed = adjacency.to(@bool) };      // [N, T, T]
/// </code></example>
public sealed record AttentionMask
{
    /// <summary>The causal (look-back only) mask: query t attends to keys 0..t.</summary>
    public static AttentionMask CausalMask { get; } = new() { Causal = true };

    /// <summary>Query t attends to keys 0..t only (for T queries and S keys, the top-left T x S corner of the lower triangle).</summary>
    public bool Causal { get; init; }

    /// <summary><c>[N, S]</c> bool, true where the key is padding (never attended); null: no padding.</summary>
    public Tensor? KeyPadding { get; init; }

    /// <summary>Bool, true where a query may attend to a key: <c>[T, S]</c>, <c>[N, T, S]</c> or <c>[N, H, T, S]</c>; null: everything allowed.</summary>
    public Tensor? Allowed { get; init; }

    /// <summary>A padding mask from the sequences' true lengths: key j of sample n is padding when <c>j &gt;= lengths[n]</c>.</summary>
    /// <param name="lengths">The number of real tokens of each sample (the rest, up to <paramref name="length"/>, is padding).</param>
    /// <param name="length">The padded sequence length S.</param>
    /// <param name="device">Where the mask is made (default the CPU).</param>
    /// <exception cref="ArgumentException">A length is negative or longer than <paramref name="length"/>.</exception>
    public static AttentionMask FromLengths(IReadOnlyList<long> lengths, long length, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(lengths);
        for (var n = 0; n < lengths.Count; n++)
        {
            if (lengths[n] < 0 || lengths[n] > length)
                throw new ArgumentException($"AttentionMask.FromLengths: sample {n} has length {lengths[n]}, outside 0..{length} (the padded length).", nameof(lengths));
        }
        using var scope = NewDisposeScope();
        var positions = arange(length, dtype: ScalarType.Int64, device: device).unsqueeze(0);
        var real = tensor(lengths.ToArray(), dtype: ScalarType.Int64, device: device).unsqueeze(1);
        return new AttentionMask { KeyPadding = positions.ge(real).MoveToOuterDisposeScope() };
    }

    /// <summary>
    /// The combined mask as one bool tensor that broadcasts against scores <c>[..., T, S]</c> (true: may attend),
    /// or null when nothing is masked. Checks every part's dtype and shape first.
    /// </summary>
    /// <param name="scoresShape">The shape of the attention scores, <c>[N, T, S]</c> or <c>[N, H, T, S]</c>.</param>
    /// <param name="device">The scores' device.</param>
    /// <param name="owner">Names the caller in messages.</param>
    internal Tensor? Combine(long[] scoresShape, Device device, string owner)
    {
        var rank = scoresShape.Length;
        var (batch, queries, keys) = (scoresShape[0], scoresShape[^2], scoresShape[^1]);
        Tensor? allowed = null;
        if (Causal)
            allowed = ones(queries, keys, dtype: ScalarType.Bool, device: device).tril();
        if (KeyPadding is { } padding)
        {
            if (padding.dtype != ScalarType.Bool)
                throw new ArgumentException($"{owner}: AttentionMask.KeyPadding must be a bool tensor [N, S] (true = padding), got {padding.dtype} {Shapes.Format(padding)}.");
            if (padding.dim() != 2 || padding.shape[0] != batch || padding.shape[1] != keys)
                throw new ArgumentException($"{owner}: AttentionMask.KeyPadding must be [N, S] = [{batch}, {keys}] (batch, keys), got {Shapes.Format(padding)}.");
            // [N, S] -> [N, 1, (1,) S]: the same keys are hidden from every query (and head).
            var keep = padding.logical_not().to(device);
            var shape = new long[rank];
            Array.Fill(shape, 1L);
            (shape[0], shape[^1]) = (batch, keys);
            keep = keep.reshape(shape);
            allowed = allowed is null ? keep : allowed.logical_and(keep);
        }
        if (Allowed is { } given)
        {
            if (given.dtype != ScalarType.Bool)
                throw new ArgumentException($"{owner}: AttentionMask.Allowed must be a bool tensor (true = may attend), got {given.dtype} {Shapes.Format(given)}.");
            var g = given.to(device);
            if (g.dim() == 3 && rank == 4)
                g = g.unsqueeze(1); // one mask per sample, shared by the heads
            var fits = g.dim() >= 2 && g.shape[^2] == queries && g.shape[^1] == keys && (g.dim() == 2 || g.dim() == rank);
            if (fits && g.dim() == rank)
            {
                for (var d = 0; d < rank - 2; d++)
                    fits &= g.shape[d] == 1 || g.shape[d] == scoresShape[d];
            }
            if (!fits)
                throw new ArgumentException(
                    $"{owner}: AttentionMask.Allowed must be [T, S], [N, T, S] or [N, H, T, S] for scores {Shapes.Format(scoresShape)} " +
                    $"({queries} queries, {keys} keys), got {Shapes.Format(given)}.");
            allowed = allowed is null ? g : allowed.logical_and(g);
        }
        return allowed;
    }
}
