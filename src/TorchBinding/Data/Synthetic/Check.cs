using System.Runtime.CompilerServices;

namespace TorchBinding.Data.Synthetic;

/// <summary>
/// Argument checks shared by the generators. Each names the parameter (taken from the call site) and its
/// value, so a mistake reads like "noise must be >= 0 ... Actual value was -1".
/// </summary>
static class Check
{
    public static void Positive(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value <= 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
    }

    public static void NonNegative(int value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value < 0)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be >= 0.");
    }

    public static void AtLeast(int value, int minimum, string why, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (value < minimum)
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be at least {minimum} ({why}).");
    }

    // Written as !(x >= 0) so that NaN is refused too.
    public static void NonNegative(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value >= 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number >= 0.");
    }

    public static void PositiveFinite(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value > 0) || double.IsInfinity(value))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be a finite number > 0.");
    }

    public static void Probability(double value, [CallerArgumentExpression(nameof(value))] string? name = null)
    {
        if (!(value >= 0 && value <= 1))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must lie in [0, 1].");
    }

    public static void Each(IReadOnlyList<double> values, Func<double, bool> valid, string rule, [CallerArgumentExpression(nameof(values))] string? name = null)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (!valid(values[i]))
                throw new ArgumentOutOfRangeException(name, values[i], $"{name}[{i}] must be {rule}.");
        }
    }
}
