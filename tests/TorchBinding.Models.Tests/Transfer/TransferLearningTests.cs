using TorchBinding.Data;
using TorchBinding.Models.Transfer;
using TorchBinding.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Transfer;

/// <summary>Freezing, learning-rate groups and the frozen batch norm callback, with the trainer and both optimizer kinds.</summary>
public class TransferLearningTests
{
    [SetUp]
    public void Seed() => TestModels.Seed(41);

    static Sequential Model() => nn.Sequential(
        ("conv", nn.Conv2d(1, 4, 3, padding: 1)), ("bn", nn.BatchNorm2d(4)), ("relu", nn.ReLU()), ("pool", nn.MaxPool2d(4)),
        ("flatten", nn.Flatten()), ("head", nn.Linear(4 * 4 * 4, 3)));

    static InMemoryDataset Data()
    {
        var images = TestModels.Images(48, 16, 16, seed: 1);
        return new InMemoryDataset(images, tensor(Enumerable.Range(0, 48).Select(i => (long)(i % 3)).ToArray()), "toy");
    }

    static Dictionary<string, Tensor> Snapshot(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    [TestCase(true)]
    [TestCase(false)]
    public void Frozen_parameters_and_statistics_are_bit_identical_after_training(bool flat)
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var summary = TransferLearning.Freeze(model, except: ["head"]);
        Assert.That(summary.Trainable, Is.EqualTo(new[] { "head.weight", "head.bias" }));
        Assert.That(summary.Frozen, Is.EqualTo(new[] { "conv.weight", "conv.bias", "bn.weight", "bn.bias" }));
        var before = Snapshot(model);
        var optimizer = flat ? Optim.Adam(1e-2) : Optim.Adam(1e-2).WithTorchSharp();
        var callback = new FrozenBatchNormCallback(model);
        Assert.That(callback.LayerCount, Is.EqualTo(1));
        using var data = Data();
        new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), optimizer, new TrainerOptions { Epochs = 2, BatchSize = 16, Seed = 1, Progress = false, Callbacks = [callback] }).Fit(data);
        var after = Snapshot(model);
        Assert.Multiple(() =>
        {
            foreach (var name in before.Keys.Where(k => !k.StartsWith("head.", StringComparison.Ordinal)))
                Assert.That(before[name].equal(after[name]).all().item<bool>(), Is.True, $"{name} unchanged");
            Assert.That(before["head.weight"].equal(after["head.weight"]).all().item<bool>(), Is.False, "the head learned");
        });
    }

    [Test]
    public void Without_the_callback_frozen_batch_norm_still_updates_its_running_statistics()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        TransferLearning.Freeze(model, except: ["head"]);
        var before = Snapshot(model);
        using var data = Data();
        new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(1e-2), new TrainerOptions { Epochs = 1, BatchSize = 16, Seed = 1, Progress = false }).Fit(data);
        var after = Snapshot(model);
        Assert.That(before["bn.running_mean"].equal(after["bn.running_mean"]).all().item<bool>(), Is.False);
        Assert.That(before["conv.weight"].equal(after["conv.weight"]).all().item<bool>(), Is.True);
    }

    [Test]
    public void Learning_rate_groups_give_each_layer_its_rate_in_flat_and_torchsharp_optimizers()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var groups = TransferLearning.LearningRateGroups(model, 0, ("head", 0.1));
        Assert.That(groups.Select(g => (g.Name, g.Parameters.Count, g.LearningRate)), Is.EqualTo(new[] { ("head", 2, 0.1), ("rest", 4, 0.0) }));
        var flat = new FlatAdam(groups.ToParamGroups<FlatAdam.Options>());
        var adam = optim.Adam(groups.ToAdamGroups());
        Assert.That(flat.ParamGroups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.1, 0.0 }));
        Assert.That(adam.ParamGroups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.1, 0.0 }));
        // The same groups as a recipe, built by the trainer: a body rate of 0 leaves the body where it was; the head moves.
        var before = Snapshot(model);
        using var data = Data();
        var trainer = new Trainer(model, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(0.1).Group("conv", learningRate: 0).Group("bn", learningRate: 0),
            new TrainerOptions { Epochs = 1, BatchSize = 16, Seed = 1, Progress = false });
        trainer.Fit(data);
        Assert.That(trainer.Optimizers.Single().ParamGroups.Select(g => g.LearningRate), Is.EqualTo(new[] { 0.1, 0.0, 0.0 }));
        var after = Snapshot(model);
        Assert.That(before["conv.weight"].equal(after["conv.weight"]).all().item<bool>(), Is.True);
        Assert.That(before["head.weight"].equal(after["head.weight"]).all().item<bool>(), Is.False);
        // Frozen parameters are left out of the groups.
        TransferLearning.Freeze(model, except: ["head"]);
        Assert.That(TransferLearning.LearningRateGroups(model, 1e-4, ("head", 1e-3)).Select(g => g.Name), Is.EqualTo(new[] { "head" }));
    }

    static void OneStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer)
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.call(TestModels.Images(8, 16, 16, seed: 2)), tensor(new long[] { 0, 1, 2, 0, 1, 2, 0, 1 })).backward();
        optimizer.step();
    }

    [Test]
    public void A_flat_optimizer_refuses_parameters_frozen_or_unfrozen_after_it_was_made()
    {
        using var scope = NewDisposeScope();
        // Frozen afterwards: the whole-buffer Adam update would still move conv by its moments, so the step refuses.
        var model = Model();
        var optimizer = new FlatAdam(model.parameters(), 1e-2);
        OneStep(model, optimizer);
        TransferLearning.Freeze(model, except: ["head"]);
        var frozen = Assert.Throws<InvalidOperationException>(() => OneStep(model, optimizer))!;
        Assert.That(frozen.Message, Does.Contain("Parameter 0 [4, 1, 3, 3] of a flat optimizer no longer requires a gradient"));
        Assert.That(frozen.Message, Does.Contain("Freeze first"));
        // Made after the freeze: conv is left out; unfreezing it later would leave it untrained, so the step refuses too.
        var second = new FlatSgd(model.parameters(), 0.1);
        Assert.That(second.Buffers.Sum(b => b.Count), Is.EqualTo(2), "only the head's weight and bias");
        OneStep(model, second);
        TransferLearning.Unfreeze(model);
        var unfrozen = Assert.Throws<InvalidOperationException>(() => OneStep(model, second))!;
        Assert.That(unfrozen.Message, Does.Contain("FlatSgd: parameter 0 [4, 1, 3, 3] of group 0 did not require a gradient when the optimizer was made"));
        // Freezing again makes the same optimizer usable: the check is about the state at each step.
        TransferLearning.Freeze(model, except: ["head"]);
        Assert.DoesNotThrow(() => OneStep(model, second));
    }

    [Test]
    public void Reinitialize_gives_the_named_layers_fresh_weights_and_leaves_the_rest()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        using (no_grad())
        {
            foreach (var p in model.parameters())
                p.fill_(0.5);
        }
        var before = Snapshot(model);
        var names = TransferLearning.Reinitialize(model, "head", "bn");
        var after = Snapshot(model);
        var head = (Linear)model[5];
        var bound = 1 / Math.Sqrt(64);                                      // Kaiming uniform, a = √5: ±1/√fan-in, as the bias
        Assert.Multiple(() =>
        {
            Assert.That(names, Is.EqualTo(new[] { "bn.weight", "bn.bias", "head.weight", "head.bias" }));
            Assert.That(before["conv.weight"].equal(after["conv.weight"]).all().item<bool>(), Is.True, "conv untouched");
            Assert.That(head.weight!.abs().max().item<float>(), Is.LessThanOrEqualTo(bound + 1e-6));
            Assert.That(head.weight!.std().item<float>(), Is.GreaterThan(bound / 4), "spread, not constant");
            Assert.That(head.bias!.abs().max().item<float>(), Is.LessThanOrEqualTo(bound + 1e-6));
            Assert.That(after["bn.weight"].eq(1).all().item<bool>() && after["bn.bias"].eq(0).all().item<bool>(), Is.True, "γ = 1, β = 0");
            Assert.That(after["bn.running_var"].eq(1).all().item<bool>(), Is.True, "fresh running variance");
        });
        Assert.That(Assert.Throws<ArgumentException>(() => TransferLearning.Reinitialize(model, "fc"))!.Message, Does.Contain("no layer 'fc'"));
    }

    [Test]
    public void Unknown_layers_are_named_with_the_layers_there_are()
    {
        using var scope = NewDisposeScope();
        var model = Model();
        var freeze = Assert.Throws<ArgumentException>(() => TransferLearning.Freeze(model, except: ["fc"]))!;
        Assert.That(freeze.Message, Does.Contain("no layer 'fc'; its layers are: conv, bn, relu, pool, flatten, head"));
        Assert.Throws<ArgumentException>(() => TransferLearning.LearningRateGroups(model, 1e-3, ("classifier", 1e-2)));
        Assert.Throws<ArgumentOutOfRangeException>(() => TransferLearning.LearningRateGroups(model, -1e-3));
        TransferLearning.Unfreeze(model);
        Assert.That(model.parameters().All(p => p.requires_grad), Is.True);
    }

    /// <summary>A body and a replaceable head, as the course's CNN and ResNet have.</summary>
    sealed class HeadNet : nn.Module<Tensor, Tensor>, IReplaceableHead
    {
        readonly Linear body;
        nn.Module<Tensor, Tensor> head;

        public HeadNet() : base(nameof(HeadNet))
        {
            body = nn.Linear(4, 8);
            head = nn.Linear(8, 3);
            RegisterComponents();
        }

        public string HeadName => "head";

        public nn.Module<Tensor, Tensor> Head => head;

        public long HeadInputFeatures => 8;

        public nn.Module<Tensor, Tensor> SwapHead(nn.Module<Tensor, Tensor> newHead)
        {
            var old = head;
            head = newHead;
            register_module(HeadName, null!);
            register_module(HeadName, newHead);
            return old;
        }

        public override Tensor forward(Tensor x) => head.call(nn.functional.relu(body.call(x)));
    }

    static InMemoryDataset FiveClasses() => new(TestModels.Images(32, 2, 2, seed: 3).reshape(32, 4), tensor(Enumerable.Range(0, 32).Select(i => (long)(i % 5)).ToArray()), "five-classes");

    static Trainer FiveClassTrainer(HeadNet model, OptimizerRecipe optimizer) =>
        new(model, (o, y) => nn.functional.cross_entropy(o, y), optimizer, new TrainerOptions { Epochs = 2, BatchSize = 8, Seed = 1, Progress = false });

    [TestCase(true)]
    [TestCase(false)]
    public void Replacing_the_head_after_the_trainer_built_its_optimizers_is_refused_before_any_step(bool flat)
    {
        using var scope = NewDisposeScope();
        var model = new HeadNet();
        var recipe = flat ? Optim.Adam(1e-2) : Optim.Adam(1e-2).WithTorchSharp();
        var trainer = FiveClassTrainer(model, recipe);
        Assert.That(trainer.Optimizers, Has.Count.EqualTo(1)); // built now, over the three-class head
        TransferLearning.ReplaceHead(model, classes: 5);
        var before = Snapshot(model);
        using var data = FiveClasses();
        // Without the check, the flat optimizer trained the old head and left the new one as it was; TorchSharp's Adam
        // failed at its first step with a bare KeyNotFoundException.
        Assert.That(() => trainer.Fit(data), Throws.InvalidOperationException
            .With.Message.Contain($"Optimizer 0 ({(flat ? "FlatAdam" : "Adam")}), parameter group 0: parameter 2 [3, 8] is not one of the model's")
            .And.Message.Contain("a new Trainer builds its optimizers at its first Fit"));
        var after = Snapshot(model);
        Assert.That(before.Keys.All(k => before[k].equal(after[k]).all().item<bool>()), Is.True, "nothing trained");
        // A trainer made after the swap builds its optimizer over the new head, which learns.
        FiveClassTrainer(model, recipe).Fit(data);
        Assert.That(before["head.weight"].equal(Snapshot(model)["head.weight"]).all().item<bool>(), Is.False, "the new head learned");
    }

    [Test]
    public void A_flat_optimizer_made_before_ReplaceHead_refuses_its_next_step_in_a_hand_written_loop()
    {
        using var scope = NewDisposeScope();
        var model = new HeadNet();
        var optimizer = new FlatSgd(model.parameters(), 0.1);
        var x = TestModels.Images(8, 2, 2, seed: 4).reshape(8, 4);
        void Step(optim.Optimizer o, long classes)
        {
            o.zero_grad();
            nn.functional.cross_entropy(model.call(x), tensor(Enumerable.Range(0, 8).Select(i => i % classes).ToArray())).backward();
            o.step();
        }
        Step(optimizer, 3);
        var old = model.Head;
        TransferLearning.ReplaceHead(model, classes: 5);
        var error = Assert.Throws<InvalidOperationException>(() => Step(optimizer, 5))!;
        Assert.That(error.Message, Does.Contain("FlatSgd: a parameter [3, 8] of group 0 belongs to the layer 'head' that TransferLearning.ReplaceHead took out of the model")
            .And.Contain("Create the optimizer after ReplaceHead"));
        // Putting the old head back makes its parameters the model's again.
        TransferLearning.ReplaceHead(model, old);
        Assert.DoesNotThrow(() => Step(optimizer, 3));
        TransferLearning.ReplaceHead(model, classes: 5);
        Assert.DoesNotThrow(() => Step(new FlatSgd(model.parameters(), 0.1), 5), "an optimizer made after the swap");
    }

    [Test]
    public void A_trainable_parameter_that_no_optimizer_holds_is_refused_with_the_choice_to_freeze_it()
    {
        using var scope = NewDisposeScope();
        var model = new HeadNet();
        using var data = FiveClasses();
        TransferLearning.ReplaceHead(model, classes: 5);
        var bodyOnly = Optim.Adam(1e-2).Of("body");
        Assert.That(() => FiveClassTrainer(model, bodyOnly).Fit(data), Throws.InvalidOperationException
            .With.Message.Contain("The model's parameter 'head.weight' [5, 8] requires a gradient, but no optimizer of this trainer holds it")
            .And.Message.Contain("freeze it"));
        // Frozen on purpose, the head is no longer expected in an optimizer.
        TransferLearning.Freeze(model, except: ["body"]);
        Assert.DoesNotThrow(() => FiveClassTrainer(model, bodyOnly).Fit(data));
    }
}
