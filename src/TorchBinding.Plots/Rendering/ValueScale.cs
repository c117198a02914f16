namespace TorchBinding.Plots.Rendering;

/// <summary>
/// The one rule for how single-channel values are coloured when the caller did not choose: data with both signs
/// (weights, kernels, differences, attributions) is shown on a range symmetric about 0 with a diverging colour map,
/// so that 0 is the neutral middle colour and equal magnitudes look equally strong; other data keeps its automatic
/// range and the figure's usual colour map.
/// </summary>
static class ValueScale
{
    /// <summary>The range (null ends: automatic) and colour map to draw <paramref name="values"/> with.</summary>
    /// <param name="values">Every value the figure shows on one scale.</param>
    /// <param name="min">The caller's minimum, or null.</param>
    /// <param name="max">The caller's maximum, or null.</param>
    /// <param name="colormap">The caller's colour map, or null.</param>
    /// <param name="unsignedDefault">The colour map of data that is not signed.</param>
    public static (double? Min, double? Max, Colormap Colormap) Resolve(IEnumerable<double> values, double? min, double? max, Colormap? colormap, Colormap unsignedDefault)
    {
        if (min is not null || max is not null)
            return (min, max, colormap ?? unsignedDefault);
        double lowest = 0, largest = 0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v))
                continue;
            lowest = Math.Min(lowest, v);
            largest = Math.Max(largest, Math.Abs(v));
        }
        return lowest < 0
            ? (-largest, largest, colormap ?? Colormap.Balance)
            : (null, null, colormap ?? unsignedDefault);
    }
}
