using TorchBinding.Activations;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Activations;

/// <summary>
/// Every row of <see cref="ActivationTable"/>: its value equals the module of <see cref="ActivationModules.Create"/>,
/// and its analytic derivative equals TorchSharp's autograd (float64, 1e-10) on a grid that avoids the kinks at 0.
/// </summary>
public class ActivationTableTests
{
    const double Tolerance = 1e-10;

    static IEnumerable<Activation> Elementwise() => Enum.GetValues<Activation>().Where(a => a != Activation.Softmax);

    /// <summary>−4.95, −4.85, ..., 4.95: 100 points, none at a kink.</summary>
    static Tensor Grid() => arange(-4.95, 5.0, 0.1, dtype: float64);

    static double MaxAbs(Tensor t) => t.abs().max().item<double>();

    [SetUp]
    public void Start() => TorchRuntime.EnsureInitialized();

    [TestCaseSource(nameof(Elementwise))]
    public void Derivative_matches_autograd(Activation activation)
    {
        using var scope = NewDisposeScope();
        var x = Grid().requires_grad_();
        var y = ActivationTable.Value(activation, x);
        var analytic = ActivationTable.Derivative(activation, x.detach());
        if (activation == Activation.BinaryStep)
        {
            Assert.That(y.requires_grad, Is.False, "the step is not differentiable: autograd sees a constant");
            Assert.That(MaxAbs(analytic), Is.EqualTo(0.0));
            return;
        }
        var autograd = torch.autograd.grad([y], [x], [ones_like(y)])[0];
        Assert.That(MaxAbs(analytic - autograd), Is.LessThan(Tolerance));
    }

    [TestCaseSource(nameof(Elementwise))]
    public void Value_and_derivative_match_the_module(Activation activation)
    {
        using var scope = NewDisposeScope();
        using var module = ActivationModules.Create(activation);
        module.to(float64);
        var x = Grid().requires_grad_();
        var y = module.call(x);
        var value = ActivationTable.Value(activation, x.detach());
        Assert.That(MaxAbs(value - y.detach()), Is.LessThan(Tolerance), "value");
        if (activation != Activation.BinaryStep)
        {
            var autograd = torch.autograd.grad([y], [x], [ones_like(y)])[0];
            Assert.That(MaxAbs(ActivationTable.Derivative(activation, x.detach()) - autograd), Is.LessThan(Tolerance), "derivative");
        }
    }

