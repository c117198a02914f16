using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>Options of <see cref="SanityChecks.CascadingRandomization"/>.</summary>
public sealed record SanityCheckOptions
{
    /// <summary>
    /// The layers to randomise, in order (each step randomises one more); null: every layer that holds parameters of its
    /// own, from the output back to the input (Adebayo et al.'s cascade).
    /// </summary>
    public IReadOnlyList<string>? Layers { get; init; }

    /// <summary>Compare the maps' magnitudes (default true, as the paper's main figures), not their signed values.</summary>
    public bool AbsoluteValues { get; init; } = true;

    /// <summary>The seed of the random weights (null: drawn from <see cref="Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }
}

/// <summary>One step of the cascade: the maps after randomising the layers up to <paramref name="Layer"/>.</summary>
/// <param name="Layer">The layer randomised last (<c>original</c> for the trained model).</param>
/// <param name="MeanRankCorrelation">Spearman's ρ between these maps and the trained model's, averaged over the images.</param>
/// <param name="RankCorrelations">ρ per image.</param>
/// <param name="Maps">The maps <c>[N, H, W]</c> on the CPU (the caller owns the tensor).</param>
public sealed record RandomizationStep(string Layer, double MeanRankCorrelation, IReadOnlyList<double> RankCorrelations, Tensor Maps);

/// <summary>
/// The model-randomisation sanity check (Adebayo et al., 2018): an explanation that reflects what the model learned must
/// change when the learned weights are replaced by random ones. The layers are randomised one by one from the output
/// back (a cascade) and the maps are compared with the trained model's by rank correlation; a method whose maps stay
/// alike (an edge detector of the input) fails the check. The weights are put back afterwards, bit for bit.
/// </summary>
public static class SanityChecks
{
    /// <summary>
    /// Runs the cascade: step 0 is the trained model (ρ = 1), step k has the last k layers' parameters redrawn from a normal
    /// distribution with each tensor's own mean and standard deviation (the scale kept, the learned structure gone).
    /// </summary>
    /// <param name="model">The trained model; its parameters and training flags are restored afterwards.</param>
    /// <param name="explain">The method under test: maps <c>[N, H, W]</c> (or any fixed shape per image) of the model it is given.</param>
    /// <param name="options">Layers, comparison, seed.</param>
    /// <exception cref="ArgumentException">A layer name does not exist (the message lists the layers), or has no parameters.</exception>
    public static IReadOnlyList<RandomizationStep> CascadingRandomization(nn.Module<Tensor, Tensor> model, Func<nn.Module<Tensor, Tensor>, Tensor> explain, SanityCheckOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(explain);
        options ??= new SanityCheckOptions();
        TorchRuntime.EnsureInitialized();
        var layers = ResolveLayers(model, options.Layers);
        var saved = layers.SelectMany(l => l.Module.named_parameters(recurse: false).Select(p => (p.parameter, Copy: p.parameter.detach().clone()))).ToList();
        using var generator = new Generator((ulong)(options.Seed ?? Seeding.NextSeed()), CPU);
        var steps = new List<RandomizationStep>();
        try
        {
            var original = Explain(model, explain, options.AbsoluteValues);
            steps.Add(new RandomizationStep("original", 1, Enumerable.Repeat(1.0, original.Length).ToList(), original.Maps));
            foreach (var (name, module) in layers)
            {
                using (no_grad())
                {
                    foreach (var (_, parameter) in module.named_parameters(recurse: false))
                    {
                        using var scope = NewDisposeScope();
                        var values = parameter.detach().to(float64);
                        var (mean, std) = (values.mean().item<double>(), parameter.numel() > 1 ? values.std().item<double>() : 0);
                        if (!(std > 0))
                            std = Math.Max(Math.Abs(mean), 1e-2);
                        var noise = randn(parameter.shape, dtype: float64, generator: generator) * std + mean;
                        parameter.copy_(noise.to(parameter.dtype).to(parameter.device));
                    }
                }
                var maps = Explain(model, explain, options.AbsoluteValues);
                var rhos = Enumerable.Range(0, maps.Length).Select(i => RankCorrelation.Spearman(original.Values[i], maps.Values[i])).ToList();
                var finite = rhos.Where(double.IsFinite).ToList();
                steps.Add(new RandomizationStep(name, finite.Count > 0 ? finite.Average() : double.NaN, rhos, maps.Maps));
            }
            return steps;
        }
        catch
        {
            foreach (var step in steps)
                step.Maps.Dispose();
            throw;
        }
        finally
        {
            using (no_grad())
            {
                foreach (var (parameter, copy) in saved)
                {
                    parameter.copy_(copy);
                    copy.Dispose();
                }
            }
        }
    }

    /// <summary>The layers of the cascade: the named ones, or every module with parameters of its own, output first.</summary>
    static List<(string Name, nn.Module Module)> ResolveLayers(nn.Module model, IReadOnlyList<string>? names)
    {
        var all = model.named_modules().Where(m => m.name.Length > 0).ToList();
        if (names is null)
        {
            var owning = all.Where(m => m.module.named_parameters(recurse: false).Any()).Select(m => (m.name, m.module)).ToList();
            owning.Reverse();
            if (owning.Count == 0)
                throw new ArgumentException($"{model.GetName()} has no layer with parameters to randomise.", nameof(model));
            return owning;
        }
        var layers = new List<(string, nn.Module)>();
        foreach (var name in names)
        {
            var found = all.FirstOrDefault(m => m.name == name);
            if (found.module is null)
                throw new ArgumentException($"{model.GetName()} has no layer '{name}'; its layers are: {string.Join(", ", all.Select(m => m.name))}.", nameof(names));
            if (!found.module.named_parameters(recurse: false).Any())
                throw new ArgumentException($"{model.GetName()}'s layer '{name}' has no parameters of its own to randomise; layers that do: {string.Join(", ", all.Where(m => m.module.named_parameters(recurse: false).Any()).Select(m => m.name))}.", nameof(names));
            layers.Add((name, found.module));
        }
        return layers;
    }

    static (Tensor Maps, double[][] Values, int Length) Explain(nn.Module<Tensor, Tensor> model, Func<nn.Module<Tensor, Tensor>, Tensor> explain, bool absolute)
    {
        using var scope = NewDisposeScope();
        var maps = explain(model).detach().to(float64).cpu();
        if (maps.dim() < 2)
            throw new ArgumentException($"CascadingRandomization: the explanation must give one map per image, [N, ...]; got {Shapes.Format(maps)}.");
        var flat = (absolute ? maps.abs() : maps).flatten(1);
        var values = Enumerable.Range(0, (int)flat.shape[0]).Select(i => flat[i].data<double>().ToArray()).ToArray();
        return (maps.MoveToOuterDisposeScope(), values, values.Length);
    }
}
