using SkiaSharp;
using TorchBinding.Plots.Charts;

namespace TorchBinding.Plots.Tests;

public class ScatterArrowTests
{
    [Test]
    public void Arrows_run_from_each_tail_to_its_head_in_the_given_colour()
    {
        var red = new SKColor(220, 30, 30);
        var chart = new ScatterChart { Width = 500, Height = 400, XMin = -1, XMax = 5, YMin = -1, YMax = 5 }
            .AddPoints("inputs", [0.0, 0], [0.0, 4])
            .AddArrows("mapped", new double[,] { { 0, 0 }, { 0, 4 } }, new double[,] { { 4, 0 }, { 4, 4 } }, red);
        using var bitmap = Png.AssertValid(chart.ToPng(), 500, 400);
        var frame = chart.LastFrame!;
        // On the shaft, half-way: the arrow's colour; half-way between the two arrows: background.
        foreach (var y in new[] { 0.0, 4.0 })
        {
            var mid = frame.ToPixel(2, y);
            Assert.That(Png.Distance(bitmap.GetPixel((int)mid.X, (int)mid.Y), red), Is.LessThan(40), $"shaft at y = {y}");
        }
        var between = frame.ToPixel(2, 2);
        Assert.That(Png.Distance(bitmap.GetPixel((int)between.X, (int)between.Y), red), Is.GreaterThan(100));
    }

    [Test]
    public void Arrow_tails_and_heads_must_pair_up()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new ScatterChart().AddArrows(null, new double[,] { { 0, 0 } }, new double[,] { { 1, 1 }, { 2, 2 } }),
                Throws.ArgumentException.With.Message.Contain("1 arrow tails but 2 heads"));
            Assert.That(() => new ScatterChart().AddArrows(null, new double[,] { { 0, 0, 0 } }, new double[,] { { 1, 1 } }),
                Throws.ArgumentException.With.Message.Contain("[N, 2]"));
        });
    }
}
