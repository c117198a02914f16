using SkiaSharp;

namespace TorchBinding.Plots.Rendering;

/// <summary>Horizontal anchor of drawn text.</summary>
internal enum HAlign { Left, Center, Right }

/// <summary>Vertical anchor of drawn text: its top, its visual middle, or its baseline.</summary>
internal enum VAlign { Top, Middle, Baseline, Bottom }

/// <summary>Text drawing for the figures Skia draws directly, in the embedded font.</summary>
internal static class Text
{
    /// <summary>The width of <paramref name="text"/> in pixels.</summary>
    public static float Width(string text, float size, bool bold = false)
    {
        using var font = PlotFonts.Font(size, bold);
        return font.MeasureText(text);
    }

    /// <summary>The height of a line of text (ascent plus descent) in pixels.</summary>
    public static float LineHeight(float size, bool bold = false)
    {
        using var font = PlotFonts.Font(size, bold);
        var m = font.Metrics;
        return m.Descent - m.Ascent;
    }

    /// <summary>Draws one line of text anchored at (<paramref name="x"/>, <paramref name="y"/>), optionally rotated about that point.</summary>
    public static void Draw(SKCanvas canvas, string text, float x, float y, float size, SKColor color,
        HAlign h = HAlign.Left, VAlign v = VAlign.Baseline, bool bold = false, float rotationDegrees = 0)
    {
        if (string.IsNullOrEmpty(text))
            return;
        using var font = PlotFonts.Font(size, bold);
        using var paint = new SKPaint { Color = color, IsAntialias = true };
        var m = font.Metrics;
        var baseline = v switch
        {
            VAlign.Top => -m.Ascent,
            VAlign.Middle => -(m.Ascent + m.Descent) / 2,
            VAlign.Bottom => -m.Descent,
            _ => 0f,
        };
        var align = h switch { HAlign.Center => SKTextAlign.Center, HAlign.Right => SKTextAlign.Right, _ => SKTextAlign.Left };
        canvas.Save();
        canvas.Translate(x, y);
        if (rotationDegrees != 0)
            canvas.RotateDegrees(rotationDegrees);
        canvas.DrawText(text, 0, baseline, align, font, paint);
        canvas.Restore();
    }

    /// <summary><paramref name="text"/> shortened with an ellipsis to fit <paramref name="maxWidth"/>.</summary>
    public static string Fit(string text, float size, float maxWidth, bool bold = false)
    {
        if (Width(text, size, bold) <= maxWidth)
            return text;
        for (var n = text.Length - 1; n > 0; n--)
        {
            var shorter = text[..n] + "…";
            if (Width(shorter, size, bold) <= maxWidth)
                return shorter;
        }
        return "…";
    }

    /// <summary>Black or white, whichever reads better on <paramref name="background"/>.</summary>
    public static SKColor ContrastingColor(SKColor background)
    {
        // Relative luminance (sRGB approximated with gamma 2.2) against the midpoint of black and white.
        static double Linear(byte c) => Math.Pow(c / 255.0, 2.2);
        var luminance = 0.2126 * Linear(background.Red) + 0.7152 * Linear(background.Green) + 0.0722 * Linear(background.Blue);
        return luminance > 0.18 ? Theme.Ink : SKColors.White;
    }
}
