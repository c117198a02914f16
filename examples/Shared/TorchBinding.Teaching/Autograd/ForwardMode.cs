namespace TorchBinding.Teaching.Autograd;

/// <summary>
/// Derivatives by forward mode (<see cref="Dual"/> numbers): one pass per input variable, each seeding that variable's
/// derivative with 1 and the others' with 0. <see cref="ReverseMode"/> gets all partial derivatives in one backward pass.
/// </summary>
public static class ForwardMode
{
    /// <summary>f'(x) of a function of one variable.</summary>
    /// <param name="f">The function, written with <see cref="Dual"/> operations.</param>
    /// <param name="x">The point.</param>
    public static double Derivative(Func<Dual, Dual> f, double x) => ValueAndDerivative(f, x).Derivative;

    /// <summary>f(x) and f'(x), from one pass on <c>x + 1ε</c>.</summary>
    /// <param name="f">The function, written with <see cref="Dual"/> operations.</param>
    /// <param name="x">The point.</param>
    public static (double Value, double Derivative) ValueAndDerivative(Func<Dual, Dual> f, double x)
    {
        ArgumentNullException.ThrowIfNull(f);
        var y = f(Dual.Variable(x));
        return (y.Value, y.Derivative);
    }

    /// <summary>∂f/∂x_index at <paramref name="point"/>: one pass with x_index seeded.</summary>
    /// <param name="f">The function of the variables <c>x[0], x[1], ...</c>, written with <see cref="Dual"/> operations.</param>
    /// <param name="point">The point, one number per variable.</param>
    /// <param name="index">The variable to differentiate by.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a variable of <paramref name="point"/>.</exception>
    public static double PartialDerivative(Func<Dual[], Dual> f, IReadOnlyList<double> point, int index)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(point);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, point.Count);
        return f(Seeded(point, index)).Derivative;
    }

    /// <summary>All partial derivatives of f at <paramref name="point"/>: n passes, seeding one variable at a time.</summary>
    /// <param name="f">The function of the variables <c>x[0], x[1], ...</c>, written with <see cref="Dual"/> operations.</param>
    /// <param name="point">The point, one number per variable.</param>
    public static double[] Gradient(Func<Dual[], Dual> f, params double[] point) => ValueAndGradient(f, point).Gradient;

    /// <summary>f at <paramref name="point"/> and all its partial derivatives (n passes).</summary>
    /// <param name="f">The function of the variables <c>x[0], x[1], ...</c>, written with <see cref="Dual"/> operations.</param>
    /// <param name="point">The point, one number per variable.</param>
    /// <exception cref="ArgumentException">No variables.</exception>
    public static (double Value, double[] Gradient) ValueAndGradient(Func<Dual[], Dual> f, params double[] point)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(point);
        if (point.Length == 0)
            throw new ArgumentException("ForwardMode: the point has no variables.", nameof(point));
        var gradient = new double[point.Length];
        var value = 0.0;
        for (var i = 0; i < point.Length; i++)
        {
            var y = f(Seeded(point, i));
            value = y.Value;
            gradient[i] = y.Derivative;
        }
        return (value, gradient);
    }

    static Dual[] Seeded(IReadOnlyList<double> point, int index)
    {
        var x = new Dual[point.Count];
        for (var i = 0; i < x.Length; i++)
            x[i] = new Dual(point[i], i == index ? 1 : 0);
        return x;
    }
}
