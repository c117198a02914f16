using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>The trainer's check, before the first step, that its optimizers hold exactly the model's trainable parameters.</summary>
static class OptimizerCoverage
{
    const string Advice = "Build the optimizers after ReplaceHead (or any other change of the model's layers): a new Trainer builds its optimizers at its first Fit.";

    /// <summary>
    /// Refuses optimizers that no longer match the model: a parameter they update that the model does not use, or a
    /// trainable parameter of the model that none updates. Both mean the model changed after the optimizers were made
    /// (<c>TransferLearning.ReplaceHead</c>, a layer swapped by hand): the new layer would silently stay untrained —
    /// or, under TorchSharp's optimizers, the first step would fail with a bare <c>KeyNotFoundException</c>.
    /// </summary>
    public static void Check(nn.Module model, IReadOnlyList<optim.Optimizer> optimizers)
    {
        // Only optimizers with managed parameter groups name their parameters by object (a native one makes new wrappers).
        if (optimizers.Any(o => o is not TorchSharp.Modules.OptimizerHelper))
            return;
        var named = model.named_parameters().ToList();
        var inModel = new HashSet<TorchSharp.Modules.Parameter>(named.Select(p => p.parameter), ReferenceEqualityComparer.Instance);
        var held = new HashSet<TorchSharp.Modules.Parameter>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < optimizers.Count; i++)
        {
            // TorchSharp's optimizers keep the parameter list they were given and read it again at every step: given a
            // lazy model.parameters(), they see a new layer without state (the first step would end in KeyNotFoundException).
            // Their state dict looks every parameter's state up, so it fails the same way, before anything has changed.
            if (optimizers[i] is TorchSharp.Modules.OptimizerHelper helper and not FlatOptimizer)
            {
                try
                {
                    _ = helper.state_dict();
                }
                catch (KeyNotFoundException e)
                {
                    throw new InvalidOperationException($"Optimizer {i} ({optimizers[i].GetType().Name}) has no state for some of the parameters it now reads from " +
                        $"the model ({model.GetName()}): the model changed after the optimizer was made (e.g. TransferLearning.ReplaceHead swapped its head), " +
                        "so the new layer was never given to it. " + Advice, e);
                }
            }
            var groups = optimizers[i].ParamGroups.OfType<TorchSharp.Modules.ParamGroup>().ToList();
            for (var g = 0; g < groups.Count; g++)
            {
                var parameters = groups[g].Parameters.ToList();
                for (var k = 0; k < parameters.Count; k++)
                {
                    var parameter = parameters[k];
                    held.Add(parameter);
                    if (!inModel.Contains(parameter))
                        throw new InvalidOperationException($"Optimizer {i} ({optimizers[i].GetType().Name}), parameter group {g}: parameter {k} " +
                            $"{(parameter.IsInvalid ? "(disposed)" : Shapes.Format(parameter.shape))} is not one of the model's ({model.GetName()}): the model changed after " +
                            "the optimizer was made (e.g. TransferLearning.ReplaceHead swapped its head out), and the optimizer would train a layer the model no " +
                            "longer uses while the new one stays untrained. " + Advice + " " +
                            "A parameter trained beside the model (e.g. in the loss) belongs in the model, whose state the trainer checkpoints.");
                }
            }
        }
        foreach (var (name, parameter) in named)
        {
            if (parameter.requires_grad && !held.Contains(parameter))
                throw new InvalidOperationException($"The model's parameter '{name}' {Shapes.Format(parameter.shape)} requires a gradient, but no optimizer of this trainer " +
                    "holds it, so it would never be trained. If the layer was put in after the optimizer was made (e.g. by TransferLearning.ReplaceHead), " +
                    Advice + " To keep the parameter fixed on purpose, freeze it (requires_grad = false, e.g. TransferLearning.Freeze).");
        }
    }
}
