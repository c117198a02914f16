using System.Buffers.Binary;

namespace TorchBinding.Data.Files;

/// <summary>
/// The IDX format of MNIST and Fashion-MNIST: two zero bytes, a type code (0x08 = unsigned byte), the
/// number of dimensions, each dimension as a big-endian 32-bit integer, then the values. A wrong magic, an
/// unsupported type, dimensions whose product overflows, or a length that disagrees with the dimensions is an <see cref="InvalidDataException"/>.
/// </summary>
public static class IdxFile
{
    /// <summary>Parses unsigned-byte IDX content; <paramref name="source"/> names it in messages.</summary>
    public static (int[] Dimensions, byte[] Values) Parse(byte[] content, string source)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.Length < 4 || content[0] != 0 || content[1] != 0)
            throw new InvalidDataException($"{source}: not an IDX file (its first bytes are {Convert.ToHexString(content.AsSpan(0, Math.Min(4, content.Length)))}, an IDX file starts with 0000).");
        if (content[2] != 0x08)
            throw new InvalidDataException($"{source}: IDX type code 0x{content[2]:X2} is not supported (only 0x08, unsigned bytes).");
        var rank = content[3];
        if (rank is 0 or > 4)
            throw new InvalidDataException($"{source}: IDX header declares {rank} dimensions; expected 1 to 4.");
        var header = 4 + 4 * rank;
        if (content.Length < header)
            throw new InvalidDataException($"{source}: truncated IDX header ({content.Length} bytes, the header alone needs {header}).");
        var dimensions = new int[rank];
        long count = 1;
        for (var d = 0; d < rank; d++)
        {
            dimensions[d] = BinaryPrimitives.ReadInt32BigEndian(content.AsSpan(4 + 4 * d, 4));
            if (dimensions[d] < 0)
                throw new InvalidDataException($"{source}: IDX dimension {d} is negative ({dimensions[d]}).");
        }
        // Four 32-bit dimensions can multiply past 2^64 and wrap (to 0, say), which would make a corrupt header "valid".
        try
        {
            foreach (var dimension in dimensions)
                count = checked(count * dimension);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{source}: IDX dimensions [{string.Join(", ", dimensions)}] multiply to more than {long.MaxValue} values: a corrupt header (the file has {content.Length} bytes).");
        }
        if (content.Length - header != count)
            throw new InvalidDataException($"{source}: wrong length for an IDX file of shape [{string.Join(", ", dimensions)}]: expected {header + count} bytes, the file has {content.Length}.");
        return (dimensions, content[header..]);
    }
}
