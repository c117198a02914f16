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

    /// <summary>Compare the attributions' magnitudes (default true, as the paper's main figures), not their signed values.</summary>
    public bool AbsoluteValues { get; init; } = true;

    /// <summary>The seed of the random weights (null: drawn from <see cref="Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }
}

/// <summary>One step of the cascade: the attributions after randomising the layers up to <paramref name="Layer"/>.</summary>
/// <param name="Layer">The layer randomised last (<c>original</c> for the trained model).</param>
/// <param name="MeanRankCorrelation">Spearman's ρ between these attributions and the trained model's, averaged over the inputs.</param>
/// <param name="RankCorrelations">ρ per input.</param>
/// <param name="Attributions">The method's attributions (of the inputs' shape), float64 on the CPU (the caller owns the tensor).</param>
public sealed record RandomizationStep(string Layer, double MeanRankCorrelation, IReadOnlyList<double> RankCorrelations, Tensor Attributions);

/// <summary>
/// The model-randomisation sanity check (Adebayo et al., 2018): an explanation that reflects what the model learned must
/// change when the learned weights are replaced by random ones. The layers are randomised one by one from the output
/// back (a cascade) and the method's attributions are compared with the trained model's by rank correlation; a method
/// whose attributions stay alike (an edge detector of the input) fails the check. The weights are put back afterwards,
/// bit for bit. Any <see cref="IAttributionMethod"/> can be checked.
/// </summary>
/// <example><code>
/// foreach (var method in new IAttributionMethod[] { new Saliency(), new GradCam("conv2") })
/// {
///     var steps = SanityChecks.CascadingRandomization(model, images, labels, method, new() { Seed = 1 });
///     Console.WriteLine($"{method.Name}: ρ {steps[^1].MeanRankCorrelation:F2} with every layer random");
/// }
/// </code></example>
public static class SanityChecks
{
    /// <summary>
    /// Runs the cascade: step 0 is the trained model (ρ = 1), step k has the last k layers' parameters redrawn from a normal
    /// distribution with each tensor's own mean and standard deviation (the scale kept, the learned structure gone).
    /// </summary>
    /// <param name="model">The trained model; its parameters and training flags are restored afterwards.</param>
    /// <param name="inputs">The inputs the method explains, <c>[N, ...]</c>.</param>
    /// <param name="targets">The class to explain for each input, <c>[N]</c>.</param>
    /// <param name="method">The method under test; its attributions of each input are compared value by value.</param>
    /// <param name="options">Layers, comparison, seed.</param>
    /// <exception cref="ArgumentException">A layer name does not exist (the message lists the layers), or has no parameters.</exception>
    public static IReadOnlyList<RandomizationStep> CascadingRandomization(nn.Module<Tensor, Tensor> model, Tensor inputs, Tensor targets, IAttributionMethod method, SanityCheckOptions? options = null)
    {
        using var section = Profiler.Measure("sanity checks");
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(method);
        AttributionChecks.Inputs(inputs, targets, "CascadingRandomization");
        Tensor Explain(nn.Module<Tensor, Tensor> m) => method.Attribute(m, inputs, targets);
        options ??= new SanityCheckOptions();
        TorchRuntime.EnsureInitialized();
        var layers = ResolveLayers(model, options.Layers);
        var saved = layers.SelectMany(l => l.Module.named_parameters(recurse: false).Select(p => (p.parameter, Copy: p.parameter.detach().clone()))).ToList();
        using var generator = new Generator((ulong)(options.Seed ?? Seeding.NextSeed()), CPU);
        var steps = new List<RandomizationStep>();
        try
        {
            var original = Compare(model, Explain, options.AbsoluteValues);
            steps.Add(new RandomizationStep("original", 1, Enumerable.Repeat(1.0, original.Length).ToList(), original.Attributions));
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
                var current = Compare(model, Explain, options.AbsoluteValues);
                var rhos = Enumerable.Range(0, current.Length).Select(i => RankCorrelation.Spearman(original.Values[i], current.Values[i])).ToList();
                var finite = rhos.Where(double.IsFinite).ToList();
                steps.Add(new RandomizationStep(name, finite.Count > 0 ? finite.Average() : double.NaN, rhos, current.Attributions));
            }
            return steps;
        }
        catch
        {
            foreach (var step in steps)
                step.Attributions.Dispose();
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

    /// <summary>The attributions of <paramref name="model"/> as float64 on the CPU, and each input's values (magnitudes if <paramref name="absolute"/>) for the rank correlation.</summary>
    static (Tensor Attributions, double[][] Values, int Length) Compare(nn.Module<Tensor, Tensor> model, Func<nn.Module<Tensor, Tensor>, Tensor> explain, bool absolute)
    {
        using var scope = NewDisposeScope();
        var attributions = explain(model).detach().to(float64).cpu();
        if (attributions.dim() < 2)
            throw new ArgumentException($"CascadingRandomization: the method must give attributions per input, [N, ...]; got {Shapes.Format(attributions)}.");
        var flat = (absolute ? attributions.abs() : attributions).flatten(1);
        var values = Enumerable.Range(0, (int)flat.shape[0]).Select(i => flat[i].data<double>().ToArray()).ToArray();
        return (attributions.MoveToOuterDisposeScope(), values, values.Length);
    }
}
