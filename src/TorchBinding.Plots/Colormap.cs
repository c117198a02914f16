using SkiaSharp;

namespace TorchBinding.Plots;

/// <summary>
/// A continuous colour scale for heatmaps, images and overlays: maps a position in [0, 1] to a colour.
/// The sequential ones (Viridis, Magma, Inferno, Blues, Grayscale) read correctly in grey and
/// for colour-blind readers; <see cref="Balance"/> is diverging, for signed values around zero.
/// </summary>
public sealed class Colormap
{
    readonly SKColor[] _table;

    Colormap(string name, SKColor[] table)
    {
        Name = name;
        _table = table;
    }

    /// <summary>The colour map's name.</summary>
    public string Name { get; }

    /// <summary>Viridis: dark blue to yellow; the default for values.</summary>
    public static Colormap Viridis { get; } = FromScottPlot(new ScottPlot.Colormaps.Viridis());

    /// <summary>Magma: black through purple to light yellow.</summary>
    public static Colormap Magma { get; } = FromScottPlot(new ScottPlot.Colormaps.Magma());

    /// <summary>Inferno: black through red to yellow; the default for overlays (Grad-CAM).</summary>
    public static Colormap Inferno { get; } = FromScottPlot(new ScottPlot.Colormaps.Inferno());

    /// <summary>Turbo: an improved rainbow (Jet-like), for readers used to Jet.</summary>
    public static Colormap Turbo { get; } = FromScottPlot(new ScottPlot.Colormaps.Turbo());

    /// <summary>Grayscale: black to white; the default for single-channel images.</summary>
    public static Colormap Grayscale { get; } = FromFunction("Grayscale", t => { var v = (byte)Math.Round(255 * t); return new SKColor(v, v, v); });

    /// <summary>Blues: white to dark blue; the default for confusion matrices.</summary>
    public static Colormap Blues { get; } = FromStops("Blues", new SKColor(0xF7, 0xFB, 0xFF), new SKColor(0xC6, 0xDB, 0xEF), new SKColor(0x6B, 0xAE, 0xD6), new SKColor(0x21, 0x71, 0xB5), new SKColor(0x08, 0x30, 0x6B));

    /// <summary>Balance: blue through white to red; for signed values (filters, saliency) centred on zero.</summary>
    public static Colormap Balance { get; } = FromStops("Balance", new SKColor(0x05, 0x30, 0x61), new SKColor(0x21, 0x66, 0xAC), new SKColor(0x92, 0xC5, 0xDE), new SKColor(0xF7, 0xF7, 0xF7), new SKColor(0xF4, 0xA5, 0x82), new SKColor(0xB2, 0x18, 0x2B), new SKColor(0x67, 0x00, 0x1F));

    /// <summary>The colour at <paramref name="position"/> (clamped to [0, 1]; NaN gives the low end).</summary>
    public SKColor Map(double position)
    {
        if (double.IsNaN(position))
            position = 0;
        var i = (int)Math.Round(Math.Clamp(position, 0, 1) * (_table.Length - 1));
        return _table[i];
    }

    /// <summary>The colour of <paramref name="value"/> on a scale from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public SKColor Map(double value, double min, double max) => Map(max > min ? (value - min) / (max - min) : 0.5);

    /// <summary>The same colours in the opposite order.</summary>
    public Colormap Reversed() => new(Name + " (reversed)", _table.Reverse().ToArray());

    /// <summary>A colour map interpolated linearly between evenly spaced colours.</summary>
    public static Colormap FromStops(string name, params SKColor[] stops)
    {
        ArgumentNullException.ThrowIfNull(stops);
        if (stops.Length < 2)
            throw new ArgumentException($"A colour map needs at least 2 stops; got {stops.Length}.", nameof(stops));
        return FromFunction(name, t =>
        {
            var x = t * (stops.Length - 1);
            var i = Math.Min((int)x, stops.Length - 2);
            var f = x - i;
            var (a, b) = (stops[i], stops[i + 1]);
            byte Lerp(byte p, byte q) => (byte)Math.Round(p + (q - p) * f);
            return new SKColor(Lerp(a.Red, b.Red), Lerp(a.Green, b.Green), Lerp(a.Blue, b.Blue));
        });
    }

    /// <summary>The name.</summary>
    public override string ToString() => Name;

    // 256 entries: finer than 8-bit colour, and a lookup per pixel keeps large images fast.
    static Colormap FromFunction(string name, Func<double, SKColor> colour) =>
        new(name, Enumerable.Range(0, 256).Select(i => colour(i / 255.0)).ToArray());

    static Colormap FromScottPlot(ScottPlot.IColormap map) =>
        FromFunction(map.Name, t => map.GetColor(t).ToSKColor().WithAlpha(255));
}
