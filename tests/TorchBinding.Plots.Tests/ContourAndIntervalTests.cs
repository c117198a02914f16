using SkiaSharp;
using TorchBinding.Plots.Charts;

namespace TorchBinding.Plots.Tests;

public class ContourAndIntervalTests
{
    static bool IsDark(SKColor c) => c.Red < 200 && c.Green < 200 && c.Blue < 200;

    /// <summary>The darkest pixel within <paramref name="radius"/> of a point (contour lines are thin and anti-aliased).</summary>
    static SKColor DarkestNear(SKBitmap bitmap, SKPoint p, int radius = 2)
    {
        var best = SKColors.White;
        for (var dy = -radius; dy <= radius; dy++)
            for (var dx = -radius; dx <= radius; dx++)
            {
                var c = bitmap.GetPixel((int)p.X + dx, (int)p.Y + dy);
                if (c.Red + c.Green + c.Blue < best.Red + best.Green + best.Blue)
                    best = c;
            }
        return best;
    }

    [Test]
    public void A_contour_of_x2_plus_y2_at_level_1_is_the_unit_circle()
    {
        var chart = new ContourChart((x, y) => x * x + y * y, (-2, 2), (-2, 2)) { Levels = [1.0], Shaded = false, Width = 500, Height = 500, Legend = LegendPosition.Hidden };
        using var bitmap = Png.Decode(chart.ToPng());
        var frame = chart.LastFrame!;
        Assert.Multiple(() =>
        {
            foreach (var angle in new[] { 0.3, 1.2, 2.5, 4.0, 5.5 })
                Assert.That(IsDark(DarkestNear(bitmap, frame.ToPixel(Math.Cos(angle), Math.Sin(angle)))), Is.True, $"a line on the circle at angle {angle}");
            foreach (var r in new[] { 0.5, 1.5 })
                Assert.That(IsDark(DarkestNear(bitmap, frame.ToPixel(r, 0.1))), Is.False, $"no line at radius {r}");
            Assert.That((frame.XMin, frame.XMax, frame.YMin, frame.YMax), Is.EqualTo((-2.0, 2.0, -2.0, 2.0)), "the axes span the box");
        });
    }

    [Test]
    public void Default_levels_are_increasing_quantiles_inside_the_functions_range()
    {
        var chart = new ContourChart((x, y) => Math.Exp(x) + y * y, (-3, 3), (-1, 1)) { LevelCount = 10 };
        chart.ToPng();
        var levels = chart.DrawnLevels;
        Assert.Multiple(() =>
        {
            Assert.That(levels, Has.Count.EqualTo(10));
            Assert.That(levels, Is.Ordered.Ascending);
            Assert.That(levels.Distinct().Count(), Is.EqualTo(10));
            Assert.That(levels[0], Is.GreaterThan(Math.Exp(-3)));
            Assert.That(levels[^1], Is.LessThan(Math.Exp(3) + 1));
        });
    }

    [Test]
    public void A_path_is_drawn_in_its_colour_from_start_to_end_and_stops_at_the_first_non_finite_point()
    {
        var red = new SKColor(220, 20, 20);
        var chart = new ContourChart((x, y) => x * x + y * y, (-2, 2), (-2, 2)) { Shaded = false, Width = 500, Height = 500, Legend = LegendPosition.Hidden }
            .AddPath("descent", new[] { -1.5, -0.5, 0.5, double.NaN, 1.9 }, new[] { -1.5, -0.5, 0.5, 1.9, 1.9 }, red);
        using var bitmap = Png.Decode(chart.ToPng());
        var frame = chart.LastFrame!;
        SKColor At(double x, double y) { var p = frame.ToPixel(x, y); return bitmap.GetPixel((int)p.X, (int)p.Y); }
        Assert.Multiple(() =>
        {
            Assert.That(Png.Distance(At(0, 0), red), Is.LessThan(60), "on the segment from (−0.5, −0.5) to (0.5, 0.5)");
            Assert.That(Png.Distance(At(0.5, 0.5), red), Is.LessThan(60), "the last finite point, marked");
            Assert.That(Png.Distance(At(1.9, 1.9), red), Is.GreaterThan(120), "the point after the NaN is not drawn");
        });
    }

    [Test]
    public void Bad_contour_input_is_an_argument_error()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new ContourChart((x, y) => x, (1, 1), (0, 1)), Throws.ArgumentException.With.Message.Contain("x range"));
            var chart = new ContourChart((x, y) => x, (0, 1), (0, 1));
            Assert.That(() => chart.AddPath("p", new[] { 0.0, 1 }, new[] { 0.0 }), Throws.ArgumentException.With.Message.Contain("2 x values but 1 y values"));
            Assert.That(() => chart.AddPath("p", new[] { double.NaN }, new[] { 0.0 }), Throws.ArgumentException.With.Message.Contain("no finite first point"));
            Assert.That(() => new ContourChart((x, y) => double.NaN, (0, 1), (0, 1)).ToPng(), Throws.InvalidOperationException.With.Message.Contain("no finite value"));
        });
    }

    [Test]
    public void Error_bars_span_their_interval_and_the_axis_includes_the_upper_ends()
    {
        var chart = new BarChart(["a", "b"]) { Width = 500, Height = 400, Legend = LegendPosition.Hidden, Grid = false }
            .Add("runs", [2.0, 5.0], [1.0, 3.0], [4.0, 9.0]);
        using var bitmap = Png.Decode(chart.ToPng());
        var frame = chart.LastFrame!;
        Assert.Multiple(() =>
        {
            Assert.That(frame.YMax, Is.GreaterThanOrEqualTo(9.0), "the top of the highest error bar is inside the axes");
            // The whisker of bar "b" (x = 1) runs from 3 to 9: dark above the bar (at 7), white beside it.
            Assert.That(IsDark(DarkestNear(bitmap, frame.ToPixel(1, 7), 1)), Is.True, "whisker above bar b");
            Assert.That(IsDark(DarkestNear(bitmap, frame.ToPixel(1.3, 7), 1)), Is.False, "nothing beside it");
            Assert.That(IsDark(DarkestNear(bitmap, frame.ToPixel(0, 3.5), 1)), Is.True, "whisker above bar a reaches 4");
        });
    }

    [Test]
    public void An_interval_must_contain_its_value()
    {
        var chart = new BarChart(["a", "b"]);
        Assert.Multiple(() =>
        {
            Assert.That(() => chart.Add("s", [2.0, 5.0], [1.0, 6.0], [4.0, 9.0]), Throws.ArgumentException.With.Message.Contain("category 'b'").And.Message.Contain("[6, 9]"));
            Assert.That(() => chart.Add("s", [2.0, 5.0], [1.0], [4.0, 9.0]), Throws.ArgumentException.With.Message.Contain("2 categories"));
        });
    }
}
