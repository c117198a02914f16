using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Applies transforms one after another (torchvision's <c>Compose</c>); the intermediate batches are
/// disposed as soon as the next transform has run. Each transform keeps its own seed, so a pipeline of
/// seeded transforms is reproducible as a whole.
/// </summary>
/// <example><code>
/// var augment = new Compose(
///     new RandomCrop(padding: 4, seed: 1),
///     new RandomHorizontalFlip(seed: 2),
///     new RandomErasing(p: 0.25, seed: 3));
/// foreach (var (x, y) in loader)
/// {
///     using var scope = torch.NewDisposeScope();
///     var loss = criterion.call(model.call(augment.Apply(x)), y);
///     ...
/// }
/// </code></example>
public sealed class Compose : IBatchTransform
{
    readonly IBatchTransform[] _transforms;

    /// <summary>Creates the pipeline.</summary>
    /// <param name="transforms">The transforms, in the order they run.</param>
    public Compose(params IBatchTransform[] transforms)
    {
        ArgumentNullException.ThrowIfNull(transforms);
        if (transforms.Any(t => t is null))
            throw new ArgumentException($"{nameof(Compose)}: a transform is null.", nameof(transforms));
        _transforms = [.. transforms];
    }

    /// <summary>The transforms, in the order they run.</summary>
    public IReadOnlyList<IBatchTransform> Transforms => _transforms;

    /// <inheritdoc/>
    public Tensor Apply(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var current = batch;
        foreach (var transform in _transforms)
            current = transform.Apply(current);
        if (ReferenceEquals(current, batch))
            current = batch.clone();
        return current.MoveToOuterDisposeScope();
    }
}
