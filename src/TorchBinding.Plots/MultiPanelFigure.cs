using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots;

/// <summary>
/// Several figures (charts, images, heatmaps, graphs) in one PNG, laid out in a grid row by row, each with its
/// own title as the panel title, under an optional overall title.
/// </summary>
/// <example><code>
/// new MultiPanelFigure(columns: 2) { Title = "Epoch 20" }
///     .Add(lossChart, "loss")
///     .Add(Heatmap.ConfusionMatrix(counts), "confusion")
///     .Save("summary.png");
/// </code></example>
public sealed class MultiPanelFigure : Figure
{
    readonly List<Figure> _panels = [];

    /// <summary>A multi-panel figure with <paramref name="columns"/> panels per row.</summary>
    public MultiPanelFigure(int columns = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(columns);
        Columns = columns;
    }

    /// <summary>Panels per row.</summary>
    public int Columns { get; }

    /// <summary>The width of each panel when <see cref="Figure.Width"/> is not set (default 480).</summary>
    public int PanelWidth { get; set; } = 480;

    /// <summary>The height of each panel when <see cref="Figure.Height"/> is not set (default 340).</summary>
    public int PanelHeight { get; set; } = 340;

    /// <summary>The panels, in order.</summary>
    public IReadOnlyList<Figure> Panels => _panels;

    /// <summary>Adds a panel; <paramref name="title"/>, when given, replaces the figure's own title.</summary>
    public MultiPanelFigure Add(Figure panel, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(panel);
        if (ReferenceEquals(panel, this))
            throw new ArgumentException("A multi-panel figure cannot contain itself.", nameof(panel));
        if (title is not null)
            panel.Title = title;
        _panels.Add(panel);
        return this;
    }

    int Rows => Math.Max(1, (_panels.Count + Columns - 1) / Columns);

    int UsedColumns => Math.Max(1, Math.Min(Columns, _panels.Count));

    private protected override (int Width, int Height) DefaultSize =>
        (UsedColumns * PanelWidth, Rows * PanelHeight + (int)TitleBand.HeightOf(Title));

    /// <summary>The rectangle of panel <paramref name="index"/> in a figure drawn into <paramref name="area"/>.</summary>
    internal SKRect PanelRect(int index, SKRect area)
    {
        var top = area.Top + TitleBand.HeightOf(Title);
        var (w, h) = (area.Width / UsedColumns, (area.Bottom - top) / Rows);
        var (row, column) = (index / Columns, index % Columns);
        return new SKRect(MathF.Round(area.Left + column * w), MathF.Round(top + row * h), MathF.Round(area.Left + (column + 1) * w), MathF.Round(top + (row + 1) * h));
    }

    private protected override void Draw(SKCanvas canvas, SKRect area)
    {
        if (_panels.Count == 0)
            throw new InvalidOperationException("The multi-panel figure has no panels; add some with Add(figure).");
        TitleBand.Draw(canvas, area, Title);
        for (var i = 0; i < _panels.Count; i++)
        {
            var rect = PanelRect(i, area);
            if (rect.Width < 16 || rect.Height < 16)
                throw new ArgumentException($"Panel {i} would be {rect.Width} x {rect.Height} pixels; make the figure larger.");
            _panels[i].Render(canvas, rect);
        }
    }
}
