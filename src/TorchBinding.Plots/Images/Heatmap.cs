using System.Globalization;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Images;

/// <summary>
/// A matrix [R, C] as coloured cells with a colour bar: filters, feature maps, attention maps, saliency,
/// and (<see cref="ConfusionMatrix"/>) confusion matrices with their counts. The colour scale spans
/// <see cref="Min"/> to <see cref="Max"/> (default: the data's range; values outside are clamped to the ends).
/// </summary>
/// <example><code>
/// new Heatmap(attention) { Title = "Head 3", Colormap = Colormap.Magma, Min = 0, Max = 1,
///     ColumnLabels = tokens, RowLabels = tokens }.Save("attention.png");
/// Heatmap.ConfusionMatrix(counts, ["0", "1", "2"]).Save("confusion.png");
/// </code></example>
public sealed class Heatmap : Figure
{
    readonly double[,] _values;

    /// <summary>A heatmap of <paramref name="values"/>, shape [rows, columns].</summary>
    public Heatmap(Values values)
    {
        _values = values.Matrix(nameof(values));
    }

    /// <summary>The value at the colour map's low end (null: the smallest value, or for signed data minus the largest magnitude).</summary>
    public double? Min { get; set; }

    /// <summary>The value at the colour map's high end (null: the largest value, or for signed data the largest magnitude).</summary>
    public double? Max { get; set; }

    /// <summary>The colour map (null: Viridis, or the diverging <see cref="Colormap.Balance"/> centred on 0 for data with both signs).</summary>
    public Colormap? Colormap { get; set; }

    /// <summary>Whether to draw the colour bar (default true).</summary>
    public bool ShowColorBar { get; set; } = true;

    /// <summary>The colour bar's title (null: none).</summary>
    public string? ColorBarLabel { get; set; }

    /// <summary>Whether each cell shows its value; null (default): when cells are large enough to read.</summary>
    public bool? ShowValues { get; set; }

    /// <summary>The .NET format of cell values (default "0.##"; confusion matrices use "0").</summary>
    public string ValueFormat { get; set; } = "0.##";

    /// <summary>Names of the columns, drawn under the matrix (null: none).</summary>
    public IReadOnlyList<string>? ColumnLabels { get; set; }

    /// <summary>Names of the rows, drawn left of the matrix (null: none).</summary>
    public IReadOnlyList<string>? RowLabels { get; set; }

    /// <summary>The title under the column names.</summary>
    public string? XLabel { get; set; }

    /// <summary>The title left of the row names.</summary>
    public string? YLabel { get; set; }

    /// <summary>Whether cells are square (default true); false stretches the matrix over the space.</summary>
    public bool SquareCells { get; set; } = true;

    /// <summary>The number of rows.</summary>
    public int Rows => _values.GetLength(0);

    /// <summary>The number of columns.</summary>
    public int Columns => _values.GetLength(1);

    /// <summary>Sets the colour scale's range; <paramref name="min"/> must be below <paramref name="max"/>.</summary>
    public Heatmap WithRange(double min, double max)
    {
        CheckRange(min, max);
        (Min, Max) = (min, max);
        return this;
    }

    /// <summary>
    /// A confusion matrix: rows are the true classes, columns the predicted ones, each cell shows its count;
    /// white to blue from 0 to the largest count.
    /// </summary>
    /// <param name="counts">Counts [K, K] (a <c>long[,]</c> or a tensor).</param>
    /// <param name="classNames">The K class names (default: the indices).</param>
    public static Heatmap ConfusionMatrix(Values counts, IReadOnlyList<string>? classNames = null)
    {
        var heatmap = new Heatmap(counts);
        var k = heatmap.Rows;
        if (heatmap.Columns != k)
            throw new ArgumentException($"A confusion matrix must be square [K, K]; got [{heatmap.Rows}, {heatmap.Columns}].", nameof(counts));
        if (classNames is not null && classNames.Count != k)
            throw new ArgumentException($"The confusion matrix has {k} classes but {classNames.Count} class names were given.", nameof(classNames));
        var names = classNames ?? Enumerable.Range(0, k).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToList();
        var largest = heatmap.Finite().DefaultIfEmpty(0).Max();
        heatmap.Title = "Confusion matrix";
        heatmap.Colormap = Plots.Colormap.Blues;
        heatmap.Min = 0;
        heatmap.Max = Math.Max(1, largest);
        heatmap.ValueFormat = "0";
        heatmap.ColumnLabels = names;
        heatmap.RowLabels = names;
        heatmap.XLabel = "predicted";
        heatmap.YLabel = "true";
        heatmap.ColorBarLabel = "count";
        return heatmap;
    }

