using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>
/// What the two flips share: one coin per image with probability <see cref="Probability"/>, then a select
/// between the batch and its mirror along one dimension (3: left-right, 2: top-bottom).
/// </summary>
public abstract class RandomFlip : BatchTransform
{
    readonly long _dimension;

    private protected RandomFlip(double p, int? seed, long dimension) : base(seed)
    {
        Probability = CheckProbability(p, GetType().Name);
        _dimension = dimension;
    }

    /// <summary>The probability that an image is flipped.</summary>
    public double Probability { get; }

    /// <summary>Which images of the last batch were flipped.</summary>
    public IReadOnlyList<bool> LastFlipped { get; private set; } = [];

    /// <inheritdoc/>
    protected sealed override Tensor Transform(Tensor batch)
    {
        var flipped = new bool[batch.shape[0]];
        for (var i = 0; i < flipped.Length; i++)
            flipped[i] = Random.NextDouble() < Probability;
        LastFlipped = flipped;
        if (!flipped.Contains(true))
            return batch.clone();
        if (!flipped.Contains(false))
            return batch.flip(_dimension);
        var mask = tensor(flipped, device: batch.device).view(flipped.Length, 1, 1, 1);
        return where(mask, batch.flip(_dimension), batch);
    }
}
