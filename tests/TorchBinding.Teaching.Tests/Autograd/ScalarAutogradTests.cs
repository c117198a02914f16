using TorchBinding.Activations;
using TorchBinding.Runtime;
using TorchBinding.Teaching.Autograd;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Teaching.Tests.Autograd;

/// <summary>
/// The scalar reverse mode (<see cref="Value"/>) and forward mode (<see cref="Dual"/>) on the lecture's worked cases,
/// and against TorchSharp's autograd (float64) on random expressions: values and every partial derivative to 1e-10.
/// </summary>
public class ScalarAutogradTests
{
    const double Tolerance = 1e-10;

    static double Within(double expected) => Tolerance * Math.Max(1, Math.Abs(expected));

    [Test]
    public void Lecture_case_a_plus_b_times_b_plus_one_with_Value()
    {
        var a = new Value(2, "a");
        var b = new Value(1, "b");
        var c = (a + b).Named("c");
        var d = (b + 1).Named("d");
        var e = (c * d).Named("e");
        e.Backward();
        Assert.Multiple(() =>
        {
            Assert.That(e.Data, Is.EqualTo(6));
            Assert.That(a.Grad, Is.EqualTo(2), "de/da = d = b + 1");
            Assert.That(b.Grad, Is.EqualTo(5), "de/db = d + c: b is used twice, both paths add");
            Assert.That(c.Grad, Is.EqualTo(2));
            Assert.That(d.Grad, Is.EqualTo(3));
            Assert.That(e.Grad, Is.EqualTo(1));
        });
    }

    [Test]
    public void Lecture_case_a_plus_b_times_b_plus_one_with_Dual()
    {
        static Dual E(Dual[] x) => (x[0] + x[1]) * (x[1] + 1);
        var (value, gradient) = ForwardMode.ValueAndGradient(E, 2, 1);
        Assert.Multiple(() =>
        {
            Assert.That(value, Is.EqualTo(6));
            Assert.That(gradient, Is.EqualTo(new[] { 2.0, 5.0 }));
            Assert.That(ForwardMode.PartialDerivative(E, [2.0, 1.0], 1), Is.EqualTo(5));
        });
    }

    [Test]
    public void Lecture_case_regularised_squared_error_with_Value()
    {
        var w = new Value(2, "w");
        var x = new Value(3, "x");
        var b = new Value(1, "b");
        var y = new Value(10, "y");
        var e = ((y - (w * x + b)).Pow(2) + w.Pow(2)).Named("e");
        e.Backward();
        Assert.Multiple(() =>
        {
            Assert.That(e.Data, Is.EqualTo(13));
            Assert.That(w.Grad, Is.EqualTo(-14));
            Assert.That(x.Grad, Is.EqualTo(-12));
            Assert.That(b.Grad, Is.EqualTo(-6));
            Assert.That(y.Grad, Is.EqualTo(6));
        });
    }

    [Test]
    public void Lecture_case_regularised_squared_error_with_Dual()
    {
        // Variables w, x, b, y in that order.
        static Dual E(Dual[] v) => (v[3] - (v[0] * v[1] + v[2])).Pow(2) + v[0].Pow(2);
        var (value, gradient) = ForwardMode.ValueAndGradient(E, 2, 3, 1, 10);
        Assert.Multiple(() =>
        {
            Assert.That(value, Is.EqualTo(13));
            Assert.That(gradient, Is.EqualTo(new[] { -14.0, -12.0, -6.0, 6.0 }));
            Assert.That(ReverseMode.Gradient(v => (v[3] - (v[0] * v[1] + v[2])).Pow(2) + v[0].Pow(2), 2, 3, 1, 10), Is.EqualTo(gradient));
        });
    }

    [Test]
    public void Derivative_of_one_variable_by_dual_numbers()
    {
        var (value, derivative) = ForwardMode.ValueAndDerivative(x => x * x + 2 * x, 3);
        Assert.Multiple(() =>
        {
            Assert.That(value, Is.EqualTo(15));
            Assert.That(derivative, Is.EqualTo(8));
            Assert.That(ForwardMode.Derivative(x => x.Tanh(), 0.3), Is.EqualTo(1 - Math.Pow(Math.Tanh(0.3), 2)).Within(1e-15));
            Assert.That((Dual.Variable(3) * Dual.Variable(3) + 2 * Dual.Variable(3)).ToString(), Is.EqualTo("15 + 8ε"));
        });
    }

