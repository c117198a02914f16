using SkiaSharp;

namespace TorchBinding.Plots;

/// <summary>
/// Qualitative colours for series and classes, chosen to stay distinguishable for colour-blind readers:
/// Okabe–Ito for up to 8 colours, Tableau 10 for 9 or 10, evenly spaced hues beyond.
/// </summary>
public static class Palette
{
    /// <summary>Okabe–Ito (Okabe and Ito, 2008), ordered for series: blue, vermillion, bluish green, orange,
    /// reddish purple, sky blue, yellow, black (yellow late: it is faint on white).</summary>
    public static IReadOnlyList<SKColor> OkabeIto { get; } =
    [
        new(0x00, 0x72, 0xB2), new(0xD5, 0x5E, 0x00), new(0x00, 0x9E, 0x73), new(0xE6, 0x9F, 0x00),
        new(0xCC, 0x79, 0xA7), new(0x56, 0xB4, 0xE9), new(0xF0, 0xE4, 0x42), new(0x00, 0x00, 0x00),
    ];

    /// <summary>Tableau 10, the default qualitative palette of Tableau (2016 revision).</summary>
    public static IReadOnlyList<SKColor> Tableau10 { get; } =
    [
        new(0x4E, 0x79, 0xA7), new(0xF2, 0x8E, 0x2B), new(0xE1, 0x57, 0x59), new(0x76, 0xB7, 0xB2), new(0x59, 0xA1, 0x4F),
        new(0xED, 0xC9, 0x48), new(0xB0, 0x7A, 0xA1), new(0xFF, 0x9D, 0xA7), new(0x9C, 0x75, 0x5F), new(0xBA, 0xB0, 0xAC),
    ];

    /// <summary><paramref name="count"/> distinct colours: the first of Okabe–Ito, Tableau 10, or spaced hues.</summary>
    public static IReadOnlyList<SKColor> ForCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (count <= OkabeIto.Count)
            return OkabeIto.Take(count).ToList();
        if (count <= Tableau10.Count)
            return Tableau10.Take(count).ToList();
        return Enumerable.Range(0, count).Select(i => SKColor.FromHsl(360f * i / count, 65, 45)).ToList();
    }

    /// <summary>Colour <paramref name="index"/> of a set of <paramref name="count"/> colours (see <see cref="ForCount"/>).</summary>
    public static SKColor Get(int index, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var colours = ForCount(Math.Max(count, index + 1));
        return colours[index];
    }

    /// <summary><paramref name="colour"/> mixed with white: <paramref name="amount"/> 0 keeps it, 1 gives white.</summary>
    public static SKColor Lighten(SKColor colour, double amount)
    {
        var t = Math.Clamp(amount, 0, 1);
        byte Mix(byte c) => (byte)Math.Round(c + (255 - c) * t);
        return new SKColor(Mix(colour.Red), Mix(colour.Green), Mix(colour.Blue), colour.Alpha);
    }
}
