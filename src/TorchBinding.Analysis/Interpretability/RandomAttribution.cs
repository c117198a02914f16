using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>
/// Random attributions, uniform in [0, 1) and of the inputs' shape, that ignore the model: the baseline a method must
/// beat in the deletion and insertion curves (<see cref="Faithfulness"/>), and, with a fixed seed, an explanation that the
/// model-randomisation check (<see cref="SanityChecks"/>) cannot tell from the trained model's.
/// </summary>
/// <param name="seed">The seed of every call's draws (null: drawn from <see cref="Seeding.NextSeed"/> at each call).</param>
public sealed class RandomAttribution(int? seed = null) : IAttributionMethod
{
    /// <summary>The seed of every call's draws (null: drawn at each call).</summary>
    public int? Seed { get; } = seed;

    /// <inheritdoc/>
    /// <remarks>Default <c>random</c>.</remarks>
    public string Name { get; init; } = "random";

    /// <summary>Uniform random values in [0, 1) of the inputs' shape, drawn on the CPU (the same on every device), in the inputs' dtype.</summary>
    /// <inheritdoc cref="IAttributionMethod.Attribute"/>
    public Tensor Attribute(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets)
    {
        using var section = Profiler.Measure("random attribution");
        AttributionChecks.Inputs(inputs, targets, "RandomAttribution");
        using var generator = new Generator((ulong)(Seed ?? Seeding.NextSeed()), CPU);
        using var values = rand(inputs.shape, generator: generator);
        return values.to(inputs.dtype).to(inputs.device);
    }
}
