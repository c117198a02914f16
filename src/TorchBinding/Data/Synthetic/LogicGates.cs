namespace TorchBinding.Data.Synthetic;

/// <summary>
/// The Boolean functions of the first lectures on the four points (0,0), (0,1), (1,0), (1,1), in that
/// order: AND is linearly separable (one neuron learns it), XOR is not (it needs a hidden layer).
/// Inputs float32 <c>[4, 2]</c>, targets float32 <c>[4, 1]</c>, for sigmoid/tanh units and squared error.
/// </summary>
public static class LogicGates
{
    /// <summary>XOR: y = x1 ⊕ x2, true when exactly one input is true.</summary>
    /// <param name="encoding">0/1 or ±1 for both inputs and targets.</param>
    public static InMemoryDataset Xor(BinaryEncoding encoding = BinaryEncoding.ZeroOne) => Gate("xor", (a, b) => a ^ b, encoding);

    /// <summary>AND: y = x1 ∧ x2, true only when both inputs are true.</summary>
    /// <param name="encoding">0/1 or ±1 for both inputs and targets.</param>
    public static InMemoryDataset And(BinaryEncoding encoding = BinaryEncoding.ZeroOne) => Gate("and", (a, b) => a & b, encoding);

    static InMemoryDataset Gate(string name, Func<bool, bool, bool> gate, BinaryEncoding encoding)
    {
        if (!Enum.IsDefined(encoding))
            throw new ArgumentOutOfRangeException(nameof(encoding), encoding, "Unknown binary encoding.");
        float Encode(bool value) => value ? 1f : encoding == BinaryEncoding.ZeroOne ? 0f : -1f;
        var inputs = new List<float>();
        var targets = new List<float>();
        foreach (var (a, b) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            inputs.AddRange([Encode(a), Encode(b)]);
            targets.Add(Encode(gate(a, b)));
        }
        return Generation.Values([.. inputs], 2, [.. targets], encoding == BinaryEncoding.ZeroOne ? name : $"{name} (±1)");
    }
}
