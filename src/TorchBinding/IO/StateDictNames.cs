namespace TorchBinding.IO;

/// <summary>
/// How a model's state-dict keys here correspond to those of another definition of the same network (a PyTorch
/// notebook's class): a list of module-path renames, e.g. <c>conv1</c> ↔ <c>layer1.0</c>, applied to whole
/// dotted segments (<c>conv1.weight</c> → <c>layer1.0.weight</c>, but <c>conv10.weight</c> untouched). The first
/// matching rule wins; keys no rule matches keep their name. <see cref="Identity"/> renames nothing.
/// </summary>
public sealed class StateDictNames
{
    readonly IReadOnlyList<(string Ours, string Theirs)> _renames;

    /// <summary>Names that match one to one.</summary>
    public static StateDictNames Identity { get; } = new("identity", []);

    /// <summary>Creates a mapping.</summary>
    /// <param name="description">What the other side is, for messages, e.g. "cnn_mnist_pytorch.ipynb's ConvNet".</param>
    /// <param name="renames">Module paths here and there, e.g. <c>("conv1", "layer1.0")</c>.</param>
    public StateDictNames(string description, IReadOnlyList<(string Ours, string Theirs)> renames)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(renames);
        foreach (var (ours, theirs) in renames)
        {
            if (string.IsNullOrWhiteSpace(ours) || string.IsNullOrWhiteSpace(theirs))
                throw new ArgumentException($"StateDictNames '{description}': a rename has an empty side ('{ours}' ↔ '{theirs}').", nameof(renames));
        }
        Description = description;
        _renames = renames;
    }

    /// <summary>What the other side is.</summary>
    public string Description { get; }

    /// <summary>The renames, ours first.</summary>
    public IReadOnlyList<(string Ours, string Theirs)> Renames => _renames;

    /// <summary>The other side's key for our key.</summary>
    public string ToExternal(string ours) => Rename(ours, r => r.Ours, r => r.Theirs);

    /// <summary>Our key for the other side's key.</summary>
    public string FromExternal(string theirs) => Rename(theirs, r => r.Theirs, r => r.Ours);

    string Rename(string key, Func<(string Ours, string Theirs), string> from, Func<(string Ours, string Theirs), string> to)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var rule in _renames)
        {
            var prefix = from(rule);
            if (key == prefix)
                return to(rule);
            if (key.Length > prefix.Length && key[prefix.Length] == '.' && key.StartsWith(prefix, StringComparison.Ordinal))
                return to(rule) + key[prefix.Length..];
        }
        return key;
    }

    /// <inheritdoc/>
    public override string ToString() => _renames.Count == 0 ? Description : $"{Description}: {string.Join(", ", _renames.Select(r => $"{r.Ours} ↔ {r.Theirs}"))}";
}
