namespace TorchBinding.Data.Synthetic;

/// <summary>Next-symbol prediction from a bit string: the first sequence model of the course.</summary>
public static class BitSequences
{
    /// <summary>
    /// One sample per position i >= k of <paramref name="bits"/>: the input is the k bits before it,
    /// bits[i-k..i-1] as float32 <c>[k]</c> (oldest first), the target is bits[i] as an int64 class
    /// (class names "0", "1"). So "111101111011110" with k = 4 gives 11 samples, the first 1111 → 0.
    /// With <paramref name="cyclic"/> the string is read as a loop: every position i = 0..L-1 is a target and
    /// its context wraps around to the end of the string (bits[(i-k) mod L] ...), giving L samples; use it for
    /// periodic patterns such as the example's period-5 "11110".
    /// Not random.
    /// </summary>
    /// <param name="bits">The bit string, of characters '0' and '1' only.</param>
    /// <param name="k">Context length, 1 &lt;= k &lt; bits.Length.</param>
    /// <param name="cyclic">Wrap around: one sample per position instead of per position from k on.</param>
    public static InMemoryDataset NextBit(string bits, int k, bool cyclic = false)
    {
        ArgumentNullException.ThrowIfNull(bits);
        if (bits.Length == 0)
            throw new ArgumentException("bits must not be empty.", nameof(bits));
        var bad = bits.IndexOfAnyExcept('0', '1');
        if (bad >= 0)
            throw new ArgumentException($"bits must hold only '0' and '1'; position {bad} holds '{bits[bad]}' (in \"{bits}\").", nameof(bits));
        Check.Positive(k);
        if (k >= bits.Length)
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must be shorter than the bit string \"{bits}\" (length {bits.Length}): at least one bit must follow a context.");

        var length = bits.Length;
        var first = cyclic ? 0 : k;
        var samples = length - first;
        var inputs = new float[samples * k];
        var labels = new long[samples];
        for (var s = 0; s < samples; s++)
        {
            var i = first + s;
            for (var j = 0; j < k; j++)
                inputs[s * k + j] = bits[(i - k + j + length) % length] - '0'; // the mod only matters when cyclic
            labels[s] = bits[i] - '0';
        }
        return Generation.Classes(inputs, [samples, k], labels, $"next bit of {bits} (k = {k}{(cyclic ? ", cyclic" : "")})", ["0", "1"]);
    }
}
