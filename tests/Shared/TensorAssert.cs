using System.Globalization;
using static TorchSharp.torch;

namespace TorchBinding.Tests;

/// <summary>
/// Closeness of tensors with a failure that says where and by how much: the largest difference, its index, both
/// values, and how many elements are out of tolerance — not just "expected True but was False".
/// </summary>
static class TensorAssert
{
    /// <summary>
    /// Asserts that <paramref name="actual"/> and <paramref name="expected"/> have the same shape and that every element
    /// satisfies <c>|actual − expected| ≤ atol + rtol·|expected|</c> (<c>torch.allclose</c>'s rule; NaN never matches).
    /// </summary>
    public static void AreClose(Tensor actual, Tensor expected, double rtol = 1e-5, double atol = 1e-8, string? what = null)
    {
        var label = what is null ? "" : what + ": ";
        Assert.That(actual.shape, Is.EqualTo(expected.shape), $"{label}shapes differ");
        using var scope = NewDisposeScope();
        var a = actual.detach().cpu().to(float64).flatten();
        var e = expected.detach().cpu().to(float64).flatten();
        var difference = (a - e).abs();
        var tolerance = atol + rtol * e.abs();
        var outside = difference.gt(tolerance).logical_or(difference.isnan());
        var count = outside.sum().item<long>();
        if (count == 0)
            return;
        // The worst element relative to its tolerance (NaN first).
        var score = where(difference.isnan(), full_like(difference, double.PositiveInfinity), difference / tolerance.clamp_min(double.Epsilon));
        var flat = score.argmax().item<long>();
        var index = Unravel(flat, actual.shape);
        string F(double v) => v.ToString("G9", CultureInfo.InvariantCulture);
        Assert.Fail($"{label}{count} of {a.numel()} elements differ by more than atol {F(atol)} + rtol {F(rtol)}·|expected|; the largest, " +
            $"{F(difference[flat].item<double>())}, at [{string.Join(", ", index)}]: actual {F(a[flat].item<double>())}, expected {F(e[flat].item<double>())}.");
    }

    static long[] Unravel(long flat, long[] shape)
    {
        var index = new long[shape.Length];
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }
}
