using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using TorchBinding.Runtime;

namespace TorchBinding.Training.Checkpoints;

/// <summary>The parts of a checkpoint: metadata (JSON) and the binary states.</summary>
/// <param name="Metadata">Epoch, step, history, callback states, the model's parameter names and shapes.</param>
/// <param name="Model">The model's state (TorchSharp's module format).</param>
/// <param name="Optimizers">Each optimizer's state (TorchSharp's format).</param>
/// <param name="RandomState">libtorch's CPU generator state.</param>
/// <param name="LoaderState">The training batches' shuffling generator state (null when none).</param>
public sealed record CheckpointData(JsonObject Metadata, byte[] Model, IReadOnlyList<byte[]> Optimizers, byte[] RandomState, byte[]? LoaderState);

/// <summary>
/// The checkpoint file: one file holding everything to resume a run. Layout: the magic <c>TBCKPT</c> and a
/// format version, then length-prefixed sections (metadata JSON, model, optimizers, random states), then a
/// SHA-256 of everything before it. It is written atomically (temporary file, flush, rename), so a process
/// killed mid-write leaves the previous checkpoint as it was; a truncated or altered file is detected by
/// its length fields or its hash and refused with an <see cref="InvalidDataException"/> naming it.
/// </summary>
public static class CheckpointFile
{
    static readonly byte[] Magic = "TBCKPT"u8.ToArray();
    const ushort FormatVersion = 1;

    /// <summary>Writes a checkpoint atomically.</summary>
    public static void Write(string path, CheckpointData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var buffer = new MemoryStream();
        using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(FormatVersion);
            Section(writer, Encoding.UTF8.GetBytes(data.Metadata.ToJsonString()));
            Section(writer, data.Model);
            writer.Write(data.Optimizers.Count);
            foreach (var optimizer in data.Optimizers)
                Section(writer, optimizer);
            Section(writer, data.RandomState);
            Section(writer, data.LoaderState ?? []);
        }
        var body = buffer.ToArray();
        var hash = SHA256.HashData(body);
        AtomicFile.Write(path, stream =>
        {
            stream.Write(body);
            stream.Write(hash);
        });
    }

    /// <summary>Reads and verifies a checkpoint.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a checkpoint, or is truncated or altered.</exception>
    public static CheckpointData Read(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"Checkpoint '{path}' does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length + 2 + 32 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException($"'{path}' is not a TorchBinding checkpoint (it does not start with {Encoding.ASCII.GetString(Magic)}).");
        var body = bytes.AsSpan(0, bytes.Length - 32);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - 32)))
            throw new InvalidDataException($"Checkpoint '{path}' is truncated or corrupt: its content does not match its SHA-256 ({bytes.Length} bytes).");
        using var reader = new BinaryReader(new MemoryStream(body.ToArray()), Encoding.UTF8);
        reader.ReadBytes(Magic.Length);
        var version = reader.ReadUInt16();
        if (version != FormatVersion)
            throw new InvalidDataException($"Checkpoint '{path}' has format version {version}; this TorchBinding reads version {FormatVersion}.");
        try
        {
            var metadata = JsonNode.Parse(Encoding.UTF8.GetString(ReadSection(reader))) as JsonObject
                ?? throw new InvalidDataException("its metadata is not a JSON object");
            var model = ReadSection(reader);
            var count = reader.ReadInt32();
            var optimizers = Enumerable.Range(0, count).Select(_ => ReadSection(reader)).ToList();
            var random = ReadSection(reader);
            var loader = ReadSection(reader);
            return new CheckpointData(metadata, model, optimizers, random, loader.Length == 0 ? null : loader);
        }
        catch (Exception e) when (e is EndOfStreamException or System.Text.Json.JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"Checkpoint '{path}' is malformed: {e.Message}", e);
        }
    }

    static void Section(BinaryWriter writer, byte[] content)
    {
        writer.Write((long)content.Length);
        writer.Write(content);
    }

    static byte[] ReadSection(BinaryReader reader)
    {
        var length = reader.ReadInt64();
        if (length < 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
            throw new InvalidDataException($"a section claims {length} bytes, more than the file holds");
        return reader.ReadBytes((int)length);
    }
}
