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
