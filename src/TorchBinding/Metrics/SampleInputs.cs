using static TorchSharp.torch;

namespace TorchBinding.Metrics;

/// <summary>Samples for the two-sample distances, checked and brought to float64 on the CPU.</summary>
static class SampleInputs
{
    /// <summary>
    /// A sample as float64 <c>[N, D]</c> on the CPU, detached: <c>[N]</c> is N one-dimensional points, <c>[N, D]</c> N points of D
    /// features, and <c>[N, ...]</c> (e.g. images) is flattened to <c>[N, D]</c>. At least <paramref name="minimum"/> points, all finite.
    /// </summary>
    public static Tensor Points(string function, Tensor sample, string name, int minimum = 1)
    {
        ArgumentNullException.ThrowIfNull(sample, name);
        if (!(TensorChecks.IsFloating(sample.dtype) || TensorChecks.IsInteger(sample.dtype)))
            throw new ArgumentException($"{function}: {name} must be numeric; got {sample.dtype} {Shapes.Format(sample)}.", name);
        if (sample.dim() == 0)
            throw new ArgumentException($"{function}: {name} must be a sample [N] or [N, D]; got a scalar.", name);
        var n = sample.shape[0];
        if (n < minimum)
            throw new ArgumentException($"{function}: {name} needs at least {minimum} point(s); got {Shapes.Format(sample)}.", name);
        var features = n == 0 ? 0 : sample.numel() / n;
        if (features == 0)
            throw new ArgumentException($"{function}: {name}'s points have no features; got {Shapes.Format(sample)}.", name);
        var points = sample.detach().to(float64).cpu().reshape(n, features);
        if (!points.isfinite().all().item<bool>())
            throw new ArgumentException($"{function}: {name} {Shapes.Format(sample)} holds NaN or infinite values.", name);
        return points;
    }

    /// <summary>Two samples of points with the same number of features (<see cref="Points"/>).</summary>
    public static (Tensor X, Tensor Y) Pair(string function, Tensor x, Tensor y, int minimum = 1)
    {
        var a = Points(function, x, nameof(x), minimum);
        var b = Points(function, y, nameof(y), minimum);
        if (a.shape[1] != b.shape[1])
            throw new ArgumentException($"{function}: the samples' points differ in size: x {Shapes.Format(x)} has {a.shape[1]} feature(s) per point, y {Shapes.Format(y)} has {b.shape[1]}.", nameof(y));
        return (a, b);
    }

    /// <summary>A one-dimensional sample (<c>[N]</c> or <c>[N, 1]</c>) as a sorted array.</summary>
    public static double[] SortedValues(string function, Tensor sample, string name)
    {
        var points = Points(function, sample, name);
        if (points.shape[1] != 1)
            throw new ArgumentException($"{function}: {name} must be one-dimensional ([N] or [N, 1]); got {Shapes.Format(sample)}.", name);
        var values = points.data<double>().ToArray();
        Array.Sort(values);
        return values;
    }

    /// <summary>Checks an array sample: non-empty and finite; returns a sorted copy.</summary>
    public static double[] SortedValues(string function, double[] sample, string name)
    {
        ArgumentNullException.ThrowIfNull(sample, name);
        if (sample.Length == 0)
            throw new ArgumentException($"{function}: {name} is empty.", name);
        var values = (double[])sample.Clone();
        var bad = Array.FindIndex(values, v => !double.IsFinite(v));
        if (bad >= 0)
            throw new ArgumentException($"{function}: {name}[{bad}] is {values[bad]}; values must be finite.", name);
        Array.Sort(values);
        return values;
    }
}