    [Test]
    public void Random_expressions_agree_with_TorchSharp_autograd()
    {
        TorchRuntime.EnsureInitialized();
        const int variables = 3;
        var compared = 0;
        for (var seed = 0; seed < 150; seed++)
        {
            var random = new Random(seed);
            var expression = Expression.Random(random, variables, depth: 4);
            var point = Enumerable.Range(0, variables).Select(_ => Math.Round(random.NextDouble() * 3 - 1.5, 6)).ToArray();

            // Reverse mode: one backward pass.
            var x = point.Select((v, i) => new Value(v, $"x{i}")).ToArray();
            var y = expression.Evaluate(x);
            y.Backward();

            // Forward mode: one pass per variable.
            var dualValue = 0.0;
            var dualGradient = new double[variables];
            for (var i = 0; i < variables; i++)
            {
                var dual = expression.Evaluate(point.Select((v, j) => new Dual(v, i == j ? 1 : 0)).ToArray());
                dualValue = dual.Value;
                dualGradient[i] = dual.Derivative;
            }

            // TorchSharp: float64 scalars that require grad.
            using var scope = NewDisposeScope();
            var t = point.Select(v => tensor(v, float64).requires_grad_()).ToArray();
            var output = expression.Evaluate(t);
            var expectedValue = output.item<double>();
            var expected = new double[variables];
            if (output.requires_grad)
            {
                var grads = torch.autograd.grad([output], t, allow_unused: true);
                for (var i = 0; i < variables; i++)
                    expected[i] = grads[i].IsInvalid ? 0 : grads[i].item<double>();
            }

            Assert.Multiple(() =>
            {
                Assert.That(y.Data, Is.EqualTo(expectedValue).Within(Within(expectedValue)), $"value, seed {seed}: {expression}");
                Assert.That(dualValue, Is.EqualTo(expectedValue).Within(Within(expectedValue)), $"dual value, seed {seed}: {expression}");
                for (var i = 0; i < variables; i++)
                {
                    Assert.That(x[i].Grad, Is.EqualTo(expected[i]).Within(Within(expected[i])), $"∂/∂x{i} reverse, seed {seed}: {expression}");
                    Assert.That(dualGradient[i], Is.EqualTo(expected[i]).Within(Within(expected[i])), $"∂/∂x{i} forward, seed {seed}: {expression}");
                }
            });
            compared++;
        }
        Assert.That(compared, Is.EqualTo(150));
    }

    [Test]
    public void Gradients_accumulate_across_passes_until_zeroed()
    {
        var a = new Value(2, "a");
        var b = new Value(1, "b");
        var e = (a + b) * (b + 1);
        e.Backward();
        e.Backward();
        Assert.That((a.Grad, b.Grad), Is.EqualTo((4.0, 10.0)), "a second pass adds the same gradients again");
        e.ZeroGrad();
        Assert.That(e.TopologicalOrder().All(v => v.Grad == 0));
        e.Backward();
        Assert.That((a.Grad, b.Grad), Is.EqualTo((2.0, 5.0)));
    }

    [Test]
    public void A_value_used_many_times_collects_every_path()
    {
        var x = new Value(1.5, "x");
        var y = x * x * x + x;            // 3x² + 1
        y.Backward();
        Assert.That(x.Grad, Is.EqualTo(3 * 1.5 * 1.5 + 1).Within(1e-15));
    }

    [Test]
    public void Deep_graphs_do_not_overflow_the_stack()
    {
        // A recursive walk would overflow at a few ten thousand levels.
        var x = new Value(0.5, "x");
        var y = x;
        const int depth = 100_000;
        for (var i = 0; i < depth; i++)
            y = -y;
        y.Backward();
        var graph = y.ToGraph();
        Assert.Multiple(() =>
        {
            Assert.That(y.Data, Is.EqualTo(0.5));
            Assert.That(x.Grad, Is.EqualTo(1.0));
            Assert.That(graph.Nodes, Has.Count.EqualTo(2 * depth + 1));
        });
    }

