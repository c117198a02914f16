namespace TorchBinding.Data.Augmentation;

/// <summary>Mirrors each image left-right with probability <see cref="RandomFlip.Probability"/> (torchvision's RandomHorizontalFlip).</summary>
/// <param name="p">The probability that an image is flipped, in [0, 1].</param>
/// <param name="seed">The seed; null draws one from <see cref="Runtime.Seeding.NextSeed"/>.</param>
/// <exception cref="ArgumentOutOfRangeException"><paramref name="p"/> is not in [0, 1].</exception>
public sealed class RandomHorizontalFlip(double p = 0.5, int? seed = null) : RandomFlip(p, seed, dimension: 3);
