using System.Globalization;

namespace TorchBinding.Plots.Rendering;

/// <summary>Tick positions and labels for axes and colour bars.</summary>
internal static class Ticks
{
    /// <summary>About <paramref name="target"/> round values (1, 2, 2.5 or 5 times a power of ten) covering [min, max].</summary>
    public static double[] Nice(double min, double max, int target = 5)
    {
        if (!(max > min) || !double.IsFinite(min) || !double.IsFinite(max))
            return double.IsFinite(min) ? [min] : [];
        var rough = (max - min) / Math.Max(1, target);
        var power = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        var step = new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * power).First(s => s >= rough);
        var first = Math.Ceiling(min / step - 1e-9) * step;
        var ticks = new List<double>();
        for (var v = first; v <= max + step * 1e-9; v += step)
            ticks.Add(Math.Abs(v) < step * 1e-9 ? 0 : v);
        return ticks.ToArray();
    }

    /// <summary>
    /// Ticks of a logarithmic axis whose limits are <paramref name="log10Min"/> and <paramref name="log10Max"/>
    /// (in log10 units): major values to label (decades, or 1-2-5, or 1..9 per decade as the span shrinks,
    /// linear round values within less than a third of a decade) and minor values.
    /// </summary>
    public static (double[] Major, double[] Minor) Log(double log10Min, double log10Max)
    {
        var span = log10Max - log10Min;
        if (!(span > 0) || !double.IsFinite(span))
            return ([Math.Pow(10, log10Min)], []);
        double[] multipliers = span > 4 ? [1] : span > 1.2 ? [1, 2, 5] : [1, 2, 3, 4, 5, 6, 7, 8, 9];
        var major = Decades(log10Min, log10Max, multipliers);
        if (major.Length < 3)
            major = Nice(Math.Pow(10, log10Min), Math.Pow(10, log10Max), 4).Where(v => v > 0).ToArray();
        var minor = multipliers.Length < 9 && span <= 8 ? Decades(log10Min, log10Max, [2, 3, 4, 5, 6, 7, 8, 9]).Except(major).ToArray() : [];
        return (major, minor);
    }

    static double[] Decades(double log10Min, double log10Max, double[] multipliers)
    {
        var values = new List<double>();
        for (var e = (int)Math.Floor(log10Min) - 1; e <= (int)Math.Ceiling(log10Max); e++)
            foreach (var m in multipliers)
            {
                var v = m * Math.Pow(10, e);
                var l = Math.Log10(v);
                if (l >= log10Min - 1e-9 && l <= log10Max + 1e-9)
                    values.Add(v);
            }
        return values.ToArray();
    }

    /// <summary>A short label for a tick value: plain digits for ordinary magnitudes, exponent form otherwise.</summary>
    public static string Format(double value)
    {
        if (value == 0)
            return "0";
        var magnitude = Math.Abs(value);
        if (magnitude >= 1000 && magnitude < 1e6)
            return Math.Round(value).ToString("0", CultureInfo.InvariantCulture);
        if (magnitude >= 1e-4 && magnitude < 1000)
            return double.Parse(value.ToString("G4", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture).ToString("0.#######", CultureInfo.InvariantCulture);
        return value.ToString("0.##e+0", CultureInfo.InvariantCulture);
    }
}
