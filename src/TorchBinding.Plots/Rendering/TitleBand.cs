using SkiaSharp;

namespace TorchBinding.Plots.Rendering;

/// <summary>The title strip of Skia-drawn figures, matching the charts' titles.</summary>
internal static class TitleBand
{
    public const float Height = 36;

    /// <summary>The band's height for <paramref name="title"/> (0 when there is none).</summary>
    public static float HeightOf(string? title) => string.IsNullOrEmpty(title) ? 0 : Height;

    /// <summary>Draws the title centred at the top of <paramref name="area"/>; returns the area below it.</summary>
    public static SKRect Draw(SKCanvas canvas, SKRect area, string? title)
    {
        if (string.IsNullOrEmpty(title))
            return area;
        var text = Text.Fit(title, Theme.TitleSize, area.Width - 8, bold: true);
        Text.Draw(canvas, text, area.MidX, area.Top + Height / 2 + 1, Theme.TitleSize, Theme.Ink, HAlign.Center, VAlign.Middle, bold: true);
        return new SKRect(area.Left, area.Top + Height, area.Right, area.Bottom);
    }
}
