using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Activations;

/// <summary>One row of the lecture's activation table: the function and its derivative as text.</summary>
/// <param name="Activation">The activation.</param>
/// <param name="Name">Its name as the lecture writes it.</param>
/// <param name="Formula">The function, e.g. <c>σ(x) = 1 / (1 + e^(−x))</c>.</param>
/// <param name="DerivativeFormula">The derivative, e.g. <c>σ'(x) = σ(x)(1 − σ(x))</c>.</param>
/// <param name="IsElementwise">False only for softmax, whose derivative is a Jacobian matrix per sample.</param>
/// <param name="Note">What else a student should know (the value taken at a kink, the straight-through step), or null.</param>
public sealed record ActivationEntry(Activation Activation, string Name, string Formula, string DerivativeFormula, bool IsElementwise, string? Note);

/// <summary>
/// The lecture's activation table with the value and the analytic derivative of every function, as tensor operations
/// (any shape, any floating dtype): what hand-written backpropagation multiplies by, and what the tests compare with
/// autograd. <see cref="ActivationModules.Create"/> gives the same functions as modules.
/// </summary>
/// <remarks>
/// At a kink (0 for ReLU, leaky ReLU, PReLU, ELU and the step) the derivative is the one libtorch's autograd uses: the
/// left one (ReLU'(0) = 0, leaky ReLU'(0) = α). The parameter <c>alpha</c> of the functions below is the α of leaky
/// ReLU (default <see cref="LeakyReLUSlope"/>), PReLU (<see cref="PReLUAlpha"/>, its initial value; learned in a
/// model, fixed here) and ELU (<see cref="ELUAlpha"/>); the other activations ignore it.
/// </remarks>
public static class ActivationTable
{
    /// <summary>Leaky ReLU's slope for x &lt; 0, as in <see cref="ActivationModules.Create"/>.</summary>
    public const double LeakyReLUSlope = 0.01;

    /// <summary>PReLU's initial α, as in <see cref="ActivationModules.Create"/>.</summary>
    public const double PReLUAlpha = 0.25;

    /// <summary>ELU's α.</summary>
    public const double ELUAlpha = 1.0;

    static readonly double InverseSqrt2 = 1 / Math.Sqrt(2);
    static readonly double InverseSqrt2Pi = 1 / Math.Sqrt(2 * Math.PI);

    /// <summary>The table's rows, in the order of <see cref="Activation"/>, for a printout or a plot.</summary>
    public static IReadOnlyList<ActivationEntry> Entries { get; } =
    [
        new(Activation.Identity, "identity", "a(x) = x", "a'(x) = 1", true, null),
        new(Activation.BinaryStep, "binary step", "a(x) = 1 if x ≥ 0, else 0", "a'(x) = 0 (x ≠ 0; undefined at 0)", true,
            "No gradient passes a step; a straight-through estimator keeps the step forward and uses 1 (identity) or σ(x)(1 − σ(x)) backward (StepSurrogate)."),
        new(Activation.Sigmoid, "logistic sigmoid", "σ(x) = 1 / (1 + e^(−x))", "σ'(x) = σ(x)(1 − σ(x))", true, "Largest slope ¼ at 0: gradients shrink through many sigmoid layers."),
        new(Activation.Tanh, "hyperbolic tangent", "tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))", "tanh'(x) = 1 − tanh²(x)", true, "Zero-centred; tanh(x) = 2σ(2x) − 1."),
        new(Activation.ArcTan, "arctangent", "a(x) = arctan(x)", "a'(x) = 1 / (1 + x²)", true, null),
        new(Activation.ReLU, "ReLU", "a(x) = max(0, x)", "a'(x) = 1 if x > 0, else 0", true, "a'(0) taken as 0."),
        new(Activation.LeakyReLU, "leaky ReLU", "a(x) = x if x ≥ 0, else αx (α = 0.01)", "a'(x) = 1 if x > 0, else α", true, "a'(0) taken as α."),
        new(Activation.PReLU, "parametric ReLU", "a(x) = x if x ≥ 0, else αx (α learned, initially 0.25)", "a'(x) = 1 if x > 0, else α;  ∂a/∂α = min(0, x)", true, "a'(0) taken as α."),
        new(Activation.ELU, "ELU", "a(x) = x if x ≥ 0, else α(e^x − 1) (α = 1)", "a'(x) = 1 if x > 0, else αe^x = a(x) + α", true, null),
        new(Activation.SoftPlus, "SoftPlus", "a(x) = ln(1 + e^x)", "a'(x) = σ(x)", true, "A smooth ReLU."),
        new(Activation.Softmax, "softmax", "s_i = e^(x_i) / Σ_j e^(x_j)", "∂s_i/∂x_j = s_i(δ_ij − s_j), J = diag(s) − s sᵀ", false,
            "Not elementwise: each output depends on every input of its sample; see SoftmaxJacobian."),
        new(Activation.GELU, "GELU", "a(x) = x Φ(x), Φ(x) = ½(1 + erf(x / √2))", "a'(x) = Φ(x) + x φ(x), φ(x) = e^(−x²/2) / √(2π)", true, null),
        new(Activation.SiLU, "SiLU (swish)", "a(x) = x σ(x)", "a'(x) = σ(x)(1 + x(1 − σ(x)))", true, null),
    ];

