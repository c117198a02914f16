using TorchBinding.Activations;
using TorchBinding.Runtime;
using TorchBinding.Teaching.Autograd;
using static TorchSharp.torch;

namespace TorchBinding.Teaching.Tests.Autograd;

/// <summary>The tensor code of this topic leaves only its results in the caller's dispose scope.</summary>
public class AutogradMemoryTests
{
    [SetUp]
    public void Start() => TorchRuntime.EnsureInitialized();

    [Test]
    public void Activation_table_functions_leave_only_their_result()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, 3, dtype: float64);
        Assert.Multiple(() =>
        {
            foreach (var activation in Enum.GetValues<Activation>())
            {
                var before = scope.DisposablesCount;
                ActivationTable.Value(activation, x);
                ActivationTable.Backward(activation, x, x);
                if (activation != Activation.Softmax)
                    ActivationTable.Derivative(activation, x);
                else
                    ActivationTable.SoftmaxJacobian(x);
                Assert.That(scope.DisposablesCount - before, Is.EqualTo(3), activation.ToString());
            }
        });
    }

    [Test]
    public void Backprop_keeps_only_what_it_returns()
    {
        using var scope = NewDisposeScope();
        var x = randn(5, 3, dtype: float64);
        var t = rand(5, 2, dtype: float64);
        using var network = new BackpropNetwork([3, 4, 4, 2], Activation.Tanh, seed: 1);
        var before = scope.DisposablesCount;
        using (var gradients = network.ComputeGradients(x, t))
            Assert.That(scope.DisposablesCount - before, Is.EqualTo(9), "∂E/∂W, ∂E/∂b and δ of three layers");
        before = scope.DisposablesCount;
        using (var pass = network.Forward(x))
            Assert.That(scope.DisposablesCount - before, Is.EqualTo(7), "three net inputs, the input and three outputs");
        before = scope.DisposablesCount;
        network.TrainStep(x, t, 0.1);
        network.TrainEpoch(x, t, 0.1, batchSize: 2);
        network.Loss(x, t);
        Assert.That(scope.DisposablesCount - before, Is.EqualTo(0), "training keeps no tensors");
        before = scope.DisposablesCount;
        ModuleGraph.Trace(network.ToSequential(), x);
        Assert.That(scope.DisposablesCount - before, Is.EqualTo(0), "tracing keeps no tensors");
    }
}
