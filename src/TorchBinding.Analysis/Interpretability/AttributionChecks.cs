using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Interpretability;

/// <summary>
/// Puts a model in eval mode for an explanation or an attack (batch norm with its running statistics, no dropout, so
/// each sample's score depends on that sample alone) and restores every module's own training flag afterwards.
/// </summary>
sealed class EvalMode : IDisposable
{
    readonly List<(nn.Module Module, bool Training)> _flags;

    public EvalMode(nn.Module model)
    {
        TorchRuntime.EnsureInitialized();
        _flags = [(model, model.training), .. model.modules().Select(m => (m, m.training))];
        model.eval();
    }

    public void Dispose()
    {
        // Parents first, so that each module ends with its own flag (train(bool) sets the children too).
        foreach (var (module, training) in _flags)
            module.train(training);
    }
}

/// <summary>Argument checks shared by the attribution methods.</summary>
static class AttributionChecks
{
    public static void Inputs(Tensor inputs, Tensor targets, string who)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(targets);
        if (inputs.dim() < 2)
            throw new ArgumentException($"{who}: inputs must be a batch [N, ...]; got {Shapes.Format(inputs)}.", nameof(inputs));
        if (!TensorChecks.IsFloating(inputs.dtype))
            throw new ArgumentException($"{who}: inputs must be floating point; got {inputs.dtype}.", nameof(inputs));
        if (targets.dim() != 1 || targets.shape[0] != inputs.shape[0])
            throw new ArgumentException($"{who}: targets must be one class index per input, [{inputs.shape[0]}]; got {Shapes.Format(targets)}.", nameof(targets));
        if (!TensorChecks.IsInteger(targets.dtype))
            throw new ArgumentException($"{who}: targets must be class indices (an integer dtype); got {targets.dtype}.", nameof(targets));
    }

    public static void Images(Tensor inputs, string who)
    {
        if (inputs.dim() != 4)
            throw new ArgumentException($"{who} works on images [N, C, H, W]; got {Shapes.Format(inputs)}.", nameof(inputs));
    }

    public static void Positive(int value, string name, string who)
    {
        if (value < 1)
            throw new ArgumentOutOfRangeException(name, value, $"{who}: {name} must be at least 1, got {value}.");
    }

    public static void Score(Tensor score, Tensor inputs, string who)
    {
        if (score.dim() != 1 || score.shape[0] != inputs.shape[0])
            throw new ArgumentException($"{who}: the class score must give one value per sample, [{inputs.shape[0]}]; got {Shapes.Format(score)}.");
    }
}
