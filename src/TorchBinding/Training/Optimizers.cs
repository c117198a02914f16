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
/// <see cref="OptimizerSettings.Flat"/> is false.
/// </summary>
public static class Optimizers
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam", "adamw"];

    /// <summary>Creates the named optimizer over <paramref name="parameters"/>.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>, or a setting is out of range.</exception>
    public static optim.Optimizer Create(string name, IEnumerable<Parameter> parameters, OptimizerSettings? settings = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        settings ??= new OptimizerSettings();
        settings.Validate();
        var lr = settings.LearningRate;
        var decay = settings.WeightDecay;
        var (beta1, beta2) = settings.Betas;
        var key = name.Trim().ToLowerInvariant();
        if (settings.Flat)
        {
            switch (key)
            {
                case "sgd": return new FlatSgd(parameters, lr, settings.Momentum ?? 0, weightDecay: decay);
                case "momentum": return new FlatSgd(parameters, lr, settings.Momentum ?? 0.9, weightDecay: decay);
                case "nesterov": return new FlatSgd(parameters, lr, settings.Momentum ?? 0.9, weightDecay: decay, nesterov: true);
                case "rmsprop": return new FlatRmsProp(parameters, lr, 0.99, 1e-8, decay, settings.Momentum ?? 0);
                case "adam": return new FlatAdam(parameters, lr, beta1, beta2, 1e-8, decay);
                case "adamw": return FlatAdam.AdamW(parameters, lr, beta1, beta2, 1e-8, decay == 0 ? 0.01 : decay);
            }
        }
        return key switch
        {
            "sgd" => optim.SGD(parameters, lr, settings.Momentum ?? 0, 0, decay, false, false),
            "momentum" => optim.SGD(parameters, lr, settings.Momentum ?? 0.9, 0, decay, false, false),
            "nesterov" => optim.SGD(parameters, lr, settings.Momentum ?? 0.9, 0, decay, true, false),
            "adagrad" => optim.Adagrad(parameters, lr, 0, decay, 0, 1e-10),
            "adadelta" => optim.Adadelta(parameters, lr, 0.9, 1e-6, decay, false),
            "rmsprop" => optim.RMSProp(parameters, lr, 0.99, 1e-8, decay, settings.Momentum ?? 0, false, false),
            "adam" => optim.Adam(parameters, lr, beta1, beta2, 1e-8, decay, false, false),
            "adamw" => optim.AdamW(parameters, lr, beta1, beta2, 1e-8, decay == 0 ? 0.01 : decay, false, false),
            _ => throw new ArgumentException($"Optimizer '{name}' is not one of: {string.Join(", ", Names)}.", nameof(name)),
        };
    }
}