    IEnumerable<double> Finite() => _values.Cast<double>().Where(double.IsFinite);

    /// <summary>The colour scale's range as drawn.</summary>
    internal (double Min, double Max) ValueRange()
    {
        var (min, max, _) = ValueScale.Resolve(Finite(), Min, Max, Colormap, Plots.Colormap.Viridis);
        if (min is { } a && max is { } b)
        {
            CheckRange(a, b);
            return (a, b);
        }
        var finite = Finite().ToArray();
        var lo = min ?? (finite.Length > 0 ? finite.Min() : 0);
        var hi = max ?? (finite.Length > 0 ? finite.Max() : 1);
        if (min is not null || max is not null)
            CheckRange(lo, hi);
        return hi > lo ? (lo, hi) : (lo - 0.5, lo + 0.5);
    }

    /// <summary>The colour map as drawn.</summary>
    Colormap DrawnColormap => ValueScale.Resolve(Finite(), Min, Max, Colormap, Plots.Colormap.Viridis).Colormap;

    static void CheckRange(double min, double max)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max) || !(min < max))
            throw new ArgumentException($"The heatmap's value range needs finite min < max; got min {min} and max {max}.");
    }

    private protected override (int Width, int Height) DefaultSize
    {
        get
        {
            // Cells of 10 to 48 pixels, about 420 pixels of matrix; then room for labels and the colour bar.
            var cell = Math.Clamp(420.0 / Math.Max(Rows, Columns), 10, 48);
            var (left, top, right, bottom) = Margins(ValueRange());
            return ((int)Math.Ceiling(Columns * cell + left + right), (int)Math.Ceiling(Rows * cell + top + bottom));
        }
    }

    bool RotateColumnLabels(float cellWidth) =>
        ColumnLabels is { } labels && labels.Any(l => Text.Width(l, Theme.TickSize) > cellWidth - 4);

    (float Left, float Top, float Right, float Bottom) Margins((double Min, double Max) range, float cellWidth = 40)
    {
        var top = TitleBand.HeightOf(Title) + 10;
        var left = 10f + (string.IsNullOrEmpty(YLabel) ? 0 : 24) + (RowLabels is { Count: > 0 } rows ? rows.Max(l => Text.Width(l, Theme.TickSize)) + 8 : 0);
        var columnLabels = ColumnLabels is { Count: > 0 } columns
            ? (RotateColumnLabels(cellWidth) ? columns.Max(l => Text.Width(l, Theme.TickSize)) * 0.72f + 12 : Text.LineHeight(Theme.TickSize) + 6)
            : 0;
        var bottom = 10f + columnLabels + (string.IsNullOrEmpty(XLabel) ? 0 : 24);
        var right = 12f + (ShowColorBar ? ColorBar.TotalWidth(range.Min, range.Max, ColorBarLabel) : 0);
        return (left, top, right, bottom);
    }

    /// <summary>The matrix and colour-bar rectangles of a figure drawn into <paramref name="area"/> (for tests).</summary>
    internal (SKRect Matrix, SKRect? Bar) Layout(SKRect area)
    {
        var range = ValueRange();
        var (left, top, right, bottom) = Margins(range);
        var available = new SKRect(area.Left + left, area.Top + top, area.Right - right, area.Bottom - bottom);
        // Column labels may need rotating once the cell width is known.
        var cellWidth = available.Width / Columns;
        if (RotateColumnLabels(cellWidth) != RotateColumnLabels(40))
        {
            (left, top, right, bottom) = Margins(range, cellWidth);
            available = new SKRect(area.Left + left, area.Top + top, area.Right - right, area.Bottom - bottom);
        }
        if (available.Width < 4 || available.Height < 4)
            throw new ArgumentException($"The heatmap does not fit into {area.Width} x {area.Height} pixels with its labels; make the figure larger.");
        var matrix = available;
        if (SquareCells)
        {
            var cell = Math.Min(available.Width / Columns, available.Height / Rows);
            var (w, h) = (cell * Columns, cell * Rows);
            matrix = SKRect.Create(available.Left + (available.Width - w) / 2, available.Top + (available.Height - h) / 2, w, h);
        }
        matrix = new SKRect(MathF.Round(matrix.Left), MathF.Round(matrix.Top), MathF.Round(matrix.Right), MathF.Round(matrix.Bottom));
        SKRect? bar = ShowColorBar ? new SKRect(matrix.Right + 12 + 14, matrix.Top, matrix.Right + 12 + 14 + ColorBar.BarWidth, matrix.Bottom) : null;
        return (matrix, bar);
    }

    private protected override void Draw(SKCanvas canvas, SKRect area)
    {
        var (min, max) = ValueRange();
        if (ColumnLabels is { } cl && cl.Count != Columns)
            throw new ArgumentException($"The heatmap has {Columns} columns but {cl.Count} column labels.");
        if (RowLabels is { } rl && rl.Count != Rows)
            throw new ArgumentException($"The heatmap has {Rows} rows but {rl.Count} row labels.");
        TitleBand.Draw(canvas, area, Title);
        var (matrix, bar) = Layout(area);
        var pixels = new SKColor[Rows * Columns];
        var colormap = DrawnColormap;
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Columns; c++)
            {
                var v = _values[r, c];
                pixels[r * Columns + c] = double.IsFinite(v) ? colormap.Map(v, min, max) : new SKColor(0xDD, 0xDD, 0xDD);
            }
        Raster.FromPixels(Columns, Rows, pixels).Draw(canvas, matrix);
        var (cw, ch) = (matrix.Width / Columns, matrix.Height / Rows);
        DrawValues(canvas, matrix, cw, ch, pixels);
        DrawLabels(canvas, area, matrix, cw, ch);
        if (bar is { } b)
            ColorBar.Draw(canvas, new SKRect(b.Left - 14, b.Top, area.Right - 12, b.Bottom), colormap, min, max, ColorBarLabel);
    }

    void DrawValues(SKCanvas canvas, SKRect matrix, float cw, float ch, SKColor[] pixels)
    {
        var size = Math.Min(Theme.TickSize, ch * 0.45f);
        var texts = _values.Cast<double>().Select(v => double.IsFinite(v) ? v.ToString(ValueFormat, CultureInfo.InvariantCulture) : "").ToArray();
        var widest = texts.Select(t => Text.Width(t, size)).DefaultIfEmpty(0).Max();
        var show = ShowValues ?? (ch >= 18 && widest <= cw - 4 && Rows * Columns <= 900);
        if (!show)
            return;
        for (var r = 0; r < Rows; r++)
            for (var c = 0; c < Columns; c++)
                Text.Draw(canvas, texts[r * Columns + c], matrix.Left + (c + 0.5f) * cw, matrix.Top + (r + 0.5f) * ch, size,
                    Text.ContrastingColor(pixels[r * Columns + c]), HAlign.Center, VAlign.Middle);
    }

    void DrawLabels(SKCanvas canvas, SKRect area, SKRect matrix, float cw, float ch)
    {
        var labelBottom = matrix.Bottom;
        if (ColumnLabels is { Count: > 0 } columns)
        {
            var rotate = RotateColumnLabels(cw);
            for (var c = 0; c < Columns; c++)
            {
                var x = matrix.Left + (c + 0.5f) * cw;
                if (rotate)
                    Text.Draw(canvas, columns[c], x + 4, matrix.Bottom + 6, Theme.TickSize, Theme.Ink, HAlign.Right, VAlign.Middle, rotationDegrees: -45);
                else
                    Text.Draw(canvas, columns[c], x, matrix.Bottom + 4, Theme.TickSize, Theme.Ink, HAlign.Center, VAlign.Top);
            }
            labelBottom += rotate ? columns.Max(l => Text.Width(l, Theme.TickSize)) * 0.72f + 12 : Text.LineHeight(Theme.TickSize) + 6;
        }
        if (!string.IsNullOrEmpty(XLabel))
            Text.Draw(canvas, XLabel, matrix.MidX, labelBottom + 4, Theme.LabelSize, Theme.Ink, HAlign.Center, VAlign.Top);
        var labelLeft = matrix.Left;
        if (RowLabels is { Count: > 0 } rows)
        {
            for (var r = 0; r < Rows; r++)
                Text.Draw(canvas, rows[r], matrix.Left - 6, matrix.Top + (r + 0.5f) * ch, Theme.TickSize, Theme.Ink, HAlign.Right, VAlign.Middle);
            labelLeft -= rows.Max(l => Text.Width(l, Theme.TickSize)) + 8;
        }
        if (!string.IsNullOrEmpty(YLabel))
            Text.Draw(canvas, YLabel, labelLeft - 14, matrix.MidY, Theme.LabelSize, Theme.Ink, HAlign.Center, VAlign.Middle, rotationDegrees: -90);
    }
}
