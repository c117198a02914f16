using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Images;

/// <summary>
/// Images in a grid, in order row by row, each with an optional caption: samples of a data set, a generator's
/// outputs, predictions (<see cref="Predictions"/> colours a caption by whether the prediction was right),
/// learned filters or feature maps.
/// </summary>
/// <example><code>
/// ImageGrid.Predictions(images, predicted, actual, classNames).Save("predictions.png");
/// ImageGrid.FromBatch(generated) { Title = "Epoch 10", Columns = 8 }.Save("samples.png");
/// </code></example>
public sealed class ImageGrid : Figure
{
    const float Padding = 6;
    readonly List<(double[] Data, long[] Shape, string? Caption, SKColor? Color)> _cells = [];

    /// <summary>Images per row (null: about square).</summary>
    public int? Columns { get; set; }

    /// <summary>
    /// The value shown as black / the colour map's low end (null: automatic — per image, or, when the single-channel
    /// images have negative values, minus the largest magnitude of the whole grid).
    /// </summary>
    public double? Min { get; set; }

    /// <summary>The value shown as white / the colour map's high end (null: automatic, see <see cref="Min"/>).</summary>
    public double? Max { get; set; }

    /// <summary>
    /// The colour map of single-channel images (null: grayscale, or for signed values — weights, kernels — the diverging
    /// <see cref="Colormap.Balance"/> on a range symmetric about 0, shared by all images so they compare).
    /// </summary>
    public Colormap? Colormap { get; set; }

    /// <summary>The number of images.</summary>
    public int Count => _cells.Count;

    /// <summary>Adds an image [H, W] or [C, H, W] with an optional caption.</summary>
    /// <param name="image">The image.</param>
    /// <param name="caption">The text under it (null: none).</param>
    /// <param name="captionColor">The caption's colour (default: the text colour).</param>
    public ImageGrid Add(Values image, string? caption = null, SKColor? captionColor = null)
    {
        var data = image.Data as double[] ?? image.Data.ToArray();
        var shape = image.Shape.ToArray();
        Raster.From(data, shape, nameof(image), null, null, Plots.Colormap.Grayscale); // checks the shape now
        _cells.Add((data, shape, caption, captionColor));
        return this;
    }

    /// <summary>A grid of a batch [N, C, H, W] (or [N, H, W]), with optional captions (one per image).</summary>
    public static ImageGrid FromBatch(Values images, IReadOnlyList<string>? captions = null) => new ImageGrid().AddBatch(images, captions);

    /// <summary>
    /// Adds every image of a batch [N, C, H, W] (or [N, H, W]), with optional captions (one per image); lets a grid be
    /// configured first: <c>new ImageGrid { Columns = 8, Title = "..." }.AddBatch(weights)</c>.
    /// </summary>
    public ImageGrid AddBatch(Values images, IReadOnlyList<string>? captions = null)
    {
        var shape = images.Shape.ToArray();
        if (shape.Length is not (3 or 4))
            throw new ArgumentException($"images must be a batch [N, C, H, W] or [N, H, W]; got shape {Shapes.Format(shape)}.", nameof(images));
        var n = (int)shape[0];
        if (n == 0)
            throw new ArgumentException("images is an empty batch (N = 0).", nameof(images));
        if (captions is not null && captions.Count != n)
            throw new ArgumentException($"There are {n} images but {captions.Count} captions.", nameof(captions));
        var size = images.Count / n;
        var data = images.Data as double[] ?? images.Data.ToArray();
        for (var i = 0; i < n; i++)
            Add(Values.From(data.AsSpan(i * size, size).ToArray()).Reshape(shape[1..]), captions?[i]);
        return this;
    }

    /// <summary>
    /// Images with captions "predicted (true)" in bluish green where the prediction is right and vermillion where
    /// it is wrong (colour-blind safe; the text says it too).
    /// </summary>
    /// <param name="images">A batch [N, C, H, W] or [N, H, W].</param>
    /// <param name="predicted">Predicted class indices [N].</param>
    /// <param name="actual">True class indices [N].</param>
    /// <param name="classNames">Names of the classes (default: the indices).</param>
    public static ImageGrid Predictions(Values images, Values predicted, Values actual, IReadOnlyList<string>? classNames = null)
    {
        var p = predicted.Labels(nameof(predicted));
        var a = actual.Labels(nameof(actual));
        if (p.Length != a.Length)
            throw new ArgumentException($"There are {p.Length} predictions but {a.Length} true labels.", nameof(actual));
        string Name(int k) => classNames is not null && k < classNames.Count ? classNames[k] : k.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var grid = FromBatch(images, p.Select((k, i) => k == a[i] ? Name(k) : $"{Name(k)} (true {Name(a[i])})").ToList());
        for (var i = 0; i < p.Length; i++)
            grid._cells[i] = grid._cells[i] with { Color = p[i] == a[i] ? Palette.OkabeIto[2] : Palette.OkabeIto[1] };
        return grid;
    }

