using TorchSharp;

namespace TorchBinding.Runtime;

/// <summary>
/// One call that seeds every source of randomness TorchBinding uses: libtorch's CPU generator, every
/// CUDA device's generator, and the library's own <see cref="Random"/> (from which components that were
/// given no seed of their own draw theirs). Same seed, same code, same machine: same numbers.
/// </summary>
public static class Seeding
{
    static readonly Lock Gate = new();
    static Random _random = new(0);

    /// <summary>The seed last passed to <see cref="SeedEverything"/> (null before the first call).</summary>
    public static int? CurrentSeed { get; private set; }

    /// <summary>
    /// Seeds libtorch (CPU and CUDA) and the library's generator. CPU kernels are deterministic for a
    /// fixed thread count; some CUDA kernels (atomics in scatter/index_add, some cuDNN paths) may still vary in
    /// the last bits unless <see cref="Determinism.Enable"/> makes libtorch avoid them.
    /// </summary>
    /// <param name="seed">The seed.</param>
    public static void SeedEverything(int seed)
    {
        TorchRuntime.EnsureInitialized();
        torch.manual_seed(seed);
        if (torch.cuda.is_available())
            torch.cuda.manual_seed_all(seed);
        lock (Gate)
        {
            _random = new Random(seed);
            CurrentSeed = seed;
        }
    }

    /// <summary>A seed for a component that was given none, drawn from the library's seeded generator.</summary>
    public static int NextSeed()
    {
        lock (Gate)
            return _random.Next();
    }
}
