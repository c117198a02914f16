using SkiaSharp;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Data.Images;

/// <summary>
/// Reads images into tensors and writes tensors as PNG, through SkiaSharp. A read image is a float32
/// tensor <c>[C, H, W]</c> on the CPU with values in [0, 1] (8-bit value / 255). Every format Skia decodes
/// is read (PNG, JPEG, GIF's first frame, BMP, WebP, ICO, WBMP); 16-bit PNGs are read at 8-bit precision.
/// Values are taken as stored: an embedded colour profile is not applied, and neither is a JPEG's EXIF
/// orientation (as in torchvision's <c>decode_jpeg</c> by default).
/// </summary>
public static class ImageFile
{
    /// <summary>
    /// The most pixels one encoded byte can stand for: deflate (PNG) inflates at most 1032-fold, and a 1-bit PNG packs 8
    /// pixels per byte. A header claiming more (a "decompression bomb") is refused before any pixel memory is allocated.
    /// </summary>
    const long MaxPixelsPerEncodedByte = 1032 * 8;

    static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Reads an image file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="mode">The channels to return (default: as stored).</param>
    /// <returns>A float32 tensor <c>[C, H, W]</c> in [0, 1] on the CPU.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not an image SkiaSharp can decode, or is truncated.</exception>
    public static Tensor Read(string path, ImageColorMode mode = ImageColorMode.AsStored)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The image file {path} does not exist.", path);
        return Decode(File.ReadAllBytes(path), mode, path);
    }

    /// <summary>Decodes an encoded image (the bytes of a PNG, JPEG, ... file).</summary>
    /// <param name="encoded">The encoded image.</param>
    /// <param name="mode">The channels to return (default: as stored).</param>
    /// <param name="name">What to call the data in messages, e.g. its file name.</param>
    /// <returns>A float32 tensor <c>[C, H, W]</c> in [0, 1] on the CPU.</returns>
    /// <exception cref="InvalidDataException">The data is not an image SkiaSharp can decode, or is truncated.</exception>
    public static Tensor Decode(ReadOnlySpan<byte> encoded, ImageColorMode mode = ImageColorMode.AsStored, string? name = null)
    {
        TorchRuntime.EnsureInitialized();
        var label = name ?? "the image data";
        if (encoded.IsEmpty)
            throw new InvalidDataException($"{label}: empty, not an image.");
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new InvalidDataException($"{label}: not an image format SkiaSharp can decode (PNG, JPEG, GIF, BMP, WebP, ICO, WBMP).");
        var (width, height) = (codec.Info.Width, codec.Info.Height);
        if ((long)width * height > (long)encoded.Length * MaxPixelsPerEncodedByte)
            throw new InvalidDataException($"{label}: its {codec.EncodedFormat} header claims {width}×{height} pixels, more than {encoded.Length} bytes can encode " +
                $"(at most {MaxPixelsPerEncodedByte} pixels per byte); refused before decoding.");
        var storedGrey = codec.Info.ColorType == SKColorType.Gray8 || IsGreyPng(encoded);

        // Always decode to unpremultiplied RGBA: Skia converts every source to it. No colour space on the
        // destination means no colour conversion: the values come out as stored.
        var target = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var pixels = new byte[checked((long)width * height * 4)];
        var result = codec.GetPixels(target, pixels);
        if (result != SKCodecResult.Success)
            throw new InvalidDataException($"{label}: the {width}×{height} {codec.EncodedFormat} image could not be decoded ({result}).");

        using var scope = NewDisposeScope();
        var rgba = tensor(pixels, [height, width, 4], dtype: ScalarType.Byte).permute(2, 0, 1);
        var image = (mode, storedGrey) switch
        {
            (ImageColorMode.Rgb, _) => rgba[..3].to(float32) / 255,
            (_, true) => rgba[..1].to(float32) / 255,
            (ImageColorMode.AsStored, false) => rgba[..3].to(float32) / 255,
            (ImageColorMode.Grayscale, false) => Luminance(rgba[..3].to(float32) / 255),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "Unknown colour mode."),
        };
        return image.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Writes an image tensor as a PNG file, atomically (<see cref="AtomicFile"/>).</summary>
    /// <param name="path">The file; its folder is created if needed.</param>
    /// <param name="image">The image: <c>[H, W]</c>, <c>[1, H, W]</c>, <c>[3, H, W]</c>, <c>[1, 1, H, W]</c> or
    /// <c>[1, 3, H, W]</c>, on any device; floating values are clamped to [0, 1] and rounded to 8 bits
    /// (NaN becomes 0), uint8 values are written as they are. One channel gives a grey PNG, three an RGB PNG.</param>
    /// <exception cref="ArgumentException">The tensor's shape or dtype cannot be written as an image.</exception>
    public static void WritePng(string path, Tensor image)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(image);
        var bytes = EncodePng(image, path);
        AtomicFile.WriteAllBytes(path, bytes);
    }

    /// <summary>Encodes an image tensor as PNG; the tensor is taken as by <see cref="WritePng"/>.</summary>
    /// <param name="image">The image (see <see cref="WritePng"/>).</param>
    /// <returns>The bytes of a PNG file.</returns>
    /// <exception cref="ArgumentException">The tensor's shape or dtype cannot be written as an image.</exception>
    public static byte[] EncodePng(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return EncodePng(image, "image");
    }

    static unsafe byte[] EncodePng(Tensor image, string label)
    {
        TorchRuntime.EnsureInitialized();
        var (channels, height, width, pixels) = InterleavedBytes(image, label);
        var info = new SKImageInfo(width, height, channels == 1 ? SKColorType.Gray8 : SKColorType.Rgba8888, SKAlphaType.Opaque);
        fixed (byte* address = pixels)
        {
            using var pixmap = new SKPixmap(info, (IntPtr)address, info.RowBytes);
            using var png = pixmap.Encode(new SKPngEncoderOptions(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6))
                ?? throw new InvalidOperationException($"{label}: SkiaSharp could not encode the {width}×{height} image as PNG.");
            return png.ToArray();
        }
    }

    /// <summary>The image as rows of interleaved 8-bit pixels: grey (1 byte) or RGBA with opaque alpha (4 bytes).</summary>
    static (int Channels, int Height, int Width, byte[] Pixels) InterleavedBytes(Tensor image, string label)
    {
        var shape = image.shape;
        var valid = shape.Length switch
        {
            2 => true,
            3 => shape[0] is 1 or 3,
            4 => shape[0] == 1 && shape[1] is 1 or 3,
            _ => false,
        };
        if (!valid)
            throw new ArgumentException($"{label}: cannot write a tensor of shape {Shapes.Format(image)} as an image; expected [H, W], [1, H, W], [3, H, W], [1, 1, H, W] or [1, 3, H, W].", nameof(image));
        var (height, width) = (shape[^2], shape[^1]);
        if (height is < 1 or > int.MaxValue / 4 || width is < 1 or > int.MaxValue / 4 || height * width > int.MaxValue / 4)
            throw new ArgumentException($"{label}: cannot write an image of shape {Shapes.Format(image)}; height and width must be positive (and the image under 2^29 pixels).", nameof(image));
        if (!image.is_floating_point() && image.dtype != ScalarType.Byte)
            throw new ArgumentException($"{label}: cannot write a {image.dtype} tensor as an image; use floating values in [0, 1] or uint8.", nameof(image));

        using var scope = NewDisposeScope();
        var chw = image.detach().reshape(-1, height, width);
        var bytes = chw.dtype == ScalarType.Byte
            ? chw.cpu()
            : chw.cpu().to(float32).nan_to_num(0).clamp(0, 1).mul(255).round().to(ScalarType.Byte);
        if (bytes.shape[0] == 3)
            bytes = cat([bytes, full(1, height, width, 255, dtype: ScalarType.Byte)], 0);
        var interleaved = bytes.permute(1, 2, 0).contiguous();
        return ((int)chw.shape[0], (int)height, (int)width, interleaved.data<byte>().ToArray());
    }

    static Tensor Luminance(Tensor rgb) =>
        (rgb[0] * 0.299f + rgb[1] * 0.587f + rgb[2] * 0.114f).unsqueeze(0);

    /// <summary>Whether a PNG's header says grey or grey + alpha (Skia decodes the latter as colour).</summary>
    static bool IsGreyPng(ReadOnlySpan<byte> encoded) =>
        // Signature (8), chunk length (4), "IHDR" (4), width (4), height (4), bit depth (1), colour type (1).
        encoded.Length > 25 && encoded[..8].SequenceEqual(PngSignature) && encoded.Slice(12, 4).SequenceEqual("IHDR"u8)
            && encoded[25] is 0 or 4;
}
