using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

public class OptimizersAndInitTests
{
    [TestCase("sgd", typeof(FlatSgd), typeof(TorchSharp.Modules.SGD))]
    [TestCase("momentum", typeof(FlatSgd), typeof(TorchSharp.Modules.SGD))]
    [TestCase("nesterov", typeof(FlatSgd), typeof(TorchSharp.Modules.SGD))]
    [TestCase("adagrad", typeof(TorchSharp.Modules.Adagrad), typeof(TorchSharp.Modules.Adagrad))]
    [TestCase("adadelta", typeof(TorchSharp.Modules.Adadelta), typeof(TorchSharp.Modules.Adadelta))]
    [TestCase("rmsprop", typeof(FlatRmsProp), typeof(TorchSharp.Modules.RMSProp))]
    [TestCase("Adam", typeof(FlatAdam), typeof(TorchSharp.Modules.Adam))]
    [TestCase("adamw", typeof(FlatAdam), typeof(TorchSharp.Modules.AdamW))]
    public void Each_named_optimizer_minimises_a_quadratic_flat_by_default_and_per_tensor_on_request(string name, Type flatType, Type perTensorType)
    {
        foreach (var (flat, type) in new[] { (true, flatType), (false, perTensorType) })
        {
            // f(w) = ||w - 3||^2 from w = 0; adadelta is slow by design, so it gets a larger rate.
            var w = new TorchSharp.Modules.Parameter(zeros(4));
            var optimizer = Optimizers.Create(name, [w], new OptimizerSettings { LearningRate = name == "adadelta" ? 10 : name == "adagrad" ? 0.5 : 0.05, Flat = flat });
            Assert.That(optimizer, Is.InstanceOf(type));
            for (var i = 0; i < 500; i++)
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                (w - 3).pow(2).sum().backward();
                optimizer.step();
            }
            Assert.That((w - 3).abs().max().item<float>(), Is.LessThan(0.05f), $"{name} ({type.Name}) converged to 3");
        }
    }

    [Test]
    public void Unknown_optimizer_lists_the_names()
    {
        Assert.That(() => Optimizers.Create("lbfgs2", [new TorchSharp.Modules.Parameter(zeros(1))]),
            Throws.ArgumentException.With.Message.Contain("sgd, momentum, nesterov, adagrad, adadelta, rmsprop, adam, adamw"));
    }

    [Test]
    public void Initialisations_have_their_published_spread_and_zero_biases()
    {
        torch.manual_seed(1);
        var model = nn.Sequential(nn.Linear(400, 600), nn.ReLU(), nn.Conv2d(8, 16, 3));
        var linear = (TorchSharp.Modules.Linear)model.children().First();
        double Std() => linear.weight!.std().item<float>();
        double MaxAbs() => linear.weight!.abs().max().item<float>();

        Assert.That(WeightInitialization.Apply(model, WeightInit.XavierUniform), Is.EqualTo(2));
        var xavier = Math.Sqrt(6.0 / (400 + 600));
        Assert.Multiple(() =>
        {
            Assert.That(MaxAbs(), Is.LessThanOrEqualTo(xavier));
            Assert.That(Std(), Is.EqualTo(xavier / Math.Sqrt(3)).Within(0.01 * xavier));
            Assert.That(linear.bias!.abs().max().item<float>(), Is.EqualTo(0f));
        });
        WeightInitialization.Apply(model, WeightInit.KaimingNormal);
        Assert.That(Std(), Is.EqualTo(Math.Sqrt(2.0 / 400)).Within(0.02 * Math.Sqrt(2.0 / 400)));
        WeightInitialization.Apply(model, WeightInit.XavierNormal);
        Assert.That(Std(), Is.EqualTo(Math.Sqrt(2.0 / 1000)).Within(0.02 * Math.Sqrt(2.0 / 1000)));
        WeightInitialization.Apply(model, WeightInit.Normal, std: 0.3);
        Assert.That(Std(), Is.EqualTo(0.3).Within(0.006));
        WeightInitialization.Apply(model, WeightInit.Uniform, low: 0.1, high: 0.2);
        Assert.That(linear.weight!.min().item<float>(), Is.GreaterThanOrEqualTo(0.1f));
        WeightInitialization.Apply(model, WeightInit.Zeros);
        Assert.That(MaxAbs(), Is.EqualTo(0));
    }

    [TestCase("glorot", WeightInit.XavierUniform)]
    [TestCase("he-normal", WeightInit.KaimingNormal)]
    [TestCase("Zeros", WeightInit.Zeros)]
    public void Initialisation_names_parse(string name, WeightInit expected) => Assert.That(WeightInitialization.Parse(name), Is.EqualTo(expected));

    [Test]
    public void Unknown_initialisation_lists_the_names() =>
        Assert.That(() => WeightInitialization.Parse("orthogonal2"), Throws.ArgumentException.With.Message.Contain("xavier_uniform"));
}