    /// <summary>The row of <paramref name="activation"/>.</summary>
    public static ActivationEntry Entry(Activation activation) =>
        Entries.FirstOrDefault(e => e.Activation == activation)
        ?? throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");

    /// <summary>The activation applied to <paramref name="x"/> (softmax over the last dimension).</summary>
    /// <param name="activation">The activation.</param>
    /// <param name="x">The net input, any shape, floating point.</param>
    /// <param name="alpha">α of leaky ReLU, PReLU or ELU (default: the table's); ignored by the others.</param>
    /// <exception cref="ArgumentException"><paramref name="x"/> is not floating point, or softmax of a scalar.</exception>
    public static Tensor Value(Activation activation, Tensor x, double? alpha = null)
    {
        Check(nameof(Value), activation, x);
        using var scope = NewDisposeScope();
        var a = alpha ?? DefaultAlpha(activation);
        var result = activation switch
        {
            Activation.Identity => x.clone(),
            Activation.BinaryStep => x.ge(0).to(x.dtype),
            Activation.Sigmoid => x.sigmoid(),
            Activation.Tanh => x.tanh(),
            Activation.ArcTan => x.atan(),
            Activation.ReLU => x.relu(),
            Activation.LeakyReLU or Activation.PReLU => nn.functional.leaky_relu(x, a),
            Activation.ELU => nn.functional.elu(x, a),
            // max(x, 0) + ln(1 + e^(−|x|)) is ln(1 + e^x) without overflow.
            Activation.SoftPlus => x.clamp_min(0) + x.abs().neg().exp().log1p(),
            Activation.Softmax => x.softmax(-1),
            Activation.GELU => x * Phi(x),
            Activation.SiLU => x * x.sigmoid(),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The analytic derivative a'(x), elementwise (the formulas of <see cref="Entries"/>).</summary>
    /// <param name="activation">Any activation but softmax (see <see cref="SoftmaxJacobian"/>).</param>
    /// <param name="x">The net input, any shape, floating point.</param>
    /// <param name="alpha">α of leaky ReLU, PReLU or ELU (default: the table's); ignored by the others.</param>
    /// <param name="step">The binary step's backward: its true derivative 0 (default) or a straight-through surrogate.</param>
    /// <exception cref="ArgumentException">Softmax, or <paramref name="x"/> not floating point.</exception>
    public static Tensor Derivative(Activation activation, Tensor x, double? alpha = null, StepSurrogate step = StepSurrogate.None)
    {
        Check(nameof(Derivative), activation, x);
        if (activation == Activation.Softmax)
            throw new ArgumentException("ActivationTable.Derivative: softmax has no elementwise derivative (each output depends on the whole sample); use SoftmaxJacobian, or Backward for the product with an upstream gradient.", nameof(activation));
        using var scope = NewDisposeScope();
        var a = alpha ?? DefaultAlpha(activation);
        var result = activation switch
        {
            Activation.Identity => ones_like(x),
            Activation.BinaryStep => StepDerivative(x, step),
            Activation.Sigmoid => SigmoidDerivative(x),
            Activation.Tanh => 1 - x.tanh().square(),
            Activation.ArcTan => 1 / (1 + x.square()),
            Activation.ReLU => x.gt(0).to(x.dtype),
            Activation.LeakyReLU or Activation.PReLU => Select(x.gt(0), ones_like(x), full_like(x, a)),
            Activation.ELU => Select(x.gt(0), ones_like(x), a * x.exp()),
            Activation.SoftPlus => x.sigmoid(),
            Activation.GELU => Phi(x) + x * (-0.5 * x.square()).exp() * InverseSqrt2Pi,
            Activation.SiLU => SiLUDerivative(x),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
        };
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The softmax's Jacobian per sample over the last dimension: <c>J = diag(s) − s sᵀ</c>, <c>J[..., i, j] = ∂s_i/∂x_j</c>.
    /// </summary>
    /// <param name="x">Scores <c>[K]</c>, <c>[N, K]</c> or <c>[..., K]</c>, floating point.</param>
    /// <returns><c>[K, K]</c>, <c>[N, K, K]</c> or <c>[..., K, K]</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="x"/> is a scalar or not floating point.</exception>
    public static Tensor SoftmaxJacobian(Tensor x)
    {
        Check(nameof(SoftmaxJacobian), Activation.Softmax, x);
        using var scope = NewDisposeScope();
        var s = x.softmax(-1);
        var jacobian = s.diag_embed() - s.unsqueeze(-1) * s.unsqueeze(-2);
        return jacobian.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The backward step through an activation: the gradient with respect to its input, given the gradient
    /// <paramref name="upstream"/> with respect to its output. Elementwise it is <c>upstream ⊙ a'(x)</c>; for softmax,
    /// <c>Jᵀ · upstream</c> per sample, computed as <c>s ⊙ (upstream − Σ_i upstream_i s_i)</c>.
    /// </summary>
    /// <param name="activation">The activation.</param>
    /// <param name="x">The net input, floating point.</param>
    /// <param name="upstream">The gradient with respect to the activation's output, of <paramref name="x"/>'s shape.</param>
    /// <param name="alpha">α of leaky ReLU, PReLU or ELU (default: the table's); ignored by the others.</param>
    /// <param name="step">The binary step's backward: 0 (default) or a straight-through surrogate.</param>
    /// <exception cref="ArgumentException">The shapes differ, or the tensors are not floating point.</exception>
    public static Tensor Backward(Activation activation, Tensor x, Tensor upstream, double? alpha = null, StepSurrogate step = StepSurrogate.None)
    {
        Check(nameof(Backward), activation, x);
        ArgumentNullException.ThrowIfNull(upstream);
        if (!upstream.shape.SequenceEqual(x.shape))
            throw new ArgumentException($"ActivationTable.Backward: the upstream gradient {Shapes.Format(upstream)} must have the net input's shape {Shapes.Format(x)}.", nameof(upstream));
        using var scope = NewDisposeScope();
        Tensor result;
        if (activation == Activation.Softmax)
        {
            var s = x.softmax(-1);
            result = s * (upstream - (upstream * s).sum(-1, keepdim: true));
        }
        else
        {
            result = upstream * Derivative(activation, x, alpha, step);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>The binary step's backward derivative under a surrogate: 0, 1, or <c>σ(x)(1 − σ(x))</c>.</summary>
    static Tensor StepDerivative(Tensor x, StepSurrogate step) => step switch
    {
        StepSurrogate.None => zeros_like(x),
        StepSurrogate.Identity => ones_like(x),
        StepSurrogate.SigmoidDerivative => SigmoidDerivative(x),
        _ => throw new ArgumentOutOfRangeException(nameof(step), step, "Unknown step surrogate."),
    };

    static Tensor SigmoidDerivative(Tensor x)
    {
        var s = x.sigmoid();
        return s * (1 - s);
    }

    static Tensor SiLUDerivative(Tensor x)
    {
        var s = x.sigmoid();
        return s * (1 + x * (1 - s));
    }

    /// <summary>The standard normal CDF Φ(x) = ½(1 + erf(x / √2)).</summary>
    static Tensor Phi(Tensor x) => 0.5 * (1 + (x * InverseSqrt2).erf());

    static Tensor Select(Tensor condition, Tensor whenTrue, Tensor whenFalse) => whenTrue.where(condition, whenFalse);

    static double DefaultAlpha(Activation activation) => activation switch
    {
        Activation.LeakyReLU => LeakyReLUSlope,
        Activation.PReLU => PReLUAlpha,
        Activation.ELU => ELUAlpha,
        _ => 0,
    };

    static void Check(string function, Activation activation, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        TorchRuntime.EnsureInitialized();
        if (!Enum.IsDefined(activation))
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        if (!x.is_floating_point())
            throw new ArgumentException($"ActivationTable.{function}: the input must be floating point; got {x.dtype} {Shapes.Format(x)}.", nameof(x));
        if (activation == Activation.Softmax && x.dim() == 0)
            throw new ArgumentException($"ActivationTable.{function}: softmax needs at least one dimension (the classes, last); got a scalar {Shapes.Format(x)}.", nameof(x));
    }
}
