using ScottPlot;
using SkiaSharp;

namespace TorchBinding.Plots.Rendering;

/// <summary>
/// The one font family of every figure: DejaVu Sans, embedded in this assembly. Machines without fonts
/// configured for Skia (containers, CI) otherwise draw no text at all, and machines with other fonts
/// would draw figures that differ from the gallery. ScottPlot resolves the family through a resolver
/// registered first in its list; the Skia-drawn figures use the same typefaces directly.
/// </summary>
internal static class PlotFonts
{
    /// <summary>The family name figures ask for.</summary>
    public const string Family = "DejaVu Sans";

    static readonly Lock Gate = new();
    static readonly SKData RegularData = Load("TorchBinding.Plots.DejaVuSans.ttf");
    static readonly SKData BoldData = Load("TorchBinding.Plots.DejaVuSans-Bold.ttf");
    static bool _registered;

    /// <summary>The regular typeface (shared; never disposed).</summary>
    public static SKTypeface Regular { get; } = Create(RegularData);

    /// <summary>The bold typeface (shared; never disposed).</summary>
    public static SKTypeface Bold { get; } = Create(BoldData);

    /// <summary>Makes ScottPlot use the embedded family for all text. Idempotent and thread-safe.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            ScottPlot.Fonts.FontResolvers.Insert(0, new EmbeddedFontResolver());
            ScottPlot.Fonts.Default = Family;
            ScottPlot.Fonts.Sans = Family;
            _registered = true;
        }
    }

    /// <summary>A font of the embedded family.</summary>
    public static SKFont Font(float size, bool bold = false) =>
        new(bold ? Bold : Regular, size) { Subpixel = true, Edging = SKFontEdging.Antialias };

    static SKData Load(string name)
    {
        using var stream = typeof(PlotFonts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"The embedded font {name} is missing from {typeof(PlotFonts).Assembly.GetName().Name}.");
        return SKData.Create(stream);
    }

    static SKTypeface Create(SKData data) =>
        SKTypeface.FromData(data) ?? throw new InvalidOperationException("Skia could not read the embedded DejaVu Sans font.");

    /// <summary>Answers ScottPlot's requests for <see cref="Family"/>; other names fall through to the system.</summary>
    sealed class EmbeddedFontResolver : IFontResolver
    {
        // A fresh typeface per request: ScottPlot caches what it gets and may dispose it, never ours.
        public SKTypeface? CreateTypeface(string fontName, FontWeight weight, FontSlant slant, FontSpacing width) =>
            IsOurs(fontName) ? Create(weight >= FontWeight.SemiBold ? BoldData : RegularData) : null;

        public SKTypeface? CreateTypeface(string fontName, bool bold, bool italic) =>
            IsOurs(fontName) ? Create(bold ? BoldData : RegularData) : null;

        // An empty name is what ScottPlot's own detection yields on a machine without fonts.
        static bool IsOurs(string fontName) =>
            string.IsNullOrEmpty(fontName) || string.Equals(fontName, Family, StringComparison.OrdinalIgnoreCase);
    }
}
