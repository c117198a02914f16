using System.Buffers.Binary;
using System.IO.Compression;

namespace TorchBinding.Tests.Data.Images;

/// <summary>
/// A minimal PNG writer independent of SkiaSharp (unfiltered rows, one IDAT chunk), so that reading is
/// checked against files whose every byte the test knows.
/// </summary>
static class HandMadePng
{
    public const byte Grey = 0, Rgb = 2, GreyAlpha = 4, Rgba = 6;

    /// <summary>A PNG of <paramref name="width"/>×<paramref name="height"/> pixels whose samples, row by row, are <paramref name="samples"/>.</summary>
    public static byte[] Encode(int width, int height, byte colorType, byte[] samples, byte bitDepth = 8)
    {
        var rowBytes = samples.Length / height;
        using var raw = new MemoryStream();
        using (var zlib = new ZLibStream(raw, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var y = 0; y < height; y++)
            {
                zlib.WriteByte(0); // filter: none
                zlib.Write(samples, y * rowBytes, rowBytes);
            }
        }
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        (header[8], header[9]) = (bitDepth, colorType); // compression, filter method and interlace stay 0

        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", header);
        Chunk(png, "IDAT", raw.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typeAndData = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typeAndData);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typeAndData));
        png.Write(word);
    }

    static uint Crc32(byte[] bytes)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in bytes)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }
}
