using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>Which code carries out a built-in optimizer's update.</summary>
public enum OptimizerImplementation
{
    /// <summary>
    /// TorchBinding's flat-buffer optimizers (<see cref="FlatSgd"/>, <see cref="FlatAdam"/>, <see cref="FlatRmsProp"/>): the
    /// same per-element arithmetic as PyTorch, a few whole-buffer kernels per step. The default wherever one exists
    /// (sgd, momentum, nesterov, rmsprop, adam, adamw); adagrad and adadelta have none and use TorchSharp's.
    /// </summary>
    Flat,

    /// <summary>TorchSharp's own per-tensor optimizers (<c>optim.Adam</c>, <c>optim.SGD</c>, ...), by explicit choice.</summary>
    TorchSharp,
}

/// <summary>One parameter group of a recipe: the parameters whose names a rule selects, with their own settings.</summary>
/// <param name="Description">How the rule reads in messages (e.g. <c>"head"</c>).</param>
/// <param name="Selects">Whether a parameter (by its dotted name in the model, e.g. <c>head.weight</c>) belongs to the group.</param>
/// <param name="LearningRate">The group's learning rate (null: the recipe's).</param>
/// <param name="WeightDecay">The group's weight decay (null: the recipe's).</param>
public sealed record ParameterGroupRule(string Description, Func<string, bool> Selects, double? LearningRate = null, double? WeightDecay = null);

/// <summary>
/// How to make an optimizer, without its parameters: the trainer builds it from the model when training starts, after
/// the model is on its device (TorchSharp's <c>module.to(device)</c> replaces parameter objects, so an optimizer made
/// earlier would update the old ones). Made by <see cref="Optim"/>: <c>Optim.Adam(3e-3)</c>,
/// <c>Optim.Sgd(0.1, momentum: 0.9)</c>; refined by <see cref="Group(string, double?, double?)"/> (parameter groups),
/// <see cref="Of(string)"/> (a part of the model, e.g. a GAN's discriminator) and <see cref="WithTorchSharp"/>.
/// </summary>
/// <example><code>
/// // The backbone at 1e-4, the new head at 1e-3 (flat, fused Adam):
/// var trainer = new Trainer(model, loss, Optim.Adam(1e-4).Group("head", learningRate: 1e-3));
/// </code></example>
public sealed record OptimizerRecipe
{
    readonly Func<IReadOnlyList<Parameter>, optim.Optimizer>? _custom;

    internal OptimizerRecipe(string name, OptimizerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Name = Optimizers.Normalize(name);
        settings.Validate();
        Settings = settings;
    }

    internal OptimizerRecipe(string description, Func<IReadOnlyList<Parameter>, optim.Optimizer> build)
    {
        Name = description;
        Settings = new OptimizerSettings();
        _custom = build ?? throw new ArgumentNullException(nameof(build));
    }

    /// <summary>The optimizer's name (<see cref="Optimizers.Names"/>), or a custom recipe's description.</summary>
    public string Name { get; }

    /// <summary>The settings of the optimizer (and of every parameter group that does not set its own).</summary>
    public OptimizerSettings Settings { get; private init; }

    /// <summary>Flat (default) or TorchSharp's optimizers.</summary>
    public OptimizerImplementation Implementation { get; private init; } = OptimizerImplementation.Flat;

    /// <summary>Parameter groups with their own settings; parameters no rule selects form the first group, at <see cref="Settings"/>.</summary>
    public IReadOnlyList<ParameterGroupRule> Groups { get; private init; } = [];

    /// <summary>Which of the model's parameters this optimizer holds (null: all that require gradients).</summary>
    public ParameterGroupRule? Part { get; private init; }

    /// <summary>Whether this is a custom recipe (<see cref="Optim.Custom"/>), built by the user's function.</summary>
    public bool IsCustom => _custom is not null;

    /// <summary>The same recipe with TorchSharp's per-tensor optimizer instead of the flat one.</summary>
    public OptimizerRecipe WithTorchSharp() => IsCustom ? throw new InvalidOperationException($"Custom recipe '{Name}' builds its own optimizer.") : this with { Implementation = OptimizerImplementation.TorchSharp };