    [Test]
    public void Known_values_of_the_formulas()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { -1.0, 0.0, 2.0 }, float64);
        double[] V(Activation a) => ActivationTable.Value(a, x).data<double>().ToArray();
        double[] D(Activation a) => ActivationTable.Derivative(a, x).data<double>().ToArray();
        var s = (double v) => 1 / (1 + Math.Exp(-v));
        Assert.Multiple(() =>
        {
            Assert.That(V(Activation.BinaryStep), Is.EqualTo(new[] { 0.0, 1, 1 }));
            Assert.That(V(Activation.ReLU), Is.EqualTo(new[] { 0.0, 0, 2 }));
            Assert.That(D(Activation.ReLU), Is.EqualTo(new[] { 0.0, 0, 1 }), "ReLU'(0) = 0");
            Assert.That(V(Activation.LeakyReLU), Is.EqualTo(new[] { -0.01, 0, 2 }).Within(1e-15));
            Assert.That(D(Activation.LeakyReLU), Is.EqualTo(new[] { 0.01, 0.01, 1 }), "leaky ReLU'(0) = α");
            Assert.That(V(Activation.PReLU), Is.EqualTo(new[] { -0.25, 0, 2 }));
            Assert.That(D(Activation.ELU), Is.EqualTo(new[] { Math.Exp(-1), 1, 1 }).Within(1e-15));
            Assert.That(D(Activation.Sigmoid), Is.EqualTo(new[] { s(-1) * (1 - s(-1)), 0.25, s(2) * (1 - s(2)) }).Within(1e-15));
            Assert.That(D(Activation.ArcTan), Is.EqualTo(new[] { 0.5, 1, 0.2 }).Within(1e-15));
            Assert.That(V(Activation.SoftPlus), Is.EqualTo(new[] { Math.Log(1 + Math.Exp(-1)), Math.Log(2), Math.Log(1 + Math.Exp(2)) }).Within(1e-15));
            Assert.That(D(Activation.GELU)[1], Is.EqualTo(0.5), "GELU'(0) = Φ(0)");
            Assert.That(D(Activation.SiLU)[1], Is.EqualTo(0.5), "SiLU'(0) = σ(0)");
            Assert.That(ActivationTable.Value(Activation.LeakyReLU, x, alpha: 0.2).data<double>().ToArray()[0], Is.EqualTo(-0.2).Within(1e-15));
            Assert.That(ActivationTable.Value(Activation.SoftPlus, tensor(800.0, float64)).item<double>(), Is.EqualTo(800), "no overflow");
        });
    }

    [Test]
    public void Softmax_Jacobian_matches_autograd_row_by_row()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[,] { { 0.3, -1.2, 2.0, 0.1 }, { -0.5, 0.5, 0.0, 1.5 }, { 3.0, -2.0, 1.0, -0.1 } }, float64).requires_grad_();
        var s = ActivationTable.Value(Activation.Softmax, x);
        var jacobian = ActivationTable.SoftmaxJacobian(x.detach());
        Assert.That(jacobian.shape, Is.EqualTo(new long[] { 3, 4, 4 }));
        long n = x.shape[0], k = x.shape[1];
        var worst = 0.0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < k; j++)
            {
                // Row (i, j): ∂s[i, j]/∂x[i, :]; the other samples' entries are 0.
                var grad = torch.autograd.grad([s[i, j]], [x], retain_graph: true)[0];
                worst = Math.Max(worst, MaxAbs(grad[i] - jacobian[i, j]));
                var others = grad.clone();
                others[i] = zeros(k, dtype: float64);
                Assert.That(MaxAbs(others), Is.EqualTo(0.0));
            }
        }
        Assert.Multiple(() =>
        {
            Assert.That(worst, Is.LessThan(Tolerance));
            Assert.That(MaxAbs(jacobian.sum(-1)), Is.LessThan(1e-15), "rows sum to 0: the outputs sum to 1");
            Assert.That(MaxAbs(jacobian - jacobian.transpose(1, 2)), Is.EqualTo(0.0), "symmetric");
            Assert.That(ActivationTable.SoftmaxJacobian(x.detach()[0]).shape, Is.EqualTo(new long[] { 4, 4 }));
        });
    }

    [Test]
    public void Backward_is_the_vector_Jacobian_product()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(7);
        var x = randn(5, 3, dtype: float64, generator: generator);
        var upstream = randn(5, 3, dtype: float64, generator: generator);
        var viaJacobian = einsum("nk,nkm->nm", upstream, ActivationTable.SoftmaxJacobian(x));
        var xr = x.clone().requires_grad_();
        var autograd = torch.autograd.grad([xr.softmax(-1)], [xr], [upstream])[0];
        Assert.Multiple(() =>
        {
            Assert.That(MaxAbs(ActivationTable.Backward(Activation.Softmax, x, upstream) - viaJacobian), Is.LessThan(Tolerance));
            Assert.That(MaxAbs(ActivationTable.Backward(Activation.Softmax, x, upstream) - autograd), Is.LessThan(Tolerance));
            Assert.That(MaxAbs(ActivationTable.Backward(Activation.Tanh, x, upstream) - upstream * (1 - x.tanh().square())), Is.LessThan(1e-15));
        });
    }

    [Test]
    public void Step_surrogates_give_the_documented_derivatives_and_match_straight_through_autograd()
    {
        using var scope = NewDisposeScope();
        var x = Grid();
        var sigmoid = x.sigmoid();
        var xr = x.clone().requires_grad_();
        var step = xr.ge(0).to(float64);
        // Straight-through: forward the step, backward the surrogate's derivative.
        var throughIdentity = xr + (step - xr).detach();
        var throughSigmoid = xr.sigmoid() + (step - xr.sigmoid()).detach();
        var identityGrad = torch.autograd.grad([throughIdentity], [xr], [ones_like(xr)])[0];
        var sigmoidGrad = torch.autograd.grad([throughSigmoid], [xr], [ones_like(xr)])[0];
        Assert.Multiple(() =>
        {
            Assert.That(MaxAbs(ActivationTable.Derivative(Activation.BinaryStep, x)), Is.EqualTo(0.0), "true derivative");
            Assert.That(MaxAbs(ActivationTable.Derivative(Activation.BinaryStep, x, step: StepSurrogate.Identity) - 1), Is.EqualTo(0.0));
            Assert.That(MaxAbs(ActivationTable.Derivative(Activation.BinaryStep, x, step: StepSurrogate.SigmoidDerivative) - sigmoid * (1 - sigmoid)), Is.LessThan(1e-15));
            Assert.That(MaxAbs(ActivationTable.Derivative(Activation.BinaryStep, x, step: StepSurrogate.Identity) - identityGrad), Is.LessThan(Tolerance));
            Assert.That(MaxAbs(ActivationTable.Derivative(Activation.BinaryStep, x, step: StepSurrogate.SigmoidDerivative) - sigmoidGrad), Is.LessThan(Tolerance));
            Assert.That(MaxAbs(throughIdentity.detach() - ActivationTable.Value(Activation.BinaryStep, x)), Is.EqualTo(0.0), "forward stays the step");
        });
    }

    [Test]
    public void Entries_cover_every_activation_with_formulas()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ActivationTable.Entries.Select(e => e.Activation), Is.EqualTo(Enum.GetValues<Activation>()));
            Assert.That(ActivationTable.Entries.All(e => e.Formula.Length > 0 && e.DerivativeFormula.Length > 0 && e.Name.Length > 0));
            Assert.That(ActivationTable.Entries.Where(e => !e.IsElementwise).Select(e => e.Activation), Is.EqualTo(new[] { Activation.Softmax }));
            Assert.That(ActivationTable.Entry(Activation.Sigmoid).DerivativeFormula, Is.EqualTo("σ'(x) = σ(x)(1 − σ(x))"));
        });
    }

    [Test]
    public void Bad_inputs_are_argument_exceptions()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => ActivationTable.Derivative(Activation.Softmax, zeros(2, 3, dtype: float64)), Throws.ArgumentException.With.Message.Contains("SoftmaxJacobian"));
            Assert.That(() => ActivationTable.Value(Activation.ReLU, ones(3, dtype: int64)), Throws.ArgumentException.With.Message.Contains("floating point").And.Message.Contains("[3]"));
            Assert.That(() => ActivationTable.SoftmaxJacobian(tensor(1.0)), Throws.ArgumentException.With.Message.Contains("scalar"));
            Assert.That(() => ActivationTable.Backward(Activation.Tanh, zeros(2, 3), zeros(3, 2)), Throws.ArgumentException.With.Message.Contains("[3, 2]").And.Message.Contains("[2, 3]"));
        });
    }

    [Test]
    public void Modules_are_identified_as_rows_of_the_table()
    {
        foreach (var activation in Enum.GetValues<Activation>())
        {
            using var module = ActivationModules.Create(activation);
            Assert.That(ActivationModules.TryIdentify(module, out var found) && found == activation, $"{activation}");
        }
        using var steep = nn.LeakyReLU(0.2);
        using var linear = nn.Linear(2, 2);
        Assert.Multiple(() =>
        {
            Assert.That(ActivationModules.TryIdentify(steep, out _), Is.False, "another slope is another function");
            Assert.That(ActivationModules.TryIdentify(linear, out _), Is.False);
        });
    }
}
