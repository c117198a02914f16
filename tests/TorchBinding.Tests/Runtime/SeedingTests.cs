using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

public class SeedingTests
{
    /// <summary>Trains a small MLP on the digits for two epochs and returns every batch loss.</summary>
    static List<float> TrainingLosses(int seed)
    {
        Seeding.SeedEverything(seed);
        using var digits = Digits.Load();
        var model = nn.Sequential(nn.Linear(64, 32), nn.Dropout(0.2), nn.ReLU(), nn.Linear(32, 10));
        var optimizer = optim.SGD(model.parameters(), 0.1);
        using var batches = digits.Batches(64); // shuffled with a seed drawn from the library's generator
        var losses = new List<float>();
        for (var epoch = 0; epoch < 2; epoch++)
        {
            foreach (var (x, y) in batches)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(x), y);
                loss.backward();
                optimizer.step();
                losses.Add(loss.item<float>());
            }
        }
        return losses;
    }

    [Test]
    public void Same_seed_gives_identical_training_losses()
    {
        var first = TrainingLosses(7);
        var second = TrainingLosses(7);
        Assert.That(second, Is.EqualTo(first), "bit-identical losses, batch by batch");
    }

    [Test]
    public void Different_seeds_give_different_training_losses()
    {
        Assert.That(TrainingLosses(8), Is.Not.EqualTo(TrainingLosses(9)));
    }

    [Test]
    public void Seeding_resets_the_library_generator_and_libtorch()
    {
        Seeding.SeedEverything(123);
        var a = (Seeding.NextSeed(), torch.rand(3).data<float>().ToArray());
        Seeding.SeedEverything(123);
        var b = (Seeding.NextSeed(), torch.rand(3).data<float>().ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(b.Item1, Is.EqualTo(a.Item1));
            Assert.That(b.Item2, Is.EqualTo(a.Item2));
            Assert.That(Seeding.CurrentSeed, Is.EqualTo(123));
        });
    }
}