    /// <summary>The same recipe with the given implementation.</summary>
    public OptimizerRecipe With(OptimizerImplementation implementation) => implementation == OptimizerImplementation.TorchSharp ? WithTorchSharp() : this with { Implementation = implementation };

    /// <summary>
    /// A parameter group: the parameters of the module <paramref name="module"/> (a dotted name such as <c>head</c> or
    /// <c>features.3</c>, with everything inside it) get their own learning rate and/or weight decay. The first rule that
    /// selects a parameter wins.
    /// </summary>
    public OptimizerRecipe Group(string module, double? learningRate = null, double? weightDecay = null) =>
        Group(module, ModuleSelects(module), learningRate, weightDecay);

    /// <summary>A parameter group of the parameters whose names <paramref name="selects"/> accepts (see <see cref="Group(string, double?, double?)"/>).</summary>
    public OptimizerRecipe Group(string description, Func<string, bool> selects, double? learningRate = null, double? weightDecay = null)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(selects);
        if (IsCustom)
            throw new InvalidOperationException($"Custom recipe '{Name}' makes its own parameter groups.");
        // A group's rate may be 0 (a part held still by its rate, as PyTorch allows); the recipe's own must be positive.
        if (learningRate is { } rate && !(rate >= 0 && double.IsFinite(rate)))
            throw new ArgumentOutOfRangeException(nameof(learningRate), rate, $"Parameter group '{description}': the learning rate is {rate}; it must be a finite number ≥ 0.");
        if (weightDecay is { } decay && !(decay >= 0 && double.IsFinite(decay)))
            throw new ArgumentOutOfRangeException(nameof(weightDecay), decay, $"Parameter group '{description}': the weight decay is {decay}; it must be a finite number ≥ 0.");
        return this with { Groups = [.. Groups, new ParameterGroupRule(description, selects, learningRate, weightDecay)] };
    }

    /// <summary>
    /// This optimizer holds only the parameters of the module <paramref name="module"/> (a dotted name, e.g.
    /// <c>discriminator</c>): for steps with several optimizers, such as a GAN's.
    /// </summary>
    public OptimizerRecipe Of(string module) => this with { Part = new ParameterGroupRule(module, ModuleSelects(module)) };

    /// <summary>
    /// Builds the optimizer over <paramref name="model"/>'s trainable parameters (those <see cref="Part"/> selects), as
    /// they are now: call it after the model is on its device and its layers are final.
    /// </summary>
    /// <exception cref="ArgumentException">No trainable parameter is selected, or a group selects none.</exception>
    public optim.Optimizer Build(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var named = model.named_parameters().Where(p => p.parameter.requires_grad && (Part?.Selects(p.name) ?? true)).ToList();
        if (named.Count == 0)
            throw new ArgumentException($"Optimizer recipe {this}: the model ({model.GetName()}) has no trainable parameter{(Part is null ? "" : $" in '{Part.Description}'")}; " +
                "freeze less, or check the module name.", nameof(model));
        if (_custom is not null)
            return _custom(named.Select(p => p.parameter).ToList());
        var groups = new List<(IReadOnlyList<Parameter> Parameters, OptimizerSettings Settings)>
        {
            (named.Where(p => !Groups.Any(g => g.Selects(p.name))).Select(p => p.parameter).ToList(), Settings),
        };
        foreach (var rule in Groups)
        {
            var taken = named.Where(p => Groups.FirstOrDefault(g => g.Selects(p.name)) == rule).Select(p => p.parameter).ToList();
            if (taken.Count == 0)
                throw new ArgumentException($"Optimizer recipe {this}: parameter group '{rule.Description}' selects no trainable parameter of the model ({model.GetName()}).", nameof(model));
            groups.Add((taken, Settings with { LearningRate = rule.LearningRate ?? Settings.LearningRate, WeightDecay = rule.WeightDecay ?? Settings.WeightDecay }));
        }
        if (groups[0].Parameters.Count == 0)
            groups.RemoveAt(0);
        return Optimizers.CreateWithGroups(Name, groups, Implementation);
    }

    /// <summary>"adam (lr 0.003, flat)" — the recipe, for messages.</summary>
    public override string ToString() => IsCustom ? Name
        : $"{Name} (lr {Settings.LearningRate:G4}{(Groups.Count > 0 ? $", {Groups.Count} group(s)" : "")}{(Part is null ? "" : $", of {Part.Description}")}, " +
          $"{(Implementation == OptimizerImplementation.Flat && Optimizers.HasFlat(Name) ? "flat" : "TorchSharp")})";

    /// <summary>The module itself and everything inside it: "head" selects "head.weight" and "head.0.bias", not "header.weight".</summary>
    static Func<string, bool> ModuleSelects(string module)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(module);
        var prefix = module.TrimEnd('.') + ".";
        return name => name.StartsWith(prefix, StringComparison.Ordinal);
    }
}

