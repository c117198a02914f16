using SkiaSharp;
using TorchBinding.Plots.Rendering;
using TorchBinding.Runtime;

namespace TorchBinding.Plots;

/// <summary>
/// A picture that renders to PNG: every chart, image, heatmap, graph and multi-panel figure of this
/// library. Set its properties, then <see cref="Save"/> it (atomically) or take its bytes with
/// <see cref="ToPng"/>. Figures hold plain .NET data, not tensors, so they need no disposal.
/// </summary>
public abstract class Figure
{
    const int MaxSide = 16384;
    int? _width;
    int? _height;

    private protected Figure() { }

    /// <summary>The title drawn above the figure (null or empty: none).</summary>
    public string? Title { get; set; }

    /// <summary>The PNG's width in pixels (each kind of figure has a sensible default).</summary>
    public int Width
    {
        get => _width ?? DefaultSize.Width;
        set => _width = CheckSide(value, nameof(Width));
    }

    /// <summary>The PNG's height in pixels (each kind of figure has a sensible default).</summary>
    public int Height
    {
        get => _height ?? DefaultSize.Height;
        set => _height = CheckSide(value, nameof(Height));
    }

    /// <summary>The size used while <see cref="Width"/> or <see cref="Height"/> is not set.</summary>
    private protected virtual (int Width, int Height) DefaultSize => (640, 480);

    /// <summary>Whether the size was set explicitly (some figures then fit their content to it).</summary>
    private protected bool HasExplicitSize => _width is not null || _height is not null;

    /// <summary>Renders the figure into a new bitmap of <see cref="Width"/> x <see cref="Height"/> (the caller disposes it).</summary>
    public SKBitmap ToBitmap()
    {
        var (width, height) = (Width, Height);
        var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        try
        {
            using var canvas = new SKCanvas(bitmap);
            canvas.Clear(SKColors.White);
            Render(canvas, new SKRect(0, 0, width, height));
            canvas.Flush();
            return bitmap;
        }
        catch
        {
            bitmap.Dispose();
            throw;
        }
    }

    /// <summary>The figure as PNG bytes.</summary>
    public byte[] ToPng()
    {
        using var bitmap = ToBitmap();
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("Skia could not encode the figure as PNG.");
        return data.ToArray();
    }

    /// <summary>Writes the figure as a PNG file (atomically: a reader never sees half a file), creating the folder if needed.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        using var section = Profiler.Measure("plot");
        AtomicFile.WriteAllBytes(path, ToPng());
    }

    /// <summary>Draws the figure into <paramref name="area"/> of <paramref name="canvas"/> (used by multi-panel figures).</summary>
    internal void Render(SKCanvas canvas, SKRect area)
    {
        PlotFonts.EnsureRegistered();
        canvas.Save();
        try
        {
            canvas.ClipRect(area);
            Draw(canvas, area);
        }
        finally
        {
            canvas.Restore();
        }
    }

    /// <summary>Draws the content; <paramref name="area"/> is in canvas pixels and already cleared to white.</summary>
    private protected abstract void Draw(SKCanvas canvas, SKRect area);

    static int CheckSide(int value, string name) =>
        value is >= 16 and <= MaxSide ? value : throw new ArgumentOutOfRangeException(name, value, $"A figure's {name.ToLowerInvariant()} must be between 16 and {MaxSide} pixels.");
}
