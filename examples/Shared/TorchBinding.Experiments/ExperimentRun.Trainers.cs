using TorchBinding.Losses;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Experiments;

public sealed partial class ExperimentRun
{
    /// <summary>
    /// A supervised trainer for this run: <paramref name="model"/> is moved to <see cref="Device"/>, and the training
    /// shuffle is seeded with <see cref="Seed"/> unless <paramref name="options"/> names a seed of its own (a loop over
    /// seeds keeps <c>Seed = seed</c>). Otherwise the trainer is <c>new Trainer(model, loss, optimizer, options)</c>.
    /// </summary>
    /// <example><c>var trainer = run.Trainer(model, (o, y) =&gt; nn.functional.cross_entropy(o, y), Optim.Adam(1e-3), new TrainerOptions { Epochs = 5 });</c></example>
    public Training.Trainer Trainer(nn.Module<Tensor, Tensor> model, LossFunction loss, OptimizerRecipe optimizer, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        model.to(Device);
        return new Training.Trainer(model, loss, optimizer, Seeded(options));
    }

    /// <summary>A trainer for this run with a custom step and one optimizer recipe: the step's model is moved to <see cref="Device"/>, the shuffle seeded as in <see cref="Trainer(nn.Module{Tensor, Tensor}, LossFunction, OptimizerRecipe, TrainerOptions?)"/>.</summary>
    public Training.Trainer Trainer(ITrainingStep step, OptimizerRecipe optimizer, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        step.Model?.to(Device);
        return new Training.Trainer(step, optimizer, Seeded(options));
    }

    /// <summary>A trainer for this run with a custom step and several optimizer recipes (a GAN's): the step's model is moved to <see cref="Device"/>, the shuffle seeded as in <see cref="Trainer(nn.Module{Tensor, Tensor}, LossFunction, OptimizerRecipe, TrainerOptions?)"/>.</summary>
    public Training.Trainer Trainer(ITrainingStep step, IReadOnlyList<OptimizerRecipe> optimizers, TrainerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(step);
        step.Model?.to(Device);
        return new Training.Trainer(step, optimizers, Seeded(options));
    }

    TrainerOptions Seeded(TrainerOptions? options)
    {
        options ??= new TrainerOptions();
        return options.Seed is null ? options with { Seed = Seed } : options;
    }
}
