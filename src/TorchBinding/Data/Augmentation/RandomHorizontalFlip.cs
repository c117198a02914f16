using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>Mirrors each image left-right with probability <see cref="Probability"/> (torchvision's RandomHorizontalFlip).</summary>
public sealed class RandomHorizontalFlip : BatchTransform
{
    /// <summary>Creates the transform.</summary>
    /// <param name="p">The probability that an image is flipped, in [0, 1].</param>
    /// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1].</exception>
    public RandomHorizontalFlip(double p = 0.5, int? seed = null) : base(seed) =>
        Probability = CheckProbability(p, nameof(RandomHorizontalFlip));

    /// <summary>The probability that an image is flipped.</summary>
    public double Probability { get; }

    /// <summary>Which images of the last batch were flipped.</summary>
    public IReadOnlyList<bool> LastFlipped { get; private set; } = [];

    /// <inheritdoc/>
    protected override Tensor Transform(Tensor batch)
    {
        var flipped = Flips.Draw(Random, batch, Probability);
        LastFlipped = flipped;
        return Flips.Apply(batch, flipped, dim: 3);
    }
}
