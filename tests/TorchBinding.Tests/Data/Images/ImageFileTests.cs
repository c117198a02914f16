using SkiaSharp;
using TorchBinding.Data.Images;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Data.Images;

public class ImageFileTests
{
    /// <summary>An image of random 8-bit values, as floats k / 255.</summary>
    static Tensor EightBitImage(params long[] shape)
    {
        using var generator = new Generator(42);
        return randint(0, 256, shape, generator: generator).to(float32) / 255;
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();

    static Tensor Expected(byte[] values, params long[] shape) => tensor(values, shape).to(float32) / 255;

    [Test]
    public void Grey_image_round_trips_exactly_at_8_bits()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var scope = NewDisposeScope();
        var path = Path.Combine(folder.Path, "grey.png");
        var image = EightBitImage(1, 13, 17);
        ImageFile.WritePng(path, image);
        Assert.Multiple(() =>
        {
            Assert.That(Same(ImageFile.Read(path), image), Is.True, "as stored: one channel");
            Assert.That(Same(ImageFile.Read(path, ImageColorMode.Grayscale), image), Is.True);
            Assert.That(Same(ImageFile.Read(path, ImageColorMode.Rgb), image.expand(3, 13, 17)), Is.True, "the grey value in R, G and B");
        });
    }

    [Test]
    public void Rgb_image_round_trips_exactly_at_8_bits()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var scope = NewDisposeScope();
        var path = Path.Combine(folder.Path, "rgb.png");
        var image = EightBitImage(3, 9, 11);
        ImageFile.WritePng(path, image);
        Assert.Multiple(() =>
        {
            Assert.That(Same(ImageFile.Read(path), image), Is.True, "as stored: three channels");
            Assert.That(Same(ImageFile.Read(path, ImageColorMode.Rgb), image), Is.True);
        });
    }

    [Test]
    public void Every_accepted_shape_writes_the_same_picture()
    {
        using var scope = NewDisposeScope();
        var grey = EightBitImage(5, 6);
        var rgb = EightBitImage(3, 5, 6);
        Assert.Multiple(() =>
        {
            foreach (var shaped in new[] { grey, grey.unsqueeze(0), grey.view(1, 1, 5, 6) })
                Assert.That(Same(ImageFile.Decode(ImageFile.EncodePng(shaped)), grey.unsqueeze(0)), Is.True, Shapes.Format(shaped));
            foreach (var shaped in new[] { rgb, rgb.unsqueeze(0) })
                Assert.That(Same(ImageFile.Decode(ImageFile.EncodePng(shaped)), rgb), Is.True, Shapes.Format(shaped));
        });
    }

    [Test]
    public void Written_png_is_grey_or_rgb_without_alpha()
    {
        using var scope = NewDisposeScope();
        var grey = ImageFile.EncodePng(EightBitImage(4, 4));
        var rgb = ImageFile.EncodePng(EightBitImage(3, 4, 4));
        Assert.Multiple(() =>
        {
            Assert.That(grey[..8], Is.EqualTo(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }), "PNG signature");
            Assert.That(grey[25], Is.EqualTo(HandMadePng.Grey), "IHDR colour type");
            Assert.That(rgb[25], Is.EqualTo(HandMadePng.Rgb), "IHDR colour type");
        });
    }

    [Test]
    public void Float_values_are_clamped_and_uint8_written_as_is()
    {
        using var scope = NewDisposeScope();
        var floats = tensor(new[] { -1f, 0f, 0.2f, 1f, 2f, float.NaN }).view(1, 6);
        var bytes = tensor(new byte[] { 0, 1, 127, 128, 254, 255 }).view(1, 6);
        Assert.Multiple(() =>
        {
            Assert.That(Same(ImageFile.Decode(ImageFile.EncodePng(floats)), Expected([0, 0, 51, 255, 255, 0], 1, 1, 6)), Is.True, "clamped to [0, 1], NaN as 0, 0.2 · 255 = 51");
            Assert.That(Same(ImageFile.Decode(ImageFile.EncodePng(bytes)), Expected([0, 1, 127, 128, 254, 255], 1, 1, 6)), Is.True);
        });
    }

    [Test]
    public void Hand_made_pngs_read_back_their_pixel_values()
    {
        using var scope = NewDisposeScope();
        // 3×2 pixels of each kind, values chosen so that every channel differs.
        byte[] grey = [0, 37, 255, 128, 1, 254];
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30, 200, 100, 50, 7, 7, 7];
        byte[] rgba = [255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 1, 10, 20, 30, 255, 200, 100, 50, 64, 7, 7, 7, 255];
        byte[] greyAlpha = [0, 255, 37, 128, 255, 1, 128, 255, 1, 0, 254, 77];
        Assert.Multiple(() =>
        {
            Assert.That(Same(ImageFile.Decode(HandMadePng.Encode(3, 2, HandMadePng.Grey, grey)), Expected(grey, 1, 2, 3)), Is.True, "grey");
            Assert.That(Same(ImageFile.Decode(HandMadePng.Encode(3, 2, HandMadePng.Rgb, rgb)), Expected(rgb, 2, 3, 3).permute(2, 0, 1)), Is.True, "RGB");
            // Alpha is dropped and the colour is not premultiplied by it.
            var rgbOfRgba = rgba.Where((_, i) => i % 4 != 3).ToArray();
            Assert.That(Same(ImageFile.Decode(HandMadePng.Encode(3, 2, HandMadePng.Rgba, rgba)), Expected(rgbOfRgba, 2, 3, 3).permute(2, 0, 1)), Is.True, "RGBA");
            var greyOfGreyAlpha = greyAlpha.Where((_, i) => i % 2 == 0).ToArray();
            Assert.That(Same(ImageFile.Decode(HandMadePng.Encode(3, 2, HandMadePng.GreyAlpha, greyAlpha)), Expected(greyOfGreyAlpha, 1, 2, 3)), Is.True, "grey + alpha is one channel as stored");
        });
    }

    [Test]
    public void Grayscale_of_a_colour_image_is_its_luminance()
    {
        using var scope = NewDisposeScope();
        byte[] rgb = [255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30];
        var grey = ImageFile.Decode(HandMadePng.Encode(4, 1, HandMadePng.Rgb, rgb), ImageColorMode.Grayscale);
        var expected = tensor(new[] { 0.299f, 0.587f, 0.114f, (0.299f * 10 + 0.587f * 20 + 0.114f * 30) / 255 }).view(1, 1, 4);
        TensorAssert.AreClose(grey, expected, rtol: 1e-6, atol: 1e-6, what: grey.ToString(TorchSharp.TensorStringStyle.Numpy));
    }

    [Test]
    public void Sixteen_bit_png_is_read_at_8_bit_precision()
    {
        using var scope = NewDisposeScope();
        byte[] samples = [0x00, 0x00, 0xAB, 0xCD, 0xFF, 0xFF]; // big-endian 16-bit grey
        var image = ImageFile.Decode(HandMadePng.Encode(3, 1, HandMadePng.Grey, samples, bitDepth: 16));
        TensorAssert.AreClose(image, tensor(new[] { 0f, 0xABCD / 65535f, 1f }).view(1, 1, 3), rtol: 0, atol: 1 / 255f);
    }

    [Test]
    public void Jpeg_is_decoded()
    {
        using var scope = NewDisposeScope();
        using var bitmap = new SKBitmap(16, 8);
        bitmap.Erase(new SKColor(200, 100, 50));
        using var jpeg = bitmap.Encode(SKEncodedImageFormat.Jpeg, 100);
        var image = ImageFile.Decode(jpeg.ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(image.shape, Is.EqualTo(new long[] { 3, 8, 16 }));
            TensorAssert.AreClose(image, tensor(new[] { 200f, 100f, 50f }).view(3, 1, 1).expand(3, 8, 16) / 255, rtol: 0, atol: 3 / 255f, what: "lossy, but close for a flat colour");
        });
    }

    [Test]
    public void A_png_header_claiming_more_pixels_than_its_bytes_can_hold_is_refused_before_decoding()
    {
        // IHDR says 20000×20000 (400 million pixels, 1.6 GB as RGBA); the file is a few hundred bytes.
        var bomb = HandMadePng.Encode(20000, 20000, HandMadePng.Grey, new byte[20000]);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        Assert.That(() => ImageFile.Decode(bomb, name: "bomb.png"), Throws.TypeOf<InvalidDataException>()
            .With.Message.Contain("bomb.png").And.Message.Contain("claims 20000×20000 pixels").And.Message.Contain($"than {bomb.Length} bytes can encode"));
        Assert.That(GC.GetTotalAllocatedBytes(precise: true) - allocated, Is.LessThan(16 << 20), "no pixel memory was allocated");
    }

    [Test]
    public void A_text_file_named_png_is_invalid_data_naming_the_file()
    {
        using var folder = TestSupport.TemporaryFolder();
        var path = Path.Combine(folder.Path, "x.png");
        File.WriteAllText(path, "this is not an image\n");
        Assert.That(() => ImageFile.Read(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contain(path));
    }

    [Test]
    public void A_truncated_png_is_invalid_data()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var image = EightBitImage(3, 64, 64);
        var png = ImageFile.EncodePng(image);
        var path = Path.Combine(folder.Path, "cut.png");
        File.WriteAllBytes(path, png[..(png.Length / 2)]);
        Assert.That(() => ImageFile.Read(path), Throws.InstanceOf<InvalidDataException>().With.Message.Contain(path));
    }

    [Test]
    public void A_missing_file_is_file_not_found()
    {
        using var folder = TestSupport.TemporaryFolder();
        var path = Path.Combine(folder.Path, "missing.png");
        Assert.That(() => ImageFile.Read(path), Throws.InstanceOf<FileNotFoundException>()
            .With.Property(nameof(FileNotFoundException.FileName)).EqualTo(path).And.Message.Contain(path));
    }

    [Test]
    public void Tensors_that_are_not_images_are_refused_naming_the_file_and_shape()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var scope = NewDisposeScope();
        var path = Path.Combine(folder.Path, "bad.png");
        Assert.Multiple(() =>
        {
            foreach (var shape in new long[][] { [2, 4, 4], [4, 4, 4], [2, 3, 4, 4], [1, 2, 4, 4], [16], [1, 1, 1, 4, 4], [3, 0, 4] })
                Assert.That(() => ImageFile.WritePng(path, zeros(shape)), Throws.ArgumentException.With.Message.Contain(path).And.Message.Contain(Shapes.Format(shape)), Shapes.Format(shape));
            Assert.That(() => ImageFile.WritePng(path, zeros([3, 4, 4], dtype: int64)), Throws.ArgumentException.With.Message.Contain("Int64"));
            Assert.That(() => ImageFile.EncodePng(zeros(5, 4, 4)), Throws.ArgumentException.With.Message.Contain("[5, 4, 4]"));
            Assert.That(File.Exists(path), Is.False, "nothing written");
        });
    }

    [Test]
    public void Writing_replaces_the_file_and_leaves_no_temporary_file()
    {
        using var folder = TestSupport.TemporaryFolder();
        using var scope = NewDisposeScope();
        var path = Path.Combine(folder.Path, "sub", "image.png");
        ImageFile.WritePng(path, zeros(3, 4, 4));
        ImageFile.WritePng(path, ones(1, 5, 7));
        Assert.Multiple(() =>
        {
            Assert.That(Directory.GetFiles(folder.Path, "*", SearchOption.AllDirectories), Is.EqualTo(new[] { path }));
            Assert.That(Same(ImageFile.Read(path), ones(1, 5, 7)), Is.True, "the second image");
        });
    }

    [Test]
    public void Reading_leaves_only_the_image_alive()
    {
        using var image = EightBitImage(3, 8, 8);
        var png = ImageFile.EncodePng(image);
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (ImageFile.Decode(png, ImageColorMode.Grayscale))
            Assert.That(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before + 1));
        ImageFile.EncodePng(image);
        Assert.That(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before), "encoding leaves nothing");
    }
}

public class TestImagesTests
{
    [Test]
    public void Camera_is_a_512_square_grey_image()
    {
        using var camera = TorchBinding.Data.Images.TestImages.Camera();
        Assert.Multiple(() =>
        {
            Assert.That(camera.shape, Is.EqualTo(new long[] { 1, 512, 512 }));
            Assert.That(camera.min().item<float>(), Is.GreaterThanOrEqualTo(0f));
            Assert.That(camera.max().item<float>(), Is.LessThanOrEqualTo(1f));
            Assert.That(camera.std().item<float>(), Is.GreaterThan(0.1f), "a photograph, not a flat image");
        });
    }
}
