using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.IO;

/// <summary>One tensor's entry in a safetensors header: its name, dtype, shape and byte range in the data section.</summary>
/// <param name="Name">The state-dict key, e.g. <c>layer1.0.weight</c>.</param>
/// <param name="DType">The safetensors dtype name, e.g. <c>F32</c>.</param>
/// <param name="Shape">The shape (empty for a scalar).</param>
/// <param name="Begin">The first byte, relative to the start of the data section.</param>
/// <param name="End">One past the last byte.</param>
public sealed record SafeTensorsEntry(string Name, string DType, IReadOnlyList<long> Shape, long Begin, long End);

/// <summary>
/// The safetensors format (Hugging Face's weight files, written by <c>safetensors.torch.save_file</c>), read and
/// written here without any other library: 8 bytes of little-endian header length <c>N</c>, <c>N</c> bytes of a
/// UTF-8 JSON header mapping each tensor's name to <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (and an
/// optional <c>"__metadata__"</c> object of strings), then the raw little-endian data. Dtypes: F64, F32, F16, BF16,
/// I64, I32, I16, I8, U8, BOOL. A file is only data: reading it never runs anything from it, and every field is
/// checked before a tensor is made — a malformed file is an <see cref="InvalidDataException"/> that names the file,
/// the tensor and what is wrong (a header length beyond the file, a header that is not UTF-8 JSON, a tensor named
/// twice, offsets that are not two whole numbers, out of range, overlapping or leaving gaps, an unknown dtype, a
/// shape whose size disagrees with its byte range).
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header accepted (100 MB, as the reference implementation).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The dtype names and their element sizes in bytes.</summary>
    public static IReadOnlyDictionary<string, int> DTypeSizes { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["F64"] = 8, ["F32"] = 4, ["F16"] = 2, ["BF16"] = 2, ["I64"] = 8, ["I32"] = 4, ["I16"] = 2, ["I8"] = 1, ["U8"] = 1, ["BOOL"] = 1,
    };

    /// <summary>Reads every tensor of a safetensors file onto the CPU (the caller disposes them).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message says how.</exception>
    public static Dictionary<string, Tensor> Read(string path) => Read(path, out _);

    /// <summary>Reads every tensor of a safetensors file onto the CPU, and its <c>__metadata__</c> strings.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is malformed; the message says how.</exception>
    public static Dictionary<string, Tensor> Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        var bytes = ReadFile(path);
        var (entries, meta, dataStart) = ParseHeader(bytes, path);
        metadata = meta;
        TorchRuntime.EnsureInitialized();
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var entry in entries)
            {
                var tensor = empty(entry.Shape.ToArray(), ScalarTypeOf(entry.DType));
                var length = (int)(entry.End - entry.Begin);
                if (length > 0)
                    tensor.bytes = bytes.AsSpan((int)(dataStart + entry.Begin), length);
                tensors[entry.Name] = tensor;
            }
        }
        catch
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
            throw;
        }
        return tensors;
    }

    /// <summary>The header of a safetensors file (names, dtypes, shapes, offsets), checked as <see cref="Read(string)"/> checks it, without making tensors.</summary>
    /// <exception cref="InvalidDataException">The file is malformed.</exception>
    public static IReadOnlyList<SafeTensorsEntry> ReadHeader(string path) => ParseHeader(ReadFile(path), path).Entries;

    /// <summary>
    /// Writes tensors as a safetensors file (atomically), in name order, with optional <c>__metadata__</c> strings.
    /// Tensors on another device are copied to the CPU; non-contiguous ones are made contiguous.
    /// </summary>
    /// <exception cref="ArgumentException">A tensor's dtype has no safetensors name (e.g. complex), or a name is empty or <c>__metadata__</c>.</exception>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        RequireLittleEndian();
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var entries = new List<SafeTensorsEntry>();
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var name in names)
        {
            if (string.IsNullOrEmpty(name) || name == "__metadata__")
                throw new ArgumentException($"SafeTensors.Write: '{name}' cannot be a tensor name.", nameof(tensors));
            var tensor = tensors[name] ?? throw new ArgumentException($"SafeTensors.Write: tensor '{name}' is null.", nameof(tensors));
            var dtype = DTypeName(tensor.dtype) ?? throw new ArgumentException(
                $"SafeTensors.Write: tensor '{name}' is {tensor.dtype}, which safetensors cannot hold (it holds {string.Join(", ", DTypeSizes.Keys)}).", nameof(tensors));
            byte[] data;
            using (var cpu = tensor.detach().cpu().contiguous())
                data = cpu.bytes.ToArray();
            entries.Add(new SafeTensorsEntry(name, dtype, tensor.shape, offset, offset + data.Length));
            offset += data.Length;
            blobs.Add(data);
        }
        var json = HeaderJson(entries, metadata);
        var padded = (json.Length + 7) / 8 * 8; // the data section starts 8-byte aligned
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
            stream.Write(length);
            stream.Write(json);
            for (var i = json.Length; i < padded; i++)
                stream.WriteByte((byte)' ');
            foreach (var blob in blobs)
                stream.Write(blob);
        });
    }

    /// <summary>The safetensors name of a TorchSharp dtype, or null when safetensors has none.</summary>
    public static string? DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => null,
    };

    static ScalarType ScalarTypeOf(string dtype) => dtype switch
    {
        "F64" => ScalarType.Float64,
        "F32" => ScalarType.Float32,
        "F16" => ScalarType.Float16,
        "BF16" => ScalarType.BFloat16,
        "I64" => ScalarType.Int64,
        "I32" => ScalarType.Int32,
        "I16" => ScalarType.Int16,
        "I8" => ScalarType.Int8,
        "U8" => ScalarType.Byte,
        "BOOL" => ScalarType.Bool,
        _ => throw new InvalidOperationException($"unchecked dtype {dtype}"),
    };

    static byte[] ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Safetensors file '{path}' does not exist.", path);
        var length = new FileInfo(path).Length;
        if (length > int.MaxValue)
            throw new InvalidDataException($"'{path}' is {length} bytes; this reader holds files of up to 2 GB in memory.");
        return File.ReadAllBytes(path);
    }

    /// <summary>
    /// The header's UTF-8 JSON: <c>__metadata__</c> first (if any), then each entry in the given order. Written with a
    /// <see cref="Utf8JsonWriter"/> rather than the reflection-based serializer, so that trimmed applications (the GPU
    /// check is published trimmed) keep it.
    /// </summary>
    static byte[] HeaderJson(IEnumerable<SafeTensorsEntry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                writer.WriteStartObject("__metadata__");
                foreach (var (key, value) in metadata)
                    writer.WriteString(key, value);
                writer.WriteEndObject();
            }
            foreach (var entry in entries)
            {
                writer.WriteStartObject(entry.Name);
                writer.WriteString("dtype", entry.DType);
                writer.WriteStartArray("shape");
                foreach (var size in entry.Shape)
                    writer.WriteNumberValue(size);
                writer.WriteEndArray();
                writer.WriteStartArray("data_offsets");
                writer.WriteNumberValue(entry.Begin);
                writer.WriteNumberValue(entry.End);
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndObject();
        }
        return json.ToArray();
    }

    /// <summary>Parses and checks the header; returns the entries in data order, the metadata and where the data section starts.</summary>
    internal static (IReadOnlyList<SafeTensorsEntry> Entries, IReadOnlyDictionary<string, string> Metadata, long DataStart) ParseHeader(byte[] bytes, string path)
    {
        RequireLittleEndian();
        if (bytes.Length < 8)
            throw new InvalidDataException($"'{path}' is not a safetensors file: it has {bytes.Length} bytes, fewer than the 8 of the header length.");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8))
            throw new InvalidDataException($"'{path}' is not a valid safetensors file: its header length is {headerLength} bytes, beyond the file's {bytes.Length - 8} bytes after the length field (truncated, or not safetensors).");
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"'{path}': the safetensors header claims {headerLength} bytes, more than the {MaxHeaderBytes} accepted.");
        var dataStart = 8 + (long)headerLength;
        var dataLength = bytes.Length - dataStart;
        // System.Text.Json checks UTF-8 only when a string is read, with a message that names neither file nor place.
        var invalid = System.Text.Unicode.Utf8.IsValid(bytes.AsSpan(8, (int)headerLength)) ? -1 : FirstInvalidUtf8(bytes.AsSpan(8, (int)headerLength));
        if (invalid >= 0)
            throw new InvalidDataException($"'{path}': the safetensors header is not valid UTF-8 (byte {invalid} of the header, 0x{bytes[8 + invalid]:X2}); names and metadata must be UTF-8 text.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': the safetensors header is not valid JSON ({e.Message}).", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{path}': the safetensors header is a JSON {document.RootElement.ValueKind}, not an object.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var entries = new List<SafeTensorsEntry>();
            // JSON leaves repeated names to the reader (most keep the last): a second entry of one name would replace
            // the first unseen, so a repeated name is a malformed file.
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!names.Add(property.Name))
                    throw new InvalidDataException(property.Name == "__metadata__"
                        ? $"'{path}': the safetensors header has two __metadata__ objects."
                        : $"'{path}': the safetensors header names tensor '{property.Name}' twice; each tensor must appear once.");
                if (property.Name == "__metadata__")
                {
                    if (property.Value.ValueKind != JsonValueKind.Object)
                        throw new InvalidDataException($"'{path}': __metadata__ must be an object of strings.");
                    foreach (var item in property.Value.EnumerateObject())
                    {
                        if (metadata.ContainsKey(item.Name))
                            throw new InvalidDataException($"'{path}': __metadata__ names '{item.Name}' twice.");
                        metadata[item.Name] = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : throw new InvalidDataException($"'{path}': __metadata__ value '{item.Name}' is not a string.");
                    }
                    continue;
                }
                entries.Add(Entry(property, path));
            }
            CheckLayout(entries, dataLength, path);
            return (entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList(), metadata, dataStart);
        }
    }

    static SafeTensorsEntry Entry(JsonProperty property, string path)
    {
        var name = property.Name;
        var value = property.Value;
        string Where() => $"'{path}', tensor '{name}'";
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{Where()}: its header entry is a JSON {value.ValueKind}, not an object with dtype, shape and data_offsets.");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new InvalidDataException($"{Where()}: no dtype string.");
        var dtype = dtypeElement.GetString()!;
        if (!DTypeSizes.TryGetValue(dtype, out var elementSize))
            throw new InvalidDataException($"{Where()}: unknown dtype '{dtype}'; safetensors dtypes read here are {string.Join(", ", DTypeSizes.Keys)}.");
        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{Where()}: no shape array.");
        var shape = new List<long>();
        foreach (var dimension in shapeElement.EnumerateArray())
        {
            if (dimension.ValueKind != JsonValueKind.Number || !dimension.TryGetInt64(out var size) || size < 0)
                throw new InvalidDataException($"{Where()}: shape {shapeElement.GetRawText()} must hold whole numbers ≥ 0.");
            shape.Add(size);
        }
        long begin = 0, end = 0;
        if (!value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2
            || offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number // TryGetInt64 throws on a string
            || !offsets[0].TryGetInt64(out begin) || !offsets[1].TryGetInt64(out end))
            throw new InvalidDataException($"{Where()}: data_offsets must be [begin, end], two whole numbers; got {(offsets.ValueKind == JsonValueKind.Undefined ? "none" : offsets.GetRawText())}.");
        if (begin < 0 || end < begin)
            throw new InvalidDataException($"{Where()}: data_offsets [{begin}, {end}] are not a byte range (0 ≤ begin ≤ end).");
        long elements = 1;
        try
        {
            foreach (var size in shape)
                elements = checked(elements * size);
            var expected = checked(elements * elementSize);
            if (expected != end - begin)
                throw new InvalidDataException($"{Where()}: shape [{string.Join(", ", shape)}] of {dtype} needs {expected} bytes, but data_offsets [{begin}, {end}] hold {end - begin}.");
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"{Where()}: shape [{string.Join(", ", shape)}] is too large.");
        }
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    /// <summary>The byte ranges must lie in the data section, must not overlap, and must cover it without gaps.</summary>
    static void CheckLayout(List<SafeTensorsEntry> entries, long dataLength, string path)
    {
        foreach (var entry in entries)
        {
            if (entry.End > dataLength)
                throw new InvalidDataException($"'{path}', tensor '{entry.Name}': data_offsets [{entry.Begin}, {entry.End}] reach beyond the data section's {dataLength} bytes (out of range; the file may be truncated).");
        }
        long position = 0;
        SafeTensorsEntry? previous = null;
        foreach (var entry in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < position)
                throw new InvalidDataException($"'{path}': tensors '{previous!.Name}' [{previous.Begin}, {previous.End}] and '{entry.Name}' [{entry.Begin}, {entry.End}] overlap.");
            if (entry.Begin > position)
                throw new InvalidDataException($"'{path}': bytes {position}..{entry.Begin} of the data section belong to no tensor (a gap before '{entry.Name}').");
            position = entry.End;
            previous = entry;
        }
        if (position != dataLength)
            throw new InvalidDataException($"'{path}': the data section has {dataLength} bytes but its tensors end at byte {position} ({dataLength - position} bytes belong to no tensor).");
    }

    /// <summary>The offset of the first byte that does not continue a valid UTF-8 sequence.</summary>
    static int FirstInvalidUtf8(ReadOnlySpan<byte> text)
    {
        var position = 0;
        while (position < text.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(text[position..], out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
                return position;
            position += consumed;
        }
        return -1;
    }

    static void RequireLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; this reader runs on little-endian hosts only.");
    }
}
