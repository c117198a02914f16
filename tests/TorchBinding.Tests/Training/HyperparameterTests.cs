using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

/// <summary>
/// Every hyperparameter of the flat optimizers and of <see cref="OptimizerSettings"/> is checked when the optimizer is
/// made: a value outside its range (β₁ = 1, β₂ &gt; 1, a NaN momentum, ε = 0, a negative weight decay) is refused with its
/// name, value and range, before any parameter has been laid out in a buffer — otherwise the weights turn NaN a few
/// steps later, far from the cause.
/// </summary>
public class HyperparameterTests
{
    public static IEnumerable<TestCaseData> BadFlatOptimizers()
    {
        TestCaseData Case(string name, Func<IEnumerable<Parameter>, optim.Optimizer> make, string parameter, string what, string range) =>
            new TestCaseData(make, parameter, what, range).SetArgDisplayNames(name);
        yield return Case("adam β₁ = 1", p => new FlatAdam(p, beta1: 1), "beta1", "β₁ (Beta1) is 1", "[0, 1)");
        yield return Case("adam β₁ < 0", p => new FlatAdam(p, beta1: -0.1), "beta1", "β₁ (Beta1) is -0.1", "[0, 1)");
        yield return Case("adam β₂ > 1", p => new FlatAdam(p, beta2: 1.5), "beta2", "β₂ (Beta2) is 1.5", "[0, 1)");
        yield return Case("adam β₂ NaN", p => new FlatAdam(p, beta2: double.NaN), "beta2", "β₂ (Beta2) is NaN", "[0, 1)");
        yield return Case("adam ε = 0", p => new FlatAdam(p, epsilon: 0), "epsilon", "ε (Epsilon) is 0", "(0, ∞)");
        yield return Case("adam ε = ∞", p => new FlatAdam(p, epsilon: double.PositiveInfinity), "epsilon", "ε (Epsilon) is Infinity", "(0, ∞)");
        yield return Case("adamw negative decay", p => FlatAdam.AdamW(p, weightDecay: -0.01), "weightDecay", "weight decay λ (WeightDecay) is -0.01", "[0, ∞)");
        yield return Case("adam NaN learning rate", p => new FlatAdam(p, double.NaN), "learningRate", "learning rate is NaN", "[0, ∞)");
        yield return Case("sgd NaN momentum", p => new FlatSgd(p, 0.1, momentum: double.NaN), "momentum", "momentum μ (Momentum) is NaN", "[0, 1)");
        yield return Case("sgd momentum = 1", p => new FlatSgd(p, 0.1, momentum: 1), "momentum", "momentum μ (Momentum) is 1", "[0, 1)");
        yield return Case("sgd dampening > 1", p => new FlatSgd(p, 0.1, momentum: 0.9, dampening: 2), "dampening", "dampening τ (Dampening) is 2", "[0, 1]");
        yield return Case("sgd infinite decay", p => new FlatSgd(p, 0.1, weightDecay: double.PositiveInfinity), "weightDecay", "weight decay λ (WeightDecay) is Infinity", "[0, ∞)");
        yield return Case("rmsprop α = 1", p => new FlatRmsProp(p, alpha: 1), "alpha", "smoothing constant α (Alpha) is 1", "[0, 1)");
        yield return Case("rmsprop ε < 0", p => new FlatRmsProp(p, epsilon: -1e-8), "epsilon", "ε (Epsilon) is -1E-08", "(0, ∞)");
        yield return Case("rmsprop negative momentum", p => new FlatRmsProp(p, momentum: -0.5), "momentum", "momentum μ (Momentum) is -0.5", "[0, 1)");
        yield return Case("rmsprop NaN decay", p => new FlatRmsProp(p, weightDecay: double.NaN), "weightDecay", "weight decay λ (WeightDecay) is NaN", "[0, ∞)");
    }

