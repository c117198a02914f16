using SkiaSharp;
using TorchBinding.Plots.Charts;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Plots.Tests;

/// <summary>
/// ScottPlot 5.1 is built on SkiaSharp 3.119, TorchSharp 0.107 on SkiaSharp 2.88; one process gets one SkiaSharp
/// (3.119, pinned centrally). This proves both work in the same process, in both orders of first use.
/// </summary>
public class CoexistenceTests
{
    [Test]
    public void ScottPlot_chart_then_TorchSharp_tensors_and_its_SkiaSharp_image_summary_in_one_process()
    {
        // 1. A ScottPlot chart, rendered through SkiaSharp 3.
        var png = new LineChart { Title = "coexistence", Width = 320, Height = 200 }.Add("y", [1.0, 3, 2, 4]).ToPng();

        // 2. TorchSharp tensor maths and autograd in the same process.
        var x = tensor(new[] { 1f, 2f, 3f }, requires_grad: true);
        var y = (x * x).sum();
        y.backward();
        Assert.That(x.grad!.data<float>().ToArray(), Is.EqualTo(new[] { 2f, 4f, 6f }));

        // 3. TorchSharp's own SkiaSharp code (written against 2.88): the TensorBoard image summary encodes a PNG with SKBitmap.
        var image = rand(3, 12, 16);
        var summary = torch.utils.tensorboard.Summary.image("sample", image, dataformats: "CHW");
        var encoded = summary.Value[0].Image.EncodedImageString.ToByteArray();
        using (var decodedSummary = Png.Decode(encoded))
            Assert.That((decodedSummary.Width, decodedSummary.Height), Is.EqualTo((16, 12)), "TorchSharp's SkiaSharp-encoded PNG decodes");

        // 4. The chart's PNG read back with SkiaSharp into a tensor [3, H, W].
        using var bitmap = Png.Decode(png);
        var pixels = bitmap.Pixels;
        var rgb = new float[3 * pixels.Length];
        for (var i = 0; i < pixels.Length; i++)
            (rgb[i], rgb[pixels.Length + i], rgb[2 * pixels.Length + i]) = (pixels[i].Red / 255f, pixels[i].Green / 255f, pixels[i].Blue / 255f);
        using var chart = tensor(rgb, [3, bitmap.Height, bitmap.Width]);
        Assert.That(chart.shape, Is.EqualTo(new long[] { 3, 200, 320 }));
        var mean = chart.mean().item<float>();
        Assert.That(mean, Is.InRange(0.8f, 0.999f), "mostly white with some ink");

        // 5. And ScottPlot again after TorchSharp used SkiaSharp.
        using var again = Png.Decode(new ScatterChart { Width = 300, Height = 200 }.AddPoints("p", [0.0, 1, 2], [2.0, 1, 0]).ToPng());
        Assert.That(Png.InkFraction(again), Is.GreaterThan(0.01));
    }
}
