using SkiaSharp;

namespace TorchBinding.Plots.Rendering;

/// <summary>The shared look of all figures: text sizes and neutral colours.</summary>
internal static class Theme
{
    /// <summary>Figure titles.</summary>
    public const float TitleSize = 17;

    /// <summary>Axis titles.</summary>
    public const float LabelSize = 14;

    /// <summary>Tick labels, legends, captions.</summary>
    public const float TickSize = 12;

    /// <summary>Small annotations (edge labels, cell values).</summary>
    public const float SmallSize = 11;

    /// <summary>Text and strong lines.</summary>
    public static readonly SKColor Ink = new(0x22, 0x22, 0x22);

    /// <summary>Secondary text and frames.</summary>
    public static readonly SKColor Muted = new(0x66, 0x66, 0x66);

    /// <summary>Grid lines.</summary>
    public static readonly SKColor Grid = new(0xE6, 0xE6, 0xE6);

    /// <summary>The background of figures.</summary>
    public static readonly SKColor Background = SKColors.White;
}