    int ColumnCount => Math.Clamp(Columns ?? (int)Math.Ceiling(Math.Sqrt(_cells.Count)), 1, Math.Max(1, _cells.Count));

    int RowCount => (_cells.Count + ColumnCount - 1) / ColumnCount;

    bool HasCaptions => _cells.Any(c => !string.IsNullOrEmpty(c.Caption));

    float CaptionHeight => HasCaptions ? Text.LineHeight(Theme.TickSize) + 4 : 0;

    (int Width, int Height) LargestImage => _cells.Count == 0 ? (1, 1) : ((int)_cells.Max(c => c.Shape[^1]), (int)_cells.Max(c => c.Shape[^2]));

    private protected override (int Width, int Height) DefaultSize
    {
        get
        {
            var (w, h) = LargestImage;
            // Each image enlarged by a whole factor to at least 64 pixels, wide enough for its caption.
            var scale = Math.Max(1, (int)Math.Ceiling(64.0 / Math.Max(w, h)));
            var captionWidth = _cells.Select(c => string.IsNullOrEmpty(c.Caption) ? 0 : Text.Width(c.Caption, Theme.TickSize) + 4).DefaultIfEmpty(0).Max();
            var cellWidth = Math.Max(w * scale, captionWidth);
            var width = ColumnCount * (cellWidth + Padding) + Padding;
            var height = RowCount * (h * scale + CaptionHeight + Padding) + Padding + TitleBand.HeightOf(Title);
            return ((int)Math.Ceiling(Math.Max(width, string.IsNullOrEmpty(Title) ? 16 : Text.Width(Title, Theme.TitleSize, true) + 24)), (int)Math.Ceiling(height));
        }
    }

    /// <summary>Where image <paramref name="index"/> lands in a figure drawn into <paramref name="area"/> (for tests).</summary>
    internal SKRect CellImageRect(int index, SKRect area)
    {
        var below = new SKRect(area.Left, area.Top + TitleBand.HeightOf(Title), area.Right, area.Bottom);
        var (columns, rows) = (ColumnCount, RowCount);
        var cellWidth = (below.Width - Padding) / columns - Padding;
        var cellHeight = (below.Height - Padding) / rows - Padding - CaptionHeight;
        var (row, column) = (index / columns, index % columns);
        var left = below.Left + Padding + column * (cellWidth + Padding);
        var top = below.Top + Padding + row * (cellHeight + CaptionHeight + Padding);
        var (w, h) = ((int)_cells[index].Shape[^1], (int)_cells[index].Shape[^2]);
        return Raster.Fit(w, h, new SKRect(left, top, left + cellWidth, top + cellHeight));
    }

    private protected override void Draw(SKCanvas canvas, SKRect area)
    {
        if (_cells.Count == 0)
            throw new InvalidOperationException("The image grid is empty; add images with Add or build it with FromBatch.");
        TitleBand.Draw(canvas, area, Title);
        var singleChannel = _cells.Where(c => c.Shape.Length == 2 || c.Shape[0] == 1).SelectMany(c => c.Data);
        var (min, max, colormap) = ValueScale.Resolve(singleChannel, Min, Max, Colormap, Plots.Colormap.Grayscale);
        for (var i = 0; i < _cells.Count; i++)
        {
            var (data, shape, caption, colour) = _cells[i];
            var target = CellImageRect(i, area);
            var multiChannel = shape.Length == 3 && shape[0] > 1;
            Raster.From(data, shape, $"image {i}", multiChannel ? Min : min, multiChannel ? Max : max, colormap).Draw(canvas, target);
            if (!string.IsNullOrEmpty(caption))
            {
                var columns = ColumnCount;
                var cellWidth = (area.Width - Padding) / columns - Padding;
                var text = Text.Fit(caption, Theme.TickSize, cellWidth + Padding);
                Text.Draw(canvas, text, target.MidX, target.Bottom + 2, Theme.TickSize, colour ?? Theme.Ink, HAlign.Center, VAlign.Top);
            }
        }
    }
}
