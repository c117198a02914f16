using static TorchSharp.torch;

namespace TorchBinding.Data.Augmentation;

/// <summary>What the two flips share: one coin per image, then a select between the batch and its mirror.</summary>
static class Flips
{
    public static bool[] Draw(Random random, Tensor batch, double p)
    {
        var flipped = new bool[batch.shape[0]];
        for (var i = 0; i < flipped.Length; i++)
            flipped[i] = random.NextDouble() < p;
        return flipped;
    }

    public static Tensor Apply(Tensor batch, bool[] flipped, long dim)
    {
        if (!flipped.Contains(true))
            return batch.clone();
        if (!flipped.Contains(false))
            return batch.flip(dim);
        var mask = tensor(flipped, device: batch.device).view(flipped.Length, 1, 1, 1);
        return where(mask, batch.flip(dim), batch);
    }
}
