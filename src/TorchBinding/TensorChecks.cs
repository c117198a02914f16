using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding;

/// <summary>
/// Dtype and value checks shared by losses, metrics and models, so that a predictable mistake is an
/// <see cref="ArgumentException"/> naming the function and the value, never a native error.
/// </summary>
static class TensorChecks
{
    /// <summary>Whether the dtype is a floating-point type.</summary>
    public static bool IsFloating(ScalarType dtype) =>
        dtype is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>Whether the dtype is an integer type (class indices).</summary>
    public static bool IsInteger(ScalarType dtype) =>
        dtype is ScalarType.Int64 or ScalarType.Int32 or ScalarType.Int16 or ScalarType.Int8 or ScalarType.Byte;

    /// <summary>
    /// Checks that every value of a floating-point tensor is finite; the message names the argument, the first NaN or
    /// infinity and its element (flat index). A NaN would otherwise pass every range check (all comparisons are false).
    /// </summary>
    public static void RequireFinite(string function, Tensor values, string argument)
    {
        if (values.numel() == 0 || !IsFloating(values.dtype))
            return;
        if (FirstNonFinite(values) is { } bad)
            throw new ArgumentException($"{function}: {argument} must be finite; got {Describe(bad.Value)} at element {bad.Index} of {argument} {Shapes.Format(values)}.", argument);
    }

    /// <summary>The first NaN or infinity of a tensor (flat index and value), or null when every value is finite.</summary>
    public static (long Index, double Value)? FirstNonFinite(Tensor values)
    {
        if (values.numel() == 0 || !IsFloating(values.dtype))
            return null;
        using var scope = NewDisposeScope();
        var bad = values.isfinite().logical_not();
        if (!bad.any().item<bool>())
            return null;
        var index = bad.flatten().nonzero()[0, 0].item<long>();
        return (index, values.flatten()[index].to(float64).item<double>());
    }

    /// <summary>Checks that every number of an array is finite, also in float32 (where tensors are built): the message names the array and the index.</summary>
    public static void RequireFinite(string function, ReadOnlySpan<double> values, string argument)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new ArgumentException($"{function}: {argument} must be finite; got {Describe(values[i])} at index {i}.", argument);
            if (!float.IsFinite((float)values[i]))
                throw new ArgumentException($"{function}: {argument} must be finite in float32; {values[i].ToString("G6", CultureInfo.InvariantCulture)} at index {i} overflows it to infinity.", argument);
        }
    }

    /// <summary>A number for a message: NaN and infinities in words, the same in every culture.</summary>
    public static string Describe(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+infinity" : double.IsNegativeInfinity(value) ? "-infinity" : value.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>Checks that every label lies in <c>0..K−1</c>; the message names the first one that does not.</summary>
    public static void RequireLabelsInRange(string function, Tensor labels, long numClasses, string role)
    {
        if (labels.numel() == 0)
            return;
        using var scope = NewDisposeScope();
        var outside = labels.lt(0).logical_or(labels.ge(numClasses));
        if (outside.any().item<bool>())
        {
            var label = labels.masked_select(outside)[0].to(int64).item<long>();
            throw new ArgumentException($"{function}: {role} label {label} is out of range for K = {numClasses} classes (expected 0..{numClasses - 1}).");
        }
    }
}