    [Test]
    public void Sum_is_one_flat_operation()
    {
        var terms = Enumerable.Range(1, 5).Select(i => new Value(i, $"t{i}")).ToArray();
        var total = Value.Sum(terms.Select(t => t * t));
        total.Backward();
        Assert.Multiple(() =>
        {
            Assert.That(total.Data, Is.EqualTo(55));
            Assert.That(terms.Select(t => t.Grad), Is.EqualTo(new[] { 2.0, 4, 6, 8, 10 }));
            Assert.That(total.Operation, Is.EqualTo("Σ"));
        });
    }

    [Test]
    public void Step_uses_the_chosen_surrogate_backward()
    {
        static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));
        foreach (var x in new[] { -1.3, 0.4 })
        {
            var expectedForward = x >= 0 ? 1.0 : 0.0;
            var results = new Dictionary<StepSurrogate, (double Data, double Grad, double Dual)>();
            foreach (var surrogate in Enum.GetValues<StepSurrogate>())
            {
                var v = new Value(x, "x");
                var s = (v * 2).Step(surrogate);
                s.Backward();
                results[surrogate] = (s.Data, v.Grad, ForwardMode.Derivative(t => (t * 2).Step(surrogate), x));
            }
            var sigmoidDerivative = Sigmoid(2 * x) * (1 - Sigmoid(2 * x));
            Assert.Multiple(() =>
            {
                Assert.That(results.Values.Select(r => r.Data), Is.All.EqualTo(expectedForward), "the forward value is the step's");
                Assert.That(results[StepSurrogate.None].Grad, Is.EqualTo(0));
                Assert.That(results[StepSurrogate.Identity].Grad, Is.EqualTo(2), "straight-through: the step passes the gradient (× 2 from the product)");
                Assert.That(results[StepSurrogate.SigmoidDerivative].Grad, Is.EqualTo(2 * sigmoidDerivative).Within(1e-15));
                Assert.That(results.Values.Select(r => r.Dual), Is.EqualTo(results.Values.Select(r => r.Grad)), "Dual agrees");
            });
        }
    }

    [Test]
    public void Step_surrogates_match_the_straight_through_trick_in_TorchSharp()
    {
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        foreach (var x0 in new[] { -0.7, 1.1 })
        {
            // forward = step(x); backward = d(surrogate)/dx: surrogate + (step − surrogate).detach().
            var x = tensor(x0, float64).requires_grad_();
            var step = x.ge(0).to(float64);
            var identity = x + (step - x).detach();
            var sigmoid = x.sigmoid() + (step - x.sigmoid()).detach();
            var identityGrad = torch.autograd.grad([identity], [x])[0].item<double>();
            var sigmoidGrad = torch.autograd.grad([sigmoid], [x])[0].item<double>();

            var v1 = new Value(x0);
            v1.Step(StepSurrogate.Identity).Backward();
            var v2 = new Value(x0);
            v2.Step(StepSurrogate.SigmoidDerivative).Backward();
            Assert.Multiple(() =>
            {
                Assert.That(v1.Grad, Is.EqualTo(identityGrad));
                Assert.That(v2.Grad, Is.EqualTo(sigmoidGrad).Within(1e-15));
                Assert.That(identity.item<double>(), Is.EqualTo(x0 >= 0 ? 1 : 0));
            });
        }
    }

    [Test]
    public void Domain_errors_are_argument_exceptions_that_name_the_problem()
    {
        var zero = new Value(0, "z");
        var negative = new Value(-2, "n");
        Assert.Multiple(() =>
        {
            Assert.That(() => new Value(1) / zero, Throws.ArgumentException.With.Message.Contains("division by zero"));
            Assert.That(() => negative.Log(), Throws.ArgumentException.With.Message.Contains("log"));
            Assert.That(() => negative.Pow(0.5), Throws.ArgumentException.With.Message.Contains("non-integer exponent"));
            Assert.That(() => Dual.Variable(0).Log(), Throws.ArgumentException.With.Message.Contains("log"));
            Assert.That(() => Dual.Constant(1) / 0.0, Throws.ArgumentException.With.Message.Contains("division by zero"));
            Assert.That(() => Value.Sum([]), Throws.ArgumentException);
            Assert.That(negative.Pow(2).Data, Is.EqualTo(4));
        });
    }
}
