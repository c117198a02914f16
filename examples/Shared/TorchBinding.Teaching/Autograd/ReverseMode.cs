namespace TorchBinding.Teaching.Autograd;

/// <summary>
/// Derivatives by reverse mode (<see cref="Value"/>): one forward pass builds the graph, one backward pass gives every
/// partial derivative, however many variables; the counterpart of <see cref="ForwardMode"/>.
/// </summary>
public static class ReverseMode
{
    /// <summary>f at <paramref name="point"/> and all its partial derivatives, from one backward pass.</summary>
    /// <param name="f">The function of the variables <c>x[0], x[1], ...</c> (labelled <c>x0</c>, <c>x1</c>, ...), written with <see cref="Value"/> operations.</param>
    /// <param name="point">The point, one number per variable.</param>
    /// <exception cref="ArgumentException">No variables.</exception>
    public static (double Value, double[] Gradient) ValueAndGradient(Func<Value[], Value> f, params double[] point)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(point);
        if (point.Length == 0)
            throw new ArgumentException("ReverseMode: the point has no variables.", nameof(point));
        var x = point.Select((v, i) => new Value(v, $"x{i}")).ToArray();
        var y = f(x) ?? throw new InvalidOperationException("ReverseMode: the function returned null.");
        y.Backward();
        return (y.Data, [.. x.Select(v => v.Grad)]);
    }

    /// <summary>All partial derivatives of f at <paramref name="point"/> (one backward pass).</summary>
    /// <param name="f">The function of the variables <c>x[0], x[1], ...</c>, written with <see cref="Value"/> operations.</param>
    /// <param name="point">The point, one number per variable.</param>
    public static double[] Gradient(Func<Value[], Value> f, params double[] point) => ValueAndGradient(f, point).Gradient;
}
