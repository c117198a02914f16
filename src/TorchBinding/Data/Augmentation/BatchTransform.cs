using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// Base of the seeded batch transforms: it owns the transform's random source, checks that the input is a
/// floating-point image batch <c>[N, C, H, W]</c>, and keeps the intermediate tensors of a call in a dispose
/// scope so that only the result survives. Random parameters are drawn per sample on the CPU (from
/// <see cref="Random"/>) and applied with batched tensor operations on the batch's device, so the same seed
/// gives the same sequence of augmented batches on every device. An instance is not thread-safe: give each
/// data pipeline its own.
/// </summary>
public abstract class BatchTransform : IBatchTransform
{
    /// <summary>Creates the transform's random source.</summary>
    /// <param name="seed">The seed; null draws one from <see cref="Seeding.NextSeed"/> (reproducible after
    /// <see cref="Seeding.SeedEverything"/>).</param>
    protected BatchTransform(int? seed)
    {
        Seed = seed ?? Seeding.NextSeed();
        Random = new Random(Seed);
    }

    /// <summary>The seed of this transform's random source.</summary>
    public int Seed { get; }

    /// <summary>The random source every draw of this transform comes from.</summary>
    protected Random Random { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The batch is not <c>[N, C, H, W]</c> or not of a floating dtype.</exception>
    public Tensor Apply(Tensor batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        TorchRuntime.EnsureInitialized();
        ValidateImageBatch(batch, GetType().Name);
        using var scope = NewDisposeScope();
        var result = Transform(batch);
        // The contract is a new tensor; moving the caller's own tensor to an outer scope would steal it.
        if (ReferenceEquals(result, batch))
            result = batch.clone();
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Draws this call's parameters and transforms the batch. Runs inside a dispose scope: create
    /// intermediates freely; the returned tensor is moved to the caller's scope.
    /// </summary>
    /// <param name="batch">A validated batch <c>[N, C, H, W]</c> of a floating dtype.</param>
    protected abstract Tensor Transform(Tensor batch);

    /// <summary>Checks that <paramref name="batch"/> is a floating-point <c>[N, C, H, W]</c> batch.</summary>
    internal static void ValidateImageBatch(Tensor batch, string name)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.dim() != 4)
            throw new ArgumentException($"{name}: expected an image batch [N, C, H, W], got a tensor of shape {Shapes.Format(batch)}.", nameof(batch));
        if (!batch.is_floating_point())
            throw new ArgumentException($"{name}: expected a floating-point image batch [N, C, H, W], got {batch.dtype} of shape {Shapes.Format(batch)}.", nameof(batch));
    }

    /// <summary>Per-sample values as a tensor <c>[N, 1, 1, 1]</c> of the batch's dtype on its device.</summary>
    private protected static Tensor PerSample(double[] values, Tensor batch) =>
        tensor(values, dtype: batch.dtype, device: batch.device).view(values.Length, 1, 1, 1);

    /// <summary>A uniform draw from [<paramref name="min"/>, <paramref name="max"/>).</summary>
    private protected double Uniform(double min, double max) => min + (max - min) * Random.NextDouble();

    /// <summary>Throws unless <paramref name="p"/> is a probability.</summary>
    private protected static double CheckProbability(double p, string name, string parameter = "p") =>
        double.IsFinite(p) && p is >= 0 and <= 1
            ? p
            : throw new ArgumentOutOfRangeException(parameter, p, $"{name}: the probability must be in [0, 1].");

    /// <summary>Throws unless [<paramref name="min"/>, <paramref name="max"/>] is a finite range of values at least <paramref name="lowest"/>.</summary>
    private protected static void CheckRange(double min, double max, double lowest, string name, string what)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || min < lowest || min > max)
            throw new ArgumentException($"{name}: the {what} range [{min}, {max}] must be finite, with {lowest} <= min <= max.");
    }
}