/// <summary>
/// Optimizer recipes for a <see cref="Trainer"/> (and agents): <c>Optim.Adam(3e-3)</c>, <c>Optim.Sgd(0.1, momentum: 0.9)</c>.
/// The trainer builds them after the model is on its device; flat and fused where such an optimizer exists,
/// TorchSharp's by <see cref="OptimizerRecipe.WithTorchSharp"/>.
/// </summary>
public static class Optim
{
    /// <summary>Adam (Kingma and Ba), PyTorch's defaults: β = (0.9, 0.999), ε = 1e-8, L2 weight decay in the gradient.</summary>
    public static OptimizerRecipe Adam(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double weightDecay = 0) =>
        new("adam", new OptimizerSettings { LearningRate = learningRate, Betas = (beta1, beta2), WeightDecay = weightDecay });

    /// <summary>AdamW: Adam with decoupled weight decay (PyTorch's default 0.01).</summary>
    public static OptimizerRecipe AdamW(double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double weightDecay = 0.01) =>
        new("adamw", new OptimizerSettings { LearningRate = learningRate, Betas = (beta1, beta2), WeightDecay = weightDecay });

    /// <summary>Stochastic gradient descent, with optional (Nesterov) momentum and L2 weight decay.</summary>
    public static OptimizerRecipe Sgd(double learningRate, double momentum = 0, bool nesterov = false, double weightDecay = 0) =>
        new(nesterov ? "nesterov" : "sgd", new OptimizerSettings { LearningRate = learningRate, Momentum = momentum, WeightDecay = weightDecay });

    /// <summary>RMSprop (α = 0.99, ε = 1e-8), with optional momentum.</summary>
    public static OptimizerRecipe RmsProp(double learningRate = 1e-2, double momentum = 0, double weightDecay = 0) =>
        new("rmsprop", new OptimizerSettings { LearningRate = learningRate, Momentum = momentum, WeightDecay = weightDecay });

    /// <summary>Adagrad (TorchSharp's; no flat version).</summary>
    public static OptimizerRecipe Adagrad(double learningRate = 1e-2, double weightDecay = 0) =>
        new("adagrad", new OptimizerSettings { LearningRate = learningRate, WeightDecay = weightDecay });

    /// <summary>Adadelta (TorchSharp's; no flat version).</summary>
    public static OptimizerRecipe Adadelta(double learningRate = 1.0, double weightDecay = 0) =>
        new("adadelta", new OptimizerSettings { LearningRate = learningRate, WeightDecay = weightDecay });

    /// <summary>An optimizer by name (<see cref="Optimizers.Names"/>), for configurations and the command line.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Optimizers.Names"/>, or a setting is out of range.</exception>
    public static OptimizerRecipe Named(string name, OptimizerSettings? settings = null)
    {
        var recipe = new OptimizerRecipe(name, settings ?? new OptimizerSettings());
        return settings is { Flat: false } ? recipe.WithTorchSharp() : recipe;
    }

    /// <summary>
    /// Any optimizer, made by <paramref name="build"/> from the trainable parameters when training starts (e.g.
    /// <c>Optim.Custom("lbfgs", ps =&gt; optim.LBFGS(ps))</c>).
    /// </summary>
    public static OptimizerRecipe Custom(string description, Func<IReadOnlyList<Parameter>, optim.Optimizer> build) => new(description, build);
}
