using System.Globalization;
using TorchBinding.Activations;

namespace TorchBinding.Teaching.Autograd;

/// <summary>
/// A dual number <c>v + d·ε</c> with <c>ε² = 0</c>: forward-mode automatic differentiation. Evaluating a function on
/// <c>x + 1·ε</c> gives <c>f(x) + f'(x)·ε</c>, because every operation applies the chain rule to the ε part as it goes:
/// one pass, no graph, one derivative per pass (the direction of the seed).
/// </summary>
/// <param name="value">The value v.</param>
/// <param name="derivative">The derivative d (the coefficient of ε): 1 for the variable differentiated by, 0 for a constant.</param>
/// <example>
/// <code>
/// var x = Dual.Variable(3);           // 3 + 1ε
/// var y = x * x + 2 * x;              // 15 + 8ε: y(3) = 15, y'(3) = 8
/// double slope = ForwardMode.Derivative(t => t.Tanh() * t, 0.5);
/// </code>
/// </example>
public readonly struct Dual(double value, double derivative = 0) : IEquatable<Dual>
{
    /// <summary>The value v.</summary>
    public double Value { get; } = value;

    /// <summary>The derivative d, the coefficient of ε.</summary>
    public double Derivative { get; } = derivative;

    /// <summary>The variable differentiated by, at <paramref name="x"/>: <c>x + 1ε</c>.</summary>
    public static Dual Variable(double x) => new(x, 1);

    /// <summary>A constant: <c>c + 0ε</c>.</summary>
    public static Dual Constant(double c) => new(c, 0);

    /// <summary>A <see cref="double"/> is a constant (derivative 0).</summary>
    public static implicit operator Dual(double c) => new(c, 0);

    /// <summary>(a + b)' = a' + b'.</summary>
    public static Dual operator +(Dual a, Dual b) => new(a.Value + b.Value, a.Derivative + b.Derivative);

    /// <summary>(a − b)' = a' − b'.</summary>
    public static Dual operator -(Dual a, Dual b) => new(a.Value - b.Value, a.Derivative - b.Derivative);

    /// <summary>(−a)' = −a'.</summary>
    public static Dual operator -(Dual a) => new(-a.Value, -a.Derivative);

    /// <summary>(ab)' = a'b + ab'.</summary>
    public static Dual operator *(Dual a, Dual b) => new(a.Value * b.Value, a.Derivative * b.Value + a.Value * b.Derivative);

    /// <summary>(a/b)' = (a'b − ab') / b².</summary>
    /// <exception cref="ArgumentException"><paramref name="b"/>'s value is 0.</exception>
    public static Dual operator /(Dual a, Dual b)
    {
        if (b.Value == 0)
            throw new ArgumentException($"Dual: division by zero ({a} ÷ {b}).", nameof(b));
        return new(a.Value / b.Value, (a.Derivative * b.Value - a.Value * b.Derivative) / (b.Value * b.Value));
    }

    /// <summary>Equality of value and derivative.</summary>
    public static bool operator ==(Dual a, Dual b) => a.Equals(b);

    /// <summary>Inequality of value or derivative.</summary>
    public static bool operator !=(Dual a, Dual b) => !a.Equals(b);

    /// <summary>(a^k)' = k a^(k−1) a' for a constant exponent k.</summary>
    /// <exception cref="ArgumentException">A negative base with a non-integer exponent, or 0 with a negative one.</exception>
    public Dual Pow(double exponent)
    {
        Autograd.Value.CheckPower(Value, exponent, ToString());
        return Chain(Math.Pow(Value, exponent), exponent * Math.Pow(Value, exponent - 1));
    }

    /// <summary>(e^a)' = e^a a'.</summary>
    public Dual Exp()
    {
        var e = Math.Exp(Value);
        return Chain(e, e);
    }

    /// <summary>(ln a)' = a' / a.</summary>
    /// <exception cref="ArgumentException">The value is not positive.</exception>
    public Dual Log()
    {
        if (!(Value > 0))
            throw new ArgumentException($"Dual: log of a value that is not positive ({this}).");
        return Chain(Math.Log(Value), 1 / Value);
    }

    /// <summary>(tanh a)' = (1 − tanh² a) a'.</summary>
    public Dual Tanh()
    {
        var t = Math.Tanh(Value);
        return Chain(t, 1 - t * t);
    }

    /// <summary>(σ(a))' = σ(1 − σ) a'.</summary>
    public Dual Sigmoid()
    {
        var s = Scalar.Sigmoid(Value);
        return Chain(s, s * (1 - s));
    }

    /// <summary>(max(0, a))' = a' for a &gt; 0, else 0.</summary>
    public Dual Relu() => Chain(Math.Max(0, Value), Value > 0 ? 1 : 0);

    /// <summary>The binary step (1 if a ≥ 0, else 0) with the derivative <paramref name="surrogate"/> (see <see cref="Autograd.Value.Step"/>).</summary>
    /// <param name="surrogate">The derivative used: 1 (default, straight-through), σ'(a), or the true 0.</param>
    public Dual Step(StepSurrogate surrogate = StepSurrogate.Identity) =>
        Chain(Value >= 0 ? 1 : 0, Scalar.StepDerivative(Value, surrogate));

    /// <summary>f(a) with the chain rule: derivative f'(a) · a'.</summary>
    Dual Chain(double value, double localDerivative) => new(value, localDerivative * Derivative);

    /// <inheritdoc/>
    public bool Equals(Dual other) => Value.Equals(other.Value) && Derivative.Equals(other.Derivative);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Dual other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Value, Derivative);

    /// <summary>The number as <c>v + dε</c>, e.g. <c>15 + 8ε</c>.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Value:G6} {(Derivative < 0 ? "−" : "+")} {Math.Abs(Derivative):G6}ε");
}