    [TestCaseSource(nameof(BadFlatOptimizers))]
    public void A_flat_optimizer_refuses_a_hyperparameter_out_of_range_before_touching_the_parameters(
        Func<IEnumerable<Parameter>, optim.Optimizer> make, string parameter, string what, string range)
    {
        var model = nn.Linear(3, 2);
        var address = TensorMemory.DataPointer(model.weight!);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => make(model.parameters()))!;
        Assert.Multiple(() =>
        {
            Assert.That(error.ParamName, Is.EqualTo(parameter));
            Assert.That(error.Message, Does.Contain("parameter group 0").And.Contain(what).And.Contain($"it must be a finite number in {range}"));
            // Nothing was laid out: the weight keeps its own storage and has no gradient view.
            Assert.That(TensorMemory.DataPointer(model.weight!), Is.EqualTo(address));
            Assert.That(model.weight!.grad, Is.Null);
        });
    }

    [Test]
    public void A_bad_second_group_is_refused_before_the_first_group_is_laid_out()
    {
        var body = nn.Linear(3, 3);
        var head = nn.Linear(3, 2);
        var address = TensorMemory.DataPointer(body.weight!);
        var groups = new[]
        {
            new ParamGroup<FlatAdam.Options>(body.parameters(), new FlatAdam.Options { LearningRate = 1e-3 }),
            new ParamGroup<FlatAdam.Options>(head.parameters(), new FlatAdam.Options { LearningRate = 1e-2, Beta1 = 1 }),
        };
        Assert.That(() => new FlatAdam(groups), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("FlatAdam, parameter group 1: the β₁ (Beta1) is 1"));
        Assert.That(TensorMemory.DataPointer(body.weight!), Is.EqualTo(address), "group 0 untouched");
    }

    [Test]
    public void Nesterov_without_momentum_names_both_values()
    {
        var model = nn.Linear(3, 2);
        Assert.That(() => new FlatSgd(model.parameters(), 0.1, momentum: 0, nesterov: true),
            Throws.ArgumentException.With.Message.Contain("Nesterov momentum needs a momentum > 0 and no dampening, got momentum 0 and dampening 0"));
    }

    [Test]
    public void The_edges_of_the_ranges_are_accepted()
    {
        var model = nn.Linear(3, 2);
        Assert.Multiple(() =>
        {
            Assert.DoesNotThrow(() => new FlatAdam(model.parameters(), 0, beta1: 0, beta2: 0, epsilon: 1e-30, weightDecay: 0).Dispose());
            Assert.DoesNotThrow(() => new FlatSgd(model.parameters(), 0.1, momentum: 0.999, dampening: 1).Dispose());
            Assert.DoesNotThrow(() => new FlatRmsProp(model.parameters(), alpha: 0, momentum: 0.99).Dispose());
        });
    }

    [TestCase("adam", "Betas.Beta1", 1.0, 0.999, null, 0.0, "[0, 1)")]
    [TestCase("adam", "Betas.Beta2", 0.9, 1.5, null, 0.0, "[0, 1)")]
    [TestCase("momentum", "Momentum", 0.9, 0.999, double.NaN, 0.0, "[0, 1)")]
    [TestCase("sgd", "WeightDecay", 0.9, 0.999, null, -1.0, "[0, ∞)")]
    public void Optimizer_settings_out_of_range_are_refused_for_flat_and_torchsharp_optimizers(string name, string setting, double beta1, double beta2, double? momentum, double decay, string range)
    {
        var model = nn.Linear(3, 2);
        foreach (var flat in new[] { true, false })
        {
            var settings = new OptimizerSettings { Betas = (beta1, beta2), Momentum = momentum, WeightDecay = decay, Flat = flat };
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => Optimizers.Create(name, model.parameters(), settings))!;
            Assert.That(error.Message, Does.Contain($"OptimizerSettings.{setting} is").And.Contain($"finite number in {range}"), $"flat = {flat}");
        }
    }
}
