using TorchBinding.Analysis.Robustness;
using TorchBinding.Data;
using TorchBinding.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Tests.Robustness;

/// <summary>FGSM and PGD: the perturbation's size and range, what the attacks do to the loss, and clear errors for bad input.</summary>
public class AttackTests
{
    [SetUp]
    public void Seed() => TestModels.Seed(21);

    static double Loss(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y)
    {
        using var noGrad = no_grad();
        return nn.functional.cross_entropy(model.call(x), y).item<float>();
    }

    [Test]
    public void Fgsm_with_epsilon_zero_returns_the_input()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(5, 16, 16, seed: 1);
        var labels = tensor(new long[] { 0, 1, 2, 0, 1 });
        var adversarial = Attacks.Fgsm(model, images, labels, epsilon: 0);
        Assert.That(adversarial.equal(images).all().item<bool>(), Is.True);
    }

    [Test]
    public void Fgsm_moves_every_unclamped_value_by_exactly_epsilon_and_raises_the_loss()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.Linear(8, 8, classes: 3);
        var images = TestModels.Images(6, 8, 8, seed: 2) * 0.5 + 0.25;                    // in [0.25, 0.75]: no clamping at ε = 0.1
        var labels = tensor(new long[] { 0, 1, 2, 0, 1, 2 });
        var adversarial = Attacks.Fgsm(model, images, labels, epsilon: 0.1);
        TensorAssert.AreClose((adversarial - images).abs(), full_like(images, 0.1), rtol: 1e-5, atol: 1e-6, what: "|δ| = ε");
        Assert.That(Loss(model, adversarial, labels), Is.GreaterThan(Loss(model, images, labels)));
        // Clamped to the valid range where ε would leave it.
        var edge = Attacks.Fgsm(model, TestModels.Images(6, 8, 8, seed: 3), labels, epsilon: 0.5);
        Assert.That(edge.min().item<float>(), Is.GreaterThanOrEqualTo(0));
        Assert.That(edge.max().item<float>(), Is.LessThanOrEqualTo(1));
    }

    [TestCase(PerturbationNorm.LInfinity)]
    [TestCase(PerturbationNorm.L2)]
    public void Pgd_stays_in_the_epsilon_ball_and_the_pixel_range_and_beats_fgsm(PerturbationNorm norm)
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(16, 16, 16, seed: 4);
        var labels = tensor(Enumerable.Range(0, 16).Select(i => (long)(i % 3)).ToArray());
        var epsilon = norm == PerturbationNorm.LInfinity ? 0.05 : 1.0;
        var adversarial = Attacks.Pgd(model, images, labels, new PgdOptions { Epsilon = epsilon, Norm = norm, Steps = 20, Seed = 1 });
        var delta = (adversarial - images).flatten(1);
        var size = norm == PerturbationNorm.LInfinity ? delta.abs().amax([1]) : delta.norm(1, p: 2);
        Assert.Multiple(() =>
        {
            Assert.That(size.max().item<float>(), Is.LessThanOrEqualTo(epsilon * (1 + 1e-5)), "inside the ε-ball");
            Assert.That(size.max().item<float>(), Is.GreaterThan(epsilon * 0.5), "and not idle");
            Assert.That(adversarial.min().item<float>(), Is.GreaterThanOrEqualTo(0), "pixels ≥ 0");
            Assert.That(adversarial.max().item<float>(), Is.LessThanOrEqualTo(1), "pixels ≤ 1");
            Assert.That(Loss(model, adversarial, labels), Is.GreaterThan(Loss(model, images, labels)), "the loss rose");
        });
        if (norm == PerturbationNorm.LInfinity)
        {
            var fgsm = Attacks.Fgsm(model, images, labels, epsilon);
            Assert.That(Loss(model, adversarial, labels), Is.GreaterThanOrEqualTo(Loss(model, fgsm, labels) - 1e-6), "20 projected steps do at least as well as one");
        }
    }

    [Test]
    public void A_targeted_pgd_attack_reaches_its_target_class()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.Linear(8, 8, classes: 3);
        var images = TestModels.Images(6, 8, 8, seed: 5);
        var goal = full(6, 2L);
        var adversarial = Attacks.Pgd(model, images, goal, new PgdOptions { Epsilon = 1, Steps = 40, Targeted = true, Seed = 2 });
        using var noGrad = no_grad();
        Assert.That(model.call(adversarial).argmax(1).eq(goal).all().item<bool>(), Is.True);
    }

    [Test]
    public void Bad_attack_arguments_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(2, 16, 16, seed: 6);
        var labels = tensor(new long[] { 0, 1 });
        Assert.Multiple(() =>
        {
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Attacks.Fgsm(model, images, labels, -0.1))!.Message,
                Does.Contain("epsilon must be a finite number ≥ 0").And.Contain("-0.1"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Attacks.Pgd(model, images, labels, new PgdOptions { Epsilon = -1 }))!.Message,
                Does.Contain("epsilon must be a finite number ≥ 0"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Attacks.Pgd(model, images, labels, new PgdOptions { Epsilon = 0.1, Steps = 0 }))!.Message,
                Does.Contain("Steps must be at least 1, got 0"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => Attacks.Pgd(model, images, labels, new PgdOptions { Epsilon = 0.1, StepSize = 0 }))!.Message,
                Does.Contain("StepSize must be a finite number > 0"));
            Assert.That(Assert.Throws<ArgumentException>(() => Attacks.Fgsm(model, images * 3 - 1, labels, 0.1))!.Message,
                Does.Contain("outside the valid range [0, 1]"));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => new AdversarialTrainingStep(model, new() { Epsilon = -0.3 }))!.Message,
                Does.Contain("epsilon must be a finite number ≥ 0"));
            // The warm-up ramp stays in (0, ε] for every step, and a negative step is refused rather than given a negative ε.
            var ramp = new AdversarialTrainingStep(model, new() { Epsilon = 0.3, WarmupSteps = 10 });
            Assert.That(new[] { ramp.EpsilonAt(0), ramp.EpsilonAt(4), ramp.EpsilonAt(9), ramp.EpsilonAt(1000) }, Is.EqualTo(new[] { 0.03, 0.15, 0.3, 0.3 }).Within(1e-12));
            Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => ramp.EpsilonAt(-5))!.Message, Does.Contain("the step is -5"));
        });
    }

    [Test]
    public void Adversarial_training_with_epsilon_zero_is_plain_supervised_training()
    {
        using var scope = NewDisposeScope();
        var images = TestModels.Images(64, 16, 16, seed: 7);
        var labels = tensor(Enumerable.Range(0, 64).Select(i => (long)(i % 3)).ToArray());
        using var data = new InMemoryDataset(images, labels, "toy");
        Tensor Train(Func<nn.Module<Tensor, Tensor>, ITrainingStep> step)
        {
            TestModels.Seed(3);
            var model = TestModels.SmallCnn();
            var trainer = new Trainer(step(model), Optim.Adam(1e-2), new TrainerOptions { Epochs = 2, BatchSize = 16, Seed = 1, Progress = false });
            trainer.Fit(data);
            return ((Linear)model[7]).weight!.detach().clone();
        }
        var plain = Train(m => new SupervisedStep(m, (o, y) => nn.functional.cross_entropy(o, y)));
        var adversarial = Train(m => new AdversarialTrainingStep(m, new() { Epsilon = 0 }));
        var attacked = Train(m => new AdversarialTrainingStep(m, new() { Epsilon = 0.1 }));
        Assert.That(adversarial.equal(plain).all().item<bool>(), Is.True, "ε = 0: the same weights");
        Assert.That(attacked.equal(plain).all().item<bool>(), Is.False, "ε = 0.1: trained on other inputs");
    }

    [Test]
    public void Nan_images_are_refused_by_the_attacks_and_by_robust_accuracy()
    {
        using var scope = NewDisposeScope();
        var model = TestModels.SmallCnn();
        var images = TestModels.Images(4, 16, 16, seed: 8);
        images[2, 0, 3, 5] = tensor(float.NaN);
        var labels = tensor(new long[] { 0, 1, 2, 0 });
        var allNan = full_like(images, float.NaN);
        using var nanData = new InMemoryDataset(allNan, labels, "all-NaN images");
        using var cleanData = new InMemoryDataset(TestModels.Images(4, 16, 16, seed: 9), labels, "clean images");
        // The element of [2, 0, 3, 5] in [4, 1, 16, 16]: 2·256 + 3·16 + 5.
        const string named = "inputs must be finite; got NaN at element 565 of inputs [4, 1, 16, 16].";
        Assert.Multiple(() =>
        {
            // Unchecked, NaN passed the valid-range check (every comparison with NaN is false).
            Assert.That(() => Attacks.Fgsm(model, images, labels, 0.1), Throws.ArgumentException.With.Message.StartWith("Fgsm: " + named));
            Assert.That(() => Attacks.Pgd(model, images, labels, new PgdOptions { Epsilon = 0.1 }), Throws.ArgumentException.With.Message.StartWith("Pgd: " + named));
            Assert.That(() => Attacks.Fgsm(model, images * float.PositiveInfinity, labels, 0.1), Throws.ArgumentException.With.Message.Contain("inputs must be finite; got"));
            Assert.That(() => OnePixelAttack.Attack(model, images[2], 2), Throws.ArgumentException.With.Message.StartWith("OnePixelAttack: inputs must be finite; got NaN at element 53 of inputs [1, 1, 16, 16]."));
            // Unchecked, all-NaN images scored 100 % robust accuracy.
            Assert.That(() => RobustAccuracy.Evaluate(model, nanData), Throws.ArgumentException.With.Message.StartWith("RobustAccuracy (all-NaN images): inputs must be finite; got NaN at element 0 of inputs [4, 1, 16, 16]."));
            Assert.That(() => RobustAccuracy.Evaluate(model, cleanData, (x, y) => full_like(x, float.NaN)),
                Throws.ArgumentException.With.Message.StartWith("RobustAccuracy (the attack on samples 0..3): attacked inputs must be finite; got NaN at element 0"));
            Assert.That(() => new AdversarialTrainingStep(model, new() { Epsilon = 0.1 }).CheckData(nanData, CPU, null),
                Throws.ArgumentException.With.Message.StartWith("AdversarialTrainingStep (all-NaN images): inputs must be finite; got NaN at element 0"));
            Assert.That(RobustAccuracy.Evaluate(model, cleanData), Is.InRange(0.0, 1.0), "finite images are evaluated as before");
        });
    }
}
