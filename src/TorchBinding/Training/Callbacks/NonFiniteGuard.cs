using static TorchSharp.torch;

namespace TorchBinding.Training.Callbacks;

/// <summary>
/// Stops training when the loss or a gradient becomes NaN or infinite, with a message naming the epoch, the
/// step and what went bad. The loss is checked before every optimizer step (its value is read anyway, so
/// this costs nothing), and a non-finite loss is never applied. When it is non-finite although the previous
/// steps were fine, the weights tell why: finite weights mean the loss itself went bad; non-finite weights
/// mean an earlier update carried a non-finite gradient in. With <c>checkGradients</c>, every gradient is
/// checked too (one fused norm over all of them), so such an update is stopped before it happens. The trainer
/// adds this guard as <see cref="TrainerOptions.NonFiniteCheck"/> says.
/// </summary>
/// <param name="checkGradients">Also check the gradients before every optimizer step.</param>
public sealed class NonFiniteGuard(bool checkGradients = false) : TrainingCallback
{
    /// <summary>Whether gradients are checked before every step.</summary>
    public bool CheckGradients { get; } = checkGradients;

    /// <inheritdoc/>
    public override void OnAfterBackward(TrainingContext context)
    {
        if (context.CurrentLoss is null)
            return;
        if (!double.IsFinite(context.CurrentLossValue))
        {
            Stop(context, LossMessage(context, context.CurrentLossValue, context.Position));
            return;
        }
        if (!CheckGradients)
            return;
        var withGradients = context.Model.parameters().Where(p => p.grad is not null).ToList();
        // With an infinite bound nothing is rescaled: this is one native call returning the total norm.
        if (withGradients.Count == 0 || double.IsFinite(nn.utils.clip_grad_norm_(withGradients, double.PositiveInfinity)))
            return;
        var (name, value) = FirstNonFinite(context.Model.named_parameters().Where(p => p.parameter.grad is not null).Select(p => (p.name, p.parameter.grad!)));
        Stop(context, $"the gradient of '{name}' became {Describe(value)} at {context.Position} (the loss was {context.CurrentLossValue:G6})");
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        // A custom step may not call AfterBackward: check the logged loss too.
        if (!context.StopRequested && context.LastStep.TryGetValue("loss", out var loss) && !double.IsFinite(loss))
            Stop(context, LossMessage(context, loss, $"epoch {context.Epoch}, step {context.BatchInEpoch + 1} (global step {context.GlobalStep})"));
    }

    static string LossMessage(TrainingContext context, double loss, string position)
    {
        var weights = context.Model.named_parameters().Select(p => (p.name, (Tensor)p.parameter)).ToList();
        var (name, value) = FirstNonFinite(weights);
        return name is null
            ? $"the loss became {Describe(loss)} at {position}"
            : $"the loss became {Describe(loss)} at {position} because the weights are no longer finite ('{name}' holds {Describe(value)}): " +
              "a gradient became non-finite in the update of the step before, while the loss was still finite. " +
              "NonFiniteCheck.LossAndGradients stops before such an update.";
    }

    static (string? Name, double Value) FirstNonFinite(IEnumerable<(string Name, Tensor Values)> tensors)
    {
        foreach (var (name, values) in tensors)
        {
            using var scope = NewDisposeScope();
            if (!values.isfinite().all().item<bool>())
            {
                var bad = values.masked_select(values.isfinite().logical_not())[0].to(ScalarType.Float64).item<double>();
                return (name, bad);
            }
        }
        return (null, 0);
    }

    static string Describe(double value) => double.IsNaN(value) ? "NaN" : "infinite";

    static void Stop(TrainingContext context, string what)
    {
        context.SkipOptimizerStep();
        context.RequestStop($"training stopped: {what}");
    }
}
