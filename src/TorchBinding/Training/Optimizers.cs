using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>Settings of an optimizer chosen by name; each optimizer uses those it has.</summary>
public sealed record OptimizerSettings
{
    /// <summary>Learning rate (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>L2 weight decay (AdamW: decoupled), default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Momentum for sgd-family and rmsprop (the names "momentum" and "nesterov" default it to 0.9).</summary>
    public double? Momentum { get; init; }

    /// <summary>Adam's β1 and β2 (default 0.9, 0.999).</summary>
    public (double Beta1, double Beta2) Betas { get; init; } = (0.9, 0.999);

    /// <summary>
    /// Use the flat-buffer optimizers (<see cref="FlatOptimizer"/>) for sgd, momentum, nesterov, rmsprop, adam and adamw
    /// (default true): the same trajectories, a few kernels per step instead of several per tensor. False gives
    /// TorchSharp's own per-tensor optimizers.
    /// </summary>
    public bool Flat { get; init; } = true;

    /// <summary>
    /// Refuses settings outside their ranges, for every optimizer alike (TorchSharp's own optimizers check fewer, and a
    /// NaN momentum or β₁ = 1 would only show as NaN weights a few steps later).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range; the message names it, its value and the range.</exception>
    public void Validate()
    {
        Check(nameof(LearningRate), LearningRate, LearningRate > 0, "(0, ∞)");
        Check(nameof(WeightDecay), WeightDecay, WeightDecay >= 0, "[0, ∞)");
        if (Momentum is { } momentum)
            Check(nameof(Momentum), momentum, momentum is >= 0 and < 1, "[0, 1)");
        Check("Betas.Beta1", Betas.Beta1, Betas.Beta1 is >= 0 and < 1, "[0, 1)");
        Check("Betas.Beta2", Betas.Beta2, Betas.Beta2 is >= 0 and < 1, "[0, 1)");
    }

    static void Check(string name, double value, bool valid, string range)
    {
        if (!valid || !double.IsFinite(value))
            throw new ArgumentOutOfRangeException(name, value, $"OptimizerSettings.{name} is {value}; it must be a finite number in {range}.");
    }
}

/// <summary>
/// Optimizers by name, for configurations and the command line: <c>sgd</c>, <c>momentum</c> (SGD with momentum
/// 0.9), <c>nesterov</c> (SGD with Nesterov momentum 0.9), <c>adagrad</c>, <c>adadelta</c>, <c>rmsprop</c>,
/// <c>adam</c>, <c>adamw</c>. All but adagrad and adadelta are flat-buffer optimizers unless
/// <see cref="OptimizerSettings.Flat"/> is false. <see cref="Optim"/> makes the same optimizers as recipes.
/// </summary>
public static class Optimizers
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw"];

    /// <summary>Creates the named optimizer over <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>, or a setting is out of range.</exception>
    public static optim.Optimizer Create(string name, IEnumerable<Parameter> parameters, OptimizerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        settings ??= new OptimizerSettings();
        settings.Validate();
        return CreateWithGroups(name, [(parameters.ToList(), settings)], settings.Flat ? OptimizerImplementation.Flat : OptimizerImplementation.TorchSharp);
    }

    /// <summary>The name in the form <see cref="Names"/> lists it.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>.</exception>
    internal static string Normalize(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().ToLowerInvariant();
        return Names.Contains(key) ? key : throw new ArgumentException($"Optimizer '{name}' is not one of: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Whether a flat-buffer version of the named optimizer exists.</summary>
    internal static bool HasFlat(string name) => name is not ("adagrad" or "adadelta");

    /// <summary>
    /// The named optimizer over parameter groups, each with its own settings (its learning rate and weight decay; the
    /// other settings are the first group's, as one optimizer holds them).
    /// </summary>
    internal static optim.Optimizer CreateWithGroups(string name, IReadOnlyList<(IReadOnlyList<Parameter> Parameters, OptimizerSettings Settings)> groups, OptimizerImplementation implementation)
    {
        var key = Normalize(name);
        var first = groups[0].Settings;
        var (beta1, beta2) = first.Betas;
        // The momentum the name implies: "momentum" and "nesterov" mean 0.9 unless one is given.
        var momentum = first.Momentum ?? (key is "momentum" or "nesterov" ? 0.9 : 0);
        var nesterov = key == "nesterov";
        // AdamW's decoupled decay defaults to PyTorch's 0.01 when none is given.
        double Decay(OptimizerSettings s) => key == "adamw" && s.WeightDecay == 0 ? 0.01 : s.WeightDecay;
        if (implementation == OptimizerImplementation.Flat && HasFlat(key))
        {
            return key switch
            {
                "sgd" or "momentum" or "nesterov" => new FlatSgd(groups.Select(g => new ParamGroup<FlatSgd.Options>(g.Parameters,
                    new FlatSgd.Options { LearningRate = g.Settings.LearningRate, Momentum = momentum, WeightDecay = Decay(g.Settings), Nesterov = nesterov }))),
                "rmsprop" => new FlatRmsProp(groups.Select(g => new ParamGroup<FlatRmsProp.Options>(g.Parameters,
                    new FlatRmsProp.Options { LearningRate = g.Settings.LearningRate, Alpha = 0.99, Epsilon = 1e-8, WeightDecay = Decay(g.Settings), Momentum = momentum }))),
                _ => new FlatAdam(groups.Select(g => new ParamGroup<FlatAdam.Options>(g.Parameters,
                    new FlatAdam.Options { LearningRate = g.Settings.LearningRate, Beta1 = beta1, Beta2 = beta2, Epsilon = 1e-8, WeightDecay = Decay(g.Settings), Decoupled = key == "adamw" }))),
            };
        }
        var lr = first.LearningRate;
        return key switch
        {
            "sgd" or "momentum" or "nesterov" => optim.SGD(groups.Select(g => new SGD.ParamGroup(g.Parameters, g.Settings.LearningRate, momentum, 0, Decay(g.Settings), nesterov, false)),
                lr, momentum, 0, Decay(first), nesterov, false),
            "adagrad" => optim.Adagrad(groups.Select(g => new Adagrad.ParamGroup(g.Parameters, g.Settings.LearningRate, 0, Decay(g.Settings), 0, 1e-10)), lr, 0, Decay(first), 0, 1e-10),
            "adadelta" => optim.Adadelta(groups.Select(g => new Adadelta.ParamGroup(g.Parameters, g.Settings.LearningRate, 0.9, 1e-6, Decay(g.Settings), false)), lr, 0.9, 1e-6, Decay(first), false),
            "rmsprop" => optim.RMSProp(groups.Select(g => new RMSProp.ParamGroup(g.Parameters, g.Settings.LearningRate, 1e-8, 0.99, Decay(g.Settings), momentum, false)),
                lr, 0.99, 1e-8, Decay(first), momentum, false, false),
            "adam" => optim.Adam(groups.Select(g => new Adam.ParamGroup(g.Parameters, g.Settings.LearningRate, beta1, beta2, 1e-8, Decay(g.Settings), false, false)),
                lr, beta1, beta2, 1e-8, Decay(first), false, false),
            _ => optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters, g.Settings.LearningRate, beta1, beta2, 1e-8, Decay(g.Settings), false, false)),
                lr, beta1, beta2, 1e-8, Decay(first), false, false),
        };
    }
}
