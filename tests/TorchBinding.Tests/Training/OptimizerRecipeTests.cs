using TorchBinding.Data;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchBinding.Training.Checkpoints;
using TorchBinding.Training.Schedules;
using TorchSharp;
using static TorchBinding.Tests.Training.TrainingFixtures;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

/// <summary>Optimizer recipes (<see cref="Optim"/>) and the trainer's automatic optimisation.</summary>
public class OptimizerRecipeTests
{
    [Test]
    public void Recipes_build_flat_optimizers_by_default_and_torchsharps_by_choice()
    {
        var model = Mlp();
        Assert.Multiple(() =>
        {
            Assert.That(Optim.Adam(3e-3).Build(model), Is.TypeOf<FlatAdam>());
            Assert.That(Optim.AdamW().Build(model), Is.TypeOf<FlatAdam>());
            Assert.That(Optim.Sgd(0.1, momentum: 0.9).Build(model), Is.TypeOf<FlatSgd>());
            Assert.That(Optim.RmsProp().Build(model), Is.TypeOf<FlatRmsProp>());
            Assert.That(Optim.Adam(3e-3).WithTorchSharp().Build(model), Is.TypeOf<TorchSharp.Modules.Adam>());
            Assert.That(Optim.Sgd(0.1).WithTorchSharp().Build(model), Is.TypeOf<TorchSharp.Modules.SGD>());
            Assert.That(Optim.Adagrad().Build(model), Is.TypeOf<TorchSharp.Modules.Adagrad>(), "no flat Adagrad: TorchSharp's");
            Assert.That(Optim.Named("nesterov", new OptimizerSettings { LearningRate = 0.1, Flat = false }).Build(model), Is.TypeOf<TorchSharp.Modules.SGD>());
            Assert.That(Optim.Adam(3e-3).ToString(), Is.EqualTo("adam (lr 0.003, flat)"));
            Assert.That(() => Optim.Named("adamax"), Throws.ArgumentException.With.Message.Contain("'adamax' is not one of: sgd, momentum"));
            Assert.That(() => Optim.Adam(-1), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("LearningRate is -1"));
        });
    }

