using static TorchSharp.torch;

namespace TorchBinding.Training.Callbacks;

/// <summary>
/// Stops training when the loss or a gradient becomes NaN or infinite, before the optimizer step would
/// spread it into the weights, with a message naming the epoch, the step and what went bad (the loss, or
/// the first parameter whose gradient did). The trainer adds it unless <see cref="TrainerOptions.StopOnNonFinite"/> is off.
/// </summary>
public sealed class NonFiniteGuard : TrainingCallback
{
    /// <inheritdoc/>
    public override void OnAfterBackward(TrainingContext context)
    {
        if (context.CurrentLoss is { } loss)
        {
            var value = loss.detach().to(float64).sum().item<double>();
            if (!double.IsFinite(value))
            {
                Stop(context, $"the loss became {Describe(value)} at {context.Position}");
                return;
            }
        }
        foreach (var (name, parameter) in context.Model.named_parameters())
        {
            if (parameter.grad is not { } gradient)
                continue;
            using var finite = gradient.isfinite().all();
            if (!finite.item<bool>())
            {
                using var sum = gradient.sum();
                Stop(context, $"the gradient of '{name}' became {Describe(sum.to(float64).item<double>())} at {context.Position} (the loss was {context.CurrentLoss?.to(float64).sum().item<double>():G6})");
                return;
            }
        }
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        // A custom step may skip AfterBackward: check the logged loss too.
        if (context.LastStep.TryGetValue("loss", out var loss) && !double.IsFinite(loss))
            Stop(context, $"the loss became {Describe(loss)} at epoch {context.Epoch}, step {context.BatchInEpoch + 1} (global step {context.GlobalStep})");
    }

    static string Describe(double value) => double.IsNaN(value) ? "NaN" : "infinite";

    static void Stop(TrainingContext context, string what)
    {
        context.SkipOptimizerStep();
        context.RequestStop($"training stopped: {what}");
    }
}
