using System.Diagnostics;
using SkiaSharp;
using TorchBinding.Plots.Charts;
using TorchBinding.Plots.Diagrams;
using TorchBinding.Plots.Images;
using TorchBinding.Plots.Rendering;
using TorchBinding.Training;
using static TorchSharp.torch;

namespace TorchBinding.Plots.Tests;

public class FigureTests
{
    [TestCaseSource(typeof(Gallery), nameof(Gallery.All))]
    public void Every_kind_of_figure_renders_at_the_requested_size((string Name, Func<Figure> Create) entry)
    {
        var figure = entry.Create();
        figure.Width = 520;
        figure.Height = 380;
        using var bitmap = Png.AssertValid(figure.ToPng(), 520, 380);
    }

    [Test]
    public void Save_writes_a_png_file_atomically_creating_the_folder()
    {
        var folder = Directory.CreateTempSubdirectory("plots-test-").FullName;
        try
        {
            var path = Path.Combine(folder, "nested", "loss.png");
            new LineChart().Add("loss", [3.0, 2, 1]).Save(path);
            using var bitmap = Png.Load(path);
            Assert.That((bitmap.Width, bitmap.Height), Is.EqualTo((720, 450)));
            Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1), "no temporary file left");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestCase(1.0, 0.0)]
    [TestCase(0.0, 1.0)]
    [TestCase(-1.0, 0.0)]
    [TestCase(0.0, -1.0)]
    public void Vector_field_arrows_point_along_their_vector_with_the_head_at_the_front(double u, double v)
    {
        // One red arrow at the centre of a 2:1 data box (different scales on the two axes); its barbs make the
        // front end wider across the arrow than the back end.
        var chart = new VectorFieldChart(new double[,] { { 0, 0 } }, new double[,] { { u, v } })
        {
            ArrowLength = 60, Colormap = null, ArrowColor = SKColors.Red, XMin = -2, XMax = 2, YMin = -1, YMax = 1, Grid = false,
        };
        using var bitmap = Png.Decode(chart.ToPng());
        var red = new List<(int X, int Y)>();
        for (var y = 0; y < bitmap.Height; y++)
            for (var x = 0; x < bitmap.Width; x++)
            {
                var p = bitmap.GetPixel(x, y);
                if (p.Red > 200 && p.Green < 90 && p.Blue < 90)
                    red.Add((x, y));
            }
        Assert.That(red, Has.Count.GreaterThan(40), "the arrow is drawn");
        // Along: the pixel axis of the vector (screen y grows downwards); across: the other one.
        var horizontal = u != 0;
        int Along((int X, int Y) p) => horizontal ? p.X : p.Y;
        int Across((int X, int Y) p) => horizontal ? p.Y : p.X;
        var (first, last) = (red.Min(Along), red.Max(Along));
        Assert.That(last - first, Is.EqualTo(60).Within(4), "60 pixels long whatever the axis scales");
        int Spread(int from, int to) { var band = red.Where(p => Along(p) >= from && Along(p) <= to).Select(Across).ToList(); return band.Max() - band.Min(); }
        // The front end in pixels: +u is to the right (largest x), +v is up (smallest y).
        var frontIsLast = horizontal ? u > 0 : v < 0;
        var (headBand, tailBand) = frontIsLast ? ((last - 4, last - 1), (first + 1, first + 4)) : ((first + 1, first + 4), (last - 4, last - 1));
        Assert.That(Spread(headBand.Item1, headBand.Item2), Is.GreaterThan(Spread(tailBand.Item1, tailBand.Item2) + 2), "the head is at the front");
    }

    [Test]
    public void Vector_field_rejects_mismatched_shapes()
    {
        Assert.That(() => new VectorFieldChart(new double[,] { { 0, 0 }, { 1, 1 } }, new double[,] { { 1, 0 } }),
            Throws.ArgumentException.With.Message.Contains("vectors must have shape [2, 2]").And.Message.Contains("[1, 2]"));
        Assert.That(() => new VectorFieldChart(new double[,] { { 0, 0, 0 } }, new double[,] { { 1, 0 } }),
            Throws.ArgumentException.With.Message.Contains("points must have shape [M, 2]"));
    }

    [Test]
    public void Decision_boundary_of_a_linear_rule_has_each_class_colour_on_its_side()
    {
        // Rule: class 1 above the line y = x. Points on both sides, none near the probes.
        var random = new Random(3);
        var points = new List<float>();
        var labels = new List<long>();
        while (labels.Count < 120)
        {
            var (x, y) = (random.NextDouble() * 2 - 1, random.NextDouble() * 2 - 1);
            if (Math.Abs(x + 0.6) < 0.25 && Math.Abs(y - 0.6) < 0.25 || Math.Abs(x - 0.6) < 0.25 && Math.Abs(y + 0.6) < 0.25)
                continue;
            points.AddRange([(float)x, (float)y]);
            labels.Add(y > x ? 1 : 0);
        }
        using var p = tensor(points.ToArray(), [labels.Count, 2]);
        using var l = tensor(labels.ToArray());
        var classColours = Palette.ForCount(2);
        // Score output [M] (logit: y - x) and two-class logits [M, 2] must both work.
        Func<Tensor, Tensor>[] classifiers =
        [
            g => g[.., 1] - g[.., 0],
            g => stack([g[.., 0] - g[.., 1], g[.., 1] - g[.., 0]], 1),
        ];
        foreach (var classifier in classifiers)
        {
            var chart = new DecisionBoundaryChart(classifier, p, l) { Width = 500, Height = 500 };
            using var bitmap = Png.AssertValid(chart.ToPng(), 500, 500);
            var frame = chart.LastFrame!;
            Assert.That(chart.ClassAt(-0.6, 0.6), Is.EqualTo(1));
            Assert.That(chart.ClassAt(0.6, -0.6), Is.EqualTo(0));
            foreach (var (x, y, expected) in new[] { (-0.6, 0.6, 1), (0.6, -0.6, 0), (-0.75, 0.4, 1), (0.4, -0.75, 0) })
            {
                var pixel = frame.ToPixel(x, y);
                var colour = bitmap.GetPixel((int)pixel.X, (int)pixel.Y);
                var tints = classColours.Select(c => Palette.Lighten(c, chart.RegionLightness)).ToArray();
                Assert.That(Png.Distance(colour, tints[expected]), Is.LessThan(12),
                    $"pixel at ({x}, {y}) is {colour}, expected class {expected}'s tint {tints[expected]} (other: {tints[1 - expected]})");
            }
        }
    }

    [Test]
    public void Decision_boundary_and_scatter_draw_overlay_markers_where_they_belong()
    {
        // Two nearest-centre cells (centres (−0.5, 0) and (0.5, 0)) with the centres drawn as black crosses:
        // a cross's middle is black, a point of the region away from it keeps the region's tint.
        using var p = tensor(new float[] { -0.9f, 0.5f, -0.2f, -0.5f, 0.9f, 0.5f, 0.2f, -0.5f }, [4, 2]);
        using var l = tensor(new long[] { 0, 0, 1, 1 });
        using var centres = tensor(new float[] { -0.5f, 0, 0.5f, 0 }, [2, 2]);
        var chart = new DecisionBoundaryChart(g => -cdist(g, centres), p, l) { Width = 400, Height = 400, Style = BoundaryStyle.Regions }
            .AddPoints("centres", centres[.., 0], centres[.., 1], SKColors.Black, PointMarker.Cross, 20);
        using var bitmap = Png.AssertValid(chart.ToPng(), 400, 400);
        var frame = chart.LastFrame!;
        SKColor At(double x, double y) { var px = frame.ToPixel(x, y); return bitmap.GetPixel((int)px.X, (int)px.Y); }
        Assert.Multiple(() =>
        {
            Assert.That(Png.Distance(At(-0.5, 0), SKColors.Black), Is.LessThan(60), $"cross centre {At(-0.5, 0)}");
            Assert.That(Png.Distance(At(0.5, 0), SKColors.Black), Is.LessThan(60));
            Assert.That(Png.Distance(At(-0.5, -0.35), SKColors.Black), Is.GreaterThan(150), "the region around the cross");
            Assert.That(() => chart.AddPoints("bad", new[] { 1.0, 2.0 }, new[] { 1.0 }), Throws.ArgumentException.With.Message.Contain("2 x values but 1 y values"));
        });
        var scatter = new ScatterChart { Width = 300, Height = 300 }.AddPoints("data", new[] { 0.0, 1.0 }, new[] { 0.0, 1.0 })
            .AddPoints("codes", new[] { 0.5 }, new[] { 0.5 }, SKColors.Black, PointMarker.Cross, 20);
        using var scatterBitmap = Png.AssertValid(scatter.ToPng(), 300, 300);
        var centre = scatter.LastFrame!.ToPixel(0.5, 0.5);
        Assert.That(Png.Distance(scatterBitmap.GetPixel((int)centre.X, (int)centre.Y), SKColors.Black), Is.LessThan(60));
    }

    [Test]
    public void Decision_boundary_rejects_a_classifier_of_the_wrong_output_shape()
    {
        using var p = tensor(new float[] { 0, 0, 1, 1 }, [2, 2]);
        using var l = tensor(new long[] { 0, 1 });
        var chart = new DecisionBoundaryChart(g => g.reshape(-1), p, l);
        Assert.That(() => chart.ToPng(), Throws.ArgumentException.With.Message.Contains("expected"));
    }

    [Test]
    public void Heatmap_colour_bar_ends_are_the_given_min_and_max()
    {
        var heatmap = new Heatmap(new double[,] { { 0, 5 }, { 10, 20 } }) { Min = 0, Max = 10, Width = 420, Height = 320 };
        using var bitmap = Png.AssertValid(heatmap.ToPng(), 420, 320);
        var (matrix, bar) = heatmap.Layout(new SKRect(0, 0, 420, 320));
        var b = bar!.Value;
        var top = bitmap.GetPixel((int)b.MidX, (int)b.Top + 1);
        var bottom = bitmap.GetPixel((int)b.MidX, (int)b.Bottom - 2);
        var map = Colormap.Viridis; // the default for data without negative values
        Assert.Multiple(() =>
        {
            Assert.That(Png.Distance(top, map.Map(1)), Is.LessThan(8), "top of the bar = max");
            Assert.That(Png.Distance(bottom, map.Map(0)), Is.LessThan(8), "bottom of the bar = min");
            // Cells: value 0 = min (bottom colour), 10 = max (top colour), 20 clamps to max.
            SKColor Cell(int r, int c) => bitmap.GetPixel((int)(matrix.Left + (c + 0.15f) * matrix.Width / 2), (int)(matrix.Top + (r + 0.15f) * matrix.Height / 2));
            Assert.That(Png.Distance(Cell(0, 0), bottom), Is.LessThan(8), "cell 0 has the min colour");
            Assert.That(Png.Distance(Cell(1, 0), top), Is.LessThan(8), "cell 10 has the max colour");
            Assert.That(Png.Distance(Cell(1, 1), top), Is.LessThan(8), "cell 20 is clamped to the max colour");
            Assert.That(Png.Distance(Cell(0, 1), map.Map(0.5)), Is.LessThan(8), "cell 5 is mid-scale");
            var ticks = ColorBar.TickValues(0, 10);
            Assert.That((ticks[0], ticks[^1]), Is.EqualTo((0.0, 10.0)), "the bar's end labels are min and max");
        });
    }

    [Test]
    public void Heatmap_range_with_min_not_below_max_is_an_argument_error()
    {
        var heatmap = new Heatmap(new double[,] { { 1, 2 } });
        Assert.That(() => heatmap.WithRange(3, 3), Throws.ArgumentException.With.Message.Contains("min < max"));
        heatmap.Min = 5;
        heatmap.Max = 1;
        Assert.That(() => heatmap.ToPng(), Throws.ArgumentException.With.Message.Contains("min < max"));
    }

    [Test]
    public void Confusion_matrix_takes_counts_as_a_long_array_or_a_tensor()
    {
        var counts = new long[,] { { 5, 1 }, { 2, 7 } };
        var fromArray = Heatmap.ConfusionMatrix(counts, ["cat", "dog"]);
        using var t = tensor(new long[] { 5, 1, 2, 7 }, [2, 2]);
        var fromTensor = Heatmap.ConfusionMatrix(t, ["cat", "dog"]);
        Assert.That(fromTensor.ToPng(), Is.EqualTo(fromArray.ToPng()), "same picture from both");
        Assert.That(() => Heatmap.ConfusionMatrix(new long[,] { { 1, 2, 3 } }), Throws.ArgumentException.With.Message.Contains("square"));
        Assert.That(() => Heatmap.ConfusionMatrix(counts, ["only one"]), Throws.ArgumentException.With.Message.Contains("class names"));
    }

    [Test]
    public void Image_grid_places_image_k_in_cell_k()
    {
        // Six solid images of distinct colours, [3, 5, 7] each, plus captions.
        var colours = Palette.ForCount(6);
        var grid = new ImageGrid { Columns = 4, Title = "grid" };
        for (var k = 0; k < 6; k++)
        {
            var c = colours[k];
            var data = new float[3 * 5 * 7];
            for (var i = 0; i < 35; i++)
                (data[i], data[35 + i], data[70 + i]) = (c.Red / 255f, c.Green / 255f, c.Blue / 255f);
            grid.Add(tensor(data, [3, 5, 7]), $"image {k}");
        }
        using var bitmap = Png.AssertValid(grid.ToPng(), grid.Width, grid.Height);
        var area = new SKRect(0, 0, grid.Width, grid.Height);
        for (var k = 0; k < 6; k++)
        {
            var cell = grid.CellImageRect(k, area);
            Assert.That(cell.Width, Is.GreaterThan(20), "images are enlarged");
            foreach (var (fx, fy) in new[] { (0.5f, 0.5f), (0.1f, 0.1f), (0.9f, 0.9f) })
            {
                var pixel = bitmap.GetPixel((int)(cell.Left + fx * cell.Width), (int)(cell.Top + fy * cell.Height));
                Assert.That(Png.Distance(pixel, colours[k]), Is.LessThan(3), $"cell {k} shows image {k}");
            }
        }
        Assert.That(grid.CellImageRect(4, area).Top, Is.GreaterThan(grid.CellImageRect(3, area).Bottom), "row by row, 4 per row");
    }

    [Test]
    public void Signed_images_are_drawn_on_a_shared_symmetric_range_with_a_diverging_map()
    {
        // Two "kernels": one with values -2..2, one within -0.5..0.5. On one symmetric scale [-2, 2], 0 is the neutral
        // middle colour in both, -2 the dark blue end, and +0.5 a faint red (not the full red it would get on its own range).
        var grid = ImageGrid.FromBatch(tensor(new float[] { -2, 0, 2, 0, 0.5f, -0.5f, 0, 0.5f }, [2, 1, 2, 2]), ["wide range", "narrow range"]);
        using var bitmap = Png.AssertValid(grid.ToPng(), grid.Width, grid.Height);
        var area = new SKRect(0, 0, grid.Width, grid.Height);
        SKColor Pixel(int image, int row, int column)
        {
            var cell = grid.CellImageRect(image, area);
            return bitmap.GetPixel((int)(cell.Left + (column + 0.5f) * cell.Width / 2), (int)(cell.Top + (row + 0.5f) * cell.Height / 2));
        }
        Assert.Multiple(() =>
        {
            Assert.That(Png.Distance(Pixel(0, 0, 0), Colormap.Balance.Map(0)), Is.LessThan(8), "-2: the low end");
            Assert.That(Png.Distance(Pixel(0, 1, 0), Colormap.Balance.Map(1)), Is.LessThan(8), "+2: the high end");
            Assert.That(Png.Distance(Pixel(0, 0, 1), Colormap.Balance.Map(0.5)), Is.LessThan(8), "0: the middle");
            Assert.That(Png.Distance(Pixel(1, 1, 0), Colormap.Balance.Map(0.5)), Is.LessThan(8), "0 in the second image too");
            Assert.That(Png.Distance(Pixel(1, 1, 1), Colormap.Balance.Map(0.625)), Is.LessThan(8), "+0.5 on the shared [-2, 2] scale");
        });
    }

    [Test]
    public void Image_figure_takes_HW_CHW_and_NCHW_tensors_on_any_dtype()
    {
        using var gray = arange(0, 64, dtype: ScalarType.Int64).reshape(8, 8);
        using var rgb = rand(3, 10, 12);
        using var batch = rand(5, 1, 6, 6);
        Assert.Multiple(() =>
        {
            Assert.That(ImageFigure.FromTensor(gray), Is.InstanceOf<ImageFigure>());
            Assert.That(ImageFigure.FromTensor(rgb), Is.InstanceOf<ImageFigure>());
            Assert.That(ImageFigure.FromTensor(batch), Is.InstanceOf<ImageGrid>());
        });
        foreach (var figure in new[] { ImageFigure.FromTensor(gray), ImageFigure.FromTensor(rgb), ImageFigure.FromTensor(batch) })
            Png.AssertValid(figure.ToPng(), figure.Width, figure.Height).Dispose();
        // Whole numbers 0..255 are read as bytes: 0 black, 63 dark grey.
        var image = new ImageFigure(gray) { Width = 96, Height = 96 };
        using var bitmap = Png.Decode(image.ToPng());
        Assert.That(bitmap.GetPixel(48, 48).Red, Is.InRange(30, 50), "value 36 of 0..255");
        using var bad = rand(5, 4, 4);
        Assert.That(() => new ImageFigure(bad), Throws.ArgumentException.With.Message.Contains("C = 1, 3 or 4"));
    }

    [Test]
    public void Text_renders_with_the_embedded_font()
    {
        // ScottPlot resolves the default family to the embedded DejaVu Sans, whatever the machine has.
        PlotFonts.EnsureRegistered();
        Assert.That(ScottPlot.Fonts.Default, Is.EqualTo(PlotFonts.Family));
        using var typeface = ScottPlot.Fonts.FontResolvers[0].CreateTypeface(PlotFonts.Family, false, false)!;
        Assert.That(typeface.GlyphCount, Is.GreaterThan(1000));
        Assert.That(typeface.ContainsGlyphs("Aa∂ᾱ·×"), Is.True);

        // A title changes the pixels of the title area, in a ScottPlot chart and in a Skia-drawn figure.
        static SKBitmap Chart(string? title) => Png.Decode(new LineChart { Title = title, Width = 400, Height = 300 }.Add("y", [1.0, 2, 3]).ToPng());
        using var with = Chart("Loss curve");
        using var without = Chart(null);
        Assert.That(Png.ChangedPixels(with, without, new SKRectI(100, 0, 300, 30)), Is.GreaterThan(150), "chart title drawn");
        var withLabel = new Heatmap(new double[,] { { 1, 2 }, { 3, 4 } }) { Title = "Heat", Width = 300, Height = 260 };
        var withoutLabel = new Heatmap(new double[,] { { 1, 2 }, { 3, 4 } }) { Width = 300, Height = 260 };
        using var a = Png.Decode(withLabel.ToPng());
        using var b = Png.Decode(withoutLabel.ToPng());
        Assert.That(Png.ChangedPixels(a, b, new SKRectI(100, 0, 200, 30)), Is.GreaterThan(80), "heatmap title drawn");
    }

    [Test]
    public void Log_scale_line_chart_has_decade_ticks_and_rejects_series_without_positive_values()
    {
        var (major, _) = Ticks.Log(Math.Log10(0.001), Math.Log10(1000));
        Assert.That(major, Is.EqualTo(new[] { 0.001, 0.01, 0.1, 1, 10, 100, 1000 }).Within(1e-12));
        var (narrow, _) = Ticks.Log(Math.Log10(0.05), Math.Log10(2));
        Assert.That(narrow, Is.EqualTo(new[] { 0.05, 0.1, 0.2, 0.5, 1, 2 }).Within(1e-12), "1-2-5 within a few decades");
        var chart = new LineChart { LogY = true }.Add("bad", [0.0, -1]);
        Assert.That(() => chart.ToPng(), Throws.ArgumentException.With.Message.Contains("positive"));
    }

    [Test]
    public void Line_chart_log_x_axis_and_shaded_band()
    {
        var chart = new LineChart { LogX = true, Width = 600, Height = 400, YMin = 0, YMax = 1, Legend = LegendPosition.Hidden }
            .Add("mean", [10.0, 100, 1000], [0.5, 0.6, 0.7], Palette.OkabeIto[0])
            .AddBand(null, [10.0, 100, 1000], [0.3, 0.4, 0.5], [0.7, 0.8, 0.9]);
        using var bitmap = Png.AssertValid(chart.ToPng(), 600, 400);
        var frame = chart.LastFrame!;
        Assert.Multiple(() =>
        {
            Assert.That(chart.BandCount, Is.EqualTo(1));
            Assert.That(frame.XMin, Is.LessThanOrEqualTo(1.0).And.GreaterThan(0.5), "the x axis is in decades: 10 is at 1");
            Assert.That(frame.XMax, Is.GreaterThanOrEqualTo(3.0).And.LessThan(3.5), "1000 is at 3");
            // Inside the band (between the edges, off the line) the pixel is tinted with the line's colour; outside it is background.
            var inside = frame.ToPixel(2, 0.45);
            var outside = frame.ToPixel(2, 0.1);
            var tinted = bitmap.GetPixel((int)inside.X, (int)inside.Y);
            var background = bitmap.GetPixel((int)outside.X, (int)outside.Y);
            Assert.That(Png.Distance(tinted, background), Is.GreaterThan(20), $"band pixel {tinted} vs background {background}");
            Assert.That(tinted.Blue, Is.GreaterThan(tinted.Red + 20), "a tint of the line's blue (Okabe–Ito), not grey");
        });
        Assert.That(() => new LineChart().AddBand("b", [1.0, 2], [0.5, 0.9], [0.6, 0.8]), Throws.ArgumentException.With.Message.Contains("lower edge 0.9 is above the upper edge 0.8"));
        Assert.That(() => new LineChart { LogX = true }.Add("bad", [0.0, -1], [1.0, 2]).ToPng(), Throws.ArgumentException.With.Message.Contains("logarithmic"));
    }

    [Test]
    public void Bad_input_is_an_argument_error_naming_the_problem()
    {
        using var threeColumns = rand(4, 3);
        Assert.Multiple(() =>
        {
            Assert.That(() => new LineChart().Add("empty", Array.Empty<double>()), Throws.ArgumentException.With.Message.Contains("empty"));
            Assert.That(() => new LineChart().Add("xy", [1.0, 2], [1.0]), Throws.ArgumentException.With.Message.Contains("2 x values but 1 y values"));
            Assert.That(() => new ScatterChart().AddClasses(threeColumns, new long[] { 0, 1, 0, 1 }), Throws.ArgumentException.With.Message.Contains("[N, 2]"));
            Assert.That(() => new ScatterChart().AddClasses(new double[,] { { 0, 0 } }, new long[] { 0, 1 }), Throws.ArgumentException.With.Message.Contains("1 points but 2 labels"));
            Assert.That(() => new FunctionFitChart([1.0, 2], [1.0, 2], [1.0, 2], new double[,] { { 1, 2, 3 } }), Throws.ArgumentException.With.Message.Contains("contributions"));
            Assert.That(() => new HistogramChart().Add("h", Array.Empty<double>()), Throws.ArgumentException.With.Message.Contains("empty"));
            Assert.That(() => new BarChart(["a", "b"]).Add("v", [1.0]), Throws.ArgumentException.With.Message.Contains("2 categories"));
            Assert.That(() => new Heatmap(new[] { 1.0, 2 }), Throws.ArgumentException.With.Message.Contains("2-D"));
            Assert.That(() => ImageGrid.FromBatch(rand(2, 1, 4, 4), ["one"]), Throws.ArgumentException.With.Message.Contains("2 images but 1 captions"));
            Assert.That(() => new HeatmapOverlay(rand(8, 8), rand(2, 2, 2)), Throws.ArgumentException.With.Message.Contains("heat"));
            Assert.That(() => HistoryPlot.Create(new TrainingHistory()), Throws.ArgumentException.With.Message.Contains("empty"));
        });
    }

    [Test]
    public void Tensors_on_any_device_and_dtype_are_read()
    {
        var device = cuda.is_available() ? CUDA : CPU;
        using var y = tensor(new[] { 3.0, 2, 1 }, device: device).to(ScalarType.Float16);
        Values values = y;
        Assert.That(values.Data, Is.EqualTo(new[] { 3.0, 2, 1 }));
        Assert.That(values.Shape, Is.EqualTo(new long[] { 3 }));
    }

    [Test]
    public void Graph_layouts_and_DOT_text()
    {
        var graph = Gallery.ComputationGraph();
        var centres = graph.NodeCentres(new SKRect(0, 0, graph.Width, graph.Height));
        Assert.Multiple(() =>
        {
            Assert.That(centres["a"].X, Is.LessThan(centres["c"].X), "inputs left of c");
            Assert.That(centres["b"].X, Is.LessThan(centres["d"].X));
            Assert.That(centres["c"].X, Is.LessThan(centres["e"].X), "e last");
            Assert.That(centres["c"].X, Is.EqualTo(centres["d"].X).Within(0.5), "c and d share a layer");
        });
        var dot = graph.ToDot();
        Assert.That(dot, Does.StartWith("digraph G {"));
        Assert.That(dot, Does.Contain("\"c\" -> \"e\" [label=\"∂e/∂c = d = 2\"];"));
        Assert.That(dot, Does.Contain("\"c\" [label=\"c = a + b\", shape=box];"));

        var chain = Gallery.MarkovChain();
        Assert.That(chain.ToDot(), Does.Contain("layout=circo;"), "a chain with self-loops is laid out on a circle");
        var around = chain.NodeCentres(new SKRect(0, 0, chain.Width, chain.Height)).Values.ToArray();
        var middle = new SKPoint(around.Average(p => p.X), around.Average(p => p.Y));
        var radii = around.Select(p => (p - middle).Length).ToArray();
        Assert.That(radii.Max() - radii.Min(), Is.LessThan(1), "states on a circle");
        Png.AssertValid(chain.ToPng(), chain.Width, chain.Height).Dispose();
    }

    [Test]
    public void History_plot_draws_a_loss_panel_and_one_panel_per_metric()
    {
        var history = Gallery.SampleHistory();
        Assert.That(HistoryPlot.MetricNames(history), Is.EqualTo(new[] { "accuracy" }));
        var figure = (MultiPanelFigure)HistoryPlot.Create(history);
        Assert.That(figure.Panels.Select(p => p.Title), Is.EqualTo(new[] { "Loss", "accuracy", "Learning rate" }));
        var noRate = (MultiPanelFigure)HistoryPlot.Create(history, new HistoryPlotOptions { ShowLearningRate = false, LogLoss = true });
        Assert.That(noRate.Panels, Has.Count.EqualTo(2));
        Png.AssertValid(noRate.ToPng(), noRate.Width, noRate.Height).Dispose();

        // A loss-only history is a single chart.
        var lossOnly = new TrainingHistory();
        lossOnly.AddEpoch(new EpochRecord(1, new Dictionary<string, double> { ["train_loss"] = 1, ["lr"] = 0.1 }));
        lossOnly.AddEpoch(new EpochRecord(2, new Dictionary<string, double> { ["train_loss"] = 0.5, ["lr"] = 0.1 }));
        Assert.That(HistoryPlot.Create(lossOnly), Is.InstanceOf<LineChart>());
    }

    [Test]
    public void Multi_panel_figure_places_panels_row_by_row_under_the_title()
    {
        var figure = new MultiPanelFigure(columns: 2) { Title = "two by two" };
        for (var i = 0; i < 3; i++)
            figure.Add(new LineChart().Add(null, [1.0, i + 2]), $"panel {i}");
        Assert.That((figure.Width, figure.Height), Is.EqualTo((960, 2 * 340 + 36)));
        var area = new SKRect(0, 0, figure.Width, figure.Height);
        Assert.That(figure.PanelRect(0, area), Is.EqualTo(new SKRect(0, 36, 480, 376)));
        Assert.That(figure.PanelRect(2, area), Is.EqualTo(new SKRect(0, 376, 480, 716)));
        Assert.That(figure.Panels[1].Title, Is.EqualTo("panel 1"));
        Png.AssertValid(figure.ToPng(), 960, 716).Dispose();
    }

    [Test]
    public void Rendering_200_figures_does_not_grow_memory()
    {
        static void Render(int i) => new LineChart { Title = $"chart {i}", Width = 400, Height = 300 }
            .Add("a", Enumerable.Range(0, 50).Select(x => Math.Sin(x * 0.1 + i)).ToArray())
            .Add("b", Enumerable.Range(0, 50).Select(x => Math.Cos(x * 0.1 + i)).ToArray())
            .ToPng();
        static long Settled()
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            using var process = Process.GetCurrentProcess();
            return process.PrivateMemorySize64;
        }
        for (var i = 0; i < 20; i++)
            Render(i);
        var before = Settled();
        for (var i = 0; i < 200; i++)
            Render(i);
        var growth = Settled() - before;
        // One 400x300 RGBA bitmap is 0.5 MB; a leak of one per figure would be 100 MB. 50 MB leaves room for
        // allocator and GC heap fluctuation while catching any per-figure leak of native Skia memory.
        Assert.That(growth, Is.LessThan(50L * 1024 * 1024), $"private memory grew by {growth / (1024.0 * 1024):F1} MB over 200 figures");
    }
}