    [Test]
    public void A_recipe_gives_the_same_trajectory_as_the_optimizer_made_by_hand()
    {
        // Same settings, flat or TorchSharp's: the per-element arithmetic is PyTorch's, so 20 steps agree closely.
        var x = randn(32, 64, generator: new Generator(1));
        var y = randint(0, 10, 32, generator: new Generator(2));
        float[] Train(Func<nn.Module, optim.Optimizer> make)
        {
            Seeding.SeedEverything(3);
            var model = nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10));
            var optimizer = make(model);
            for (var i = 0; i < 20; i++)
            {
                optimizer.zero_grad();
                nn.functional.cross_entropy(model.call(x), y).backward();
                optimizer.step();
            }
            return model.parameters().SelectMany(p => p.data<float>().ToArray()).ToArray();
        }
        var byHand = Train(m => optim.Adam(m.parameters(), 3e-3, weight_decay: 1e-4));
        Assert.Multiple(() =>
        {
            Assert.That(Train(m => Optim.Adam(3e-3, weightDecay: 1e-4).WithTorchSharp().Build(m)), Is.EqualTo(byHand), "TorchSharp's, bit for bit");
            Assert.That(Train(m => Optim.Adam(3e-3, weightDecay: 1e-4).Build(m)), Is.EqualTo(byHand).Within(1e-5), "flat");
        });
    }

    [Test]
    public void Parameter_groups_and_parts_select_parameters_by_module_name()
    {
        var model = nn.Sequential(("body", nn.Sequential(("conv", nn.Linear(4, 4)), ("norm", nn.LayerNorm(4)))), ("head", nn.Linear(4, 2)), ("header", nn.Linear(2, 2)));
        var grouped = Optim.Adam(1e-3).Group("head", learningRate: 1e-2).Group("body.norm", learningRate: 0, weightDecay: 0.5).Build(model);
        var groups = grouped.ParamGroups.ToList();
        var bodyOnly = Optim.Sgd(0.1).Of("body").Build(model);
        Assert.Multiple(() =>
        {
            // Unselected parameters first, at the recipe's settings; "head" does not take "header".
            Assert.That(groups.Select(g => g.LearningRate), Is.EqualTo(new[] { 1e-3, 1e-2, 0.0 }));
            Assert.That(groups.Select(g => ((TorchSharp.Modules.ParamGroup)g).Parameters.Count()), Is.EqualTo(new[] { 4, 2, 2 }), "body.conv + header, head, body.norm");
            Assert.That(((TorchSharp.Modules.ParamGroup<FlatAdam.Options>)groups[2]).Options.WeightDecay, Is.EqualTo(0.5));
            Assert.That(bodyOnly.parameters().Count(), Is.EqualTo(4), "the body's weight and bias of conv and norm");
            Assert.That(() => Optim.Adam().Group("tail").Build(model), Throws.ArgumentException.With.Message.Contain("parameter group 'tail' selects no trainable parameter"));
            Assert.That(() => Optim.Adam().Of("tail").Build(model), Throws.ArgumentException.With.Message.Contain("has no trainable parameter in 'tail'"));
            Assert.That(() => Optim.Adam().Group("head", learningRate: double.NaN), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("'head': the learning rate is NaN"));
        });
    }

    [Test]
    public void The_trainer_builds_its_optimizer_after_the_model_is_converted()
    {
        // TorchSharp's .to(dtype) (as .to(device)) replaces the parameter objects: an optimizer made before would update
        // the old ones. A recipe given before the conversion is built at the first Fit, over the new parameters.
        var (train, test) = Digits();
        using (train)
        using (test)
        {
            Seeding.SeedEverything(2);
            var model = Mlp();
            var trainer = new Trainer(model, CrossEntropy, Optim.Adam(1e-2), new TrainerOptions { Epochs = 3, BatchSize = 32, Seed = 1, Progress = false });
            model.to(float64);
            var before = model.parameters().First().clone();
            trainer.Fit(train.WithInputs(train.Inputs.to(float64)));
            Assert.Multiple(() =>
            {
                Assert.That(trainer.Optimizers.Single().parameters().All(p => p.dtype == float64), Is.True);
                Assert.That(model.parameters().First().equal(before).all().item<bool>(), Is.False, "the converted model learned");
                Assert.That(trainer.Evaluate(test.WithInputs(test.Inputs.to(float64)))["loss"], Is.LessThan(0.5));
            });
        }
    }

    [Test]
    public void The_trainer_minimises_a_steps_objective_and_logs_its_loss()
    {
        // The objective is the loss plus a penalty; the logged loss stays the data term. With SGD at rate 0.5 on a lone
        // weight w (input 0, so the data term is constant), one step moves w by −0.5 · d(w²)/dw = −w.
        var model = nn.Linear(1, 1, hasBias: false);
        using (no_grad())
            model.weight!.fill_(2.0);
        var step = new PenalizedStep(model);
        using var data = new InMemoryDataset(zeros(1, 1), zeros(1, 1), "zero");
        var history = new Trainer(step, Optim.Sgd(0.5), new TrainerOptions { Epochs = 1, BatchSize = 1, Progress = false }).Fit(data);
        Assert.Multiple(() =>
        {
            Assert.That(model.weight!.item<float>(), Is.EqualTo(0f), "w − 0.5 · 2w");
            Assert.That(history.StepLosses.Single(), Is.EqualTo(0.0), "the data term, not data + penalty (4)");
        });
    }

    sealed class PenalizedStep(nn.Module<Tensor, Tensor> model) : ITrainingStep
    {
        public nn.Module Model => model;

        public StepResult TrainStep(Batch batch, TrainingContext context)
        {
            var loss = nn.functional.mse_loss(model.call(batch.Inputs), batch.Targets);
            return new StepResult(loss, Objective: loss + model.parameters().First().square().sum());
        }

        public StepResult EvaluationStep(Batch batch, TrainingContext context) => new(nn.functional.mse_loss(model.call(batch.Inputs), batch.Targets));
    }

    [Test]
    public void A_schedule_drives_every_optimizer_of_a_manually_optimised_step()
    {
        // Two optimizers at 0.1 and 0.01, stepped in turn by the step; a step decay halves both after each epoch.
        var model = nn.Sequential(("a", nn.Linear(2, 1)), ("b", nn.Linear(2, 1)));
        using var data = new InMemoryDataset(rand(8, 2), rand(8, 1), "eight");
        var trainer = new Trainer(new TwoPartStep(model), [Optim.Sgd(0.1).Of("a"), Optim.Sgd(0.01).Of("b")], new TrainerOptions
        {
            Epochs = 3, BatchSize = 4, Progress = false, Callbacks = [new LearningRateScheduler(new StepDecay(1, 0.5), ScheduleInterval.Epoch)],
        });
        trainer.Fit(data);
        Assert.Multiple(() =>
        {
            Assert.That(trainer.Optimizers[0].ParamGroups.Single().LearningRate, Is.EqualTo(0.1 * 0.25).Within(1e-15));
            Assert.That(trainer.Optimizers[1].ParamGroups.Single().LearningRate, Is.EqualTo(0.01 * 0.25).Within(1e-15), "the second optimizer is scheduled too");
            Assert.That(() => new Trainer(new TwoPartStep(model, optimizerOfB: 2), [Optim.Sgd(0.1).Of("a"), Optim.Sgd(0.01).Of("b")], new TrainerOptions { Progress = false }).Fit(data),
                Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("This trainer has 2 optimizer(s); there is no optimizer 2"));
        });
    }

    sealed class TwoPartStep(TorchSharp.Modules.Sequential model, int optimizerOfB = 1) : ITrainingStep
    {
        public nn.Module Model => model;

        public bool AutomaticOptimization => false;

        public StepResult TrainStep(Batch batch, TrainingContext context)
        {
            var a = nn.functional.mse_loss(((nn.Module<Tensor, Tensor>)model[0]).call(batch.Inputs), batch.Targets);
            context.Minimize(a, 0);
            var b = nn.functional.mse_loss(((nn.Module<Tensor, Tensor>)model[1]).call(batch.Inputs), batch.Targets);
            context.Minimize(b, optimizerOfB);
            return new StepResult(a.detach() + b.detach());
        }

        public StepResult EvaluationStep(Batch batch, TrainingContext context) => new(tensor(0.0));
    }

    [TestCase(true)]
    [TestCase(false)]
    public void A_checkpoint_written_by_torchsharps_optimizer_resumes_with_a_flat_recipe_exactly(bool recorded)
    {
        // Before recipes, examples made TorchSharp's optimizers by hand, and checkpoints did not say which kind wrote
        // them (recorded: false). Resumed with today's default flat recipe, the run goes on with TorchSharp's Adam, the
        // kind that wrote the state, and ends exactly where an uninterrupted TorchSharp run ends.
        var (train, test) = Digits();
        using var folder = TestSupport.TemporaryFolder();
        using (train)
        using (test)
        {
            TrainerOptions Options(int epochs, string? resume = null) => new()
            {
                Epochs = epochs, BatchSize = 32, Seed = 5, Progress = false, ResumeFrom = resume, ProgressWriter = TextWriter.Null,
                Callbacks = [new ModelCheckpoint(folder.Path, monitor: null)],
            };
            Seeding.SeedEverything(1);
            var whole = Mlp();
            new Trainer(whole, CrossEntropy, Optim.Adam(1e-2).WithTorchSharp(), Options(2) with { Callbacks = [] }).Fit(train);

            Seeding.SeedEverything(1);
            var first = Mlp();
            new Trainer(first, CrossEntropy, Optim.Adam(1e-2).WithTorchSharp(), Options(1)).Fit(train);
            var last = Path.Combine(folder.Path, "last.ckpt");
            var written = CheckpointFile.Read(last);
            Assert.That((string?)written.Metadata[OptimizerStates.Key]![0], Is.EqualTo("torchsharp"));
            if (!recorded)
            {
                written.Metadata.Remove(OptimizerStates.Key);
                CheckpointFile.Write(last, written);
            }

            Seeding.SeedEverything(7);
            var resumed = Mlp();
            var output = new StringWriter();
            var trainer = new Trainer(resumed, CrossEntropy, Optim.Adam(1e-2), Options(2, last) with { ProgressWriter = output, Callbacks = [] });
            trainer.Fit(train);
            var (expected, actual) = (Weights(whole), Weights(resumed));
            Assert.Multiple(() =>
            {
                Assert.That(trainer.Optimizers.Single(), Is.TypeOf<TorchSharp.Modules.Adam>());
                Assert.That(output.ToString(), Does.Contain("optimizer 0 is built as TorchSharp's adam, as the checkpoint's run made it"));
                foreach (var name in expected.Keys)
                    Assert.That(actual[name], Is.EqualTo(expected[name]), $"{name} bit for bit");
            });
        }
    }
}
