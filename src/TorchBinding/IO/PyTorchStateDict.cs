using System.Buffers.Binary;
using System.Collections;
using System.IO.Compression;
using System.Runtime.InteropServices;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.IO;

/// <summary>
/// PyTorch's own weight files, <c>torch.save(model.state_dict(), "model.pt")</c>, read and written through
/// TorchSharp.PyBridge. What the reader accepts: the zip format <c>torch.save</c> writes since PyTorch 1.6 (an
/// archive holding <c>data.pkl</c> and the tensor storages), whose pickle is a flat mapping from names to tensors
/// (a <c>state_dict()</c>; an <c>OrderedDict</c> or <c>dict</c>) of the dtypes float64/32/16, bfloat16, int64/32/16,
/// int8, uint8 and bool. It is read by a .NET unpickler (Razorvine.Pickle) that knows only the tensor and
/// dictionary constructors PyBridge registers: any other Python global in the pickle — a class, a function, the
/// <c>os.system</c> of a malicious file — becomes an inert record, never a call, so loading runs nothing from
/// the file. Such a record where a tensor should be is refused with an <see cref="InvalidDataException"/>, as
/// are whole checkpoints (<c>{"model": ..., "optimizer": ..., "epoch": ...}</c>: save or pass the state dict alone),
/// the legacy pre-1.6 format (<c>_use_new_zipfile_serialization=False</c>) and TorchScript archives. Before the
/// unpickler runs, the archive and the pickle's opcodes are looked at (nothing built): a TorchScript archive, a whole
/// pickled module or optimizer, a single tensor, an optimizer's state, a missing storage record or an unknown storage
/// type is refused saying so. Storages are read in the byte order the file records (<c>byteorder</c>: a file saved on
/// a big-endian machine reads right).
/// </summary>
public static class PyTorchStateDict
{
    /// <summary>What the reader accepts, the end of every refusal.</summary>
    const string Supported = "Supported: a state_dict saved with torch.save(model.state_dict(), path) (zip format, PyTorch 1.6 or later).";

    /// <summary>The storage types read (PyBridge's), by the dtype names a message gives.</summary>
    static readonly IReadOnlyDictionary<string, string> StorageTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DoubleStorage"] = "float64", ["FloatStorage"] = "float32", ["HalfStorage"] = "float16", ["BFloat16Storage"] = "bfloat16",
        ["LongStorage"] = "int64", ["IntStorage"] = "int32", ["ShortStorage"] = "int16", ["CharStorage"] = "int8", ["ByteStorage"] = "uint8",
        ["BoolStorage"] = "bool", ["ComplexFloatStorage"] = "complex64", ["ComplexDoubleStorage"] = "complex128",
    };

    /// <summary>Reads a <c>torch.save</c>d state dict onto the CPU (the caller disposes the tensors).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a zip-format state dict of tensors; the message says what it holds (a TorchScript archive, a
    /// whole pickled module or optimizer, an optimizer's state, a single tensor, ...) and what is read.
    /// </exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"PyTorch file '{path}' does not exist.", path);
        RequireZipFormat(path);
        var archive = Inspect(path);
        TorchRuntime.EnsureInitialized();
        Hashtable table;
        try
        {
            table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var unknown = archive.Outline.Globals.Where(g => !IsStateDictGlobal(g)).Take(5).ToList();
            throw new InvalidDataException($"'{path}' could not be read as a PyTorch state dict ({e.GetType().Name}: {e.Message})" +
                (unknown.Count > 0 ? $"; its pickle names {string.Join(", ", unknown)}" : "") + $". {Supported}", e);
        }
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (DictionaryEntry entry in table)
        {
            var key = entry.Key as string;
            if (key is null)
                problems.Add($"a key of type {entry.Key?.GetType().Name ?? "null"}");
            else if (entry.Value is Tensor tensor)
                tensors[key] = tensor;
            else
                problems.Add($"'{key}' is {Describe(entry.Value)}");
        }
        if (problems.Count > 0)
        {
            foreach (var tensor in tensors.Values)
                tensor.Dispose();
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Value is not Tensor)
                    DisposeAll(entry.Value);
            }
            if (table.ContainsKey("state") && table.ContainsKey("param_groups"))
                throw new InvalidDataException($"'{path}' holds an optimizer's state (optimizer.state_dict(): 'state' and 'param_groups'), not a model's weights. {Supported}");
            var nested = table.Cast<DictionaryEntry>().FirstOrDefault(e => e.Value is IDictionary { Count: > 0 } d && d.Values.Cast<object?>().All(v => v is Tensor));
            var hint = nested.Key is string inner
                ? $"its entry '{inner}' looks like one: save that alone (torch.save(checkpoint['{inner}'], path))"
                : "save model.state_dict() itself (a checkpoint dictionary holding one must be unpacked first)";
            throw new InvalidDataException($"'{path}' is not a state dict of tensors: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? $" (and {problems.Count - 5} more)" : "")}; " +
                $"{hint}. Other Python objects are never constructed here. {Supported}");
        }
        if (archive.BigEndian == BitConverter.IsLittleEndian) // the storages' bytes are in the other order than this host's
        {
            foreach (var tensor in tensors.Values)
                ReverseElementBytes(tensor);
        }
        return tensors;
    }

    /// <summary>Writes tensors as a zip-format PyTorch file that <c>torch.load</c> reads as a state dict (an <c>OrderedDict</c>).</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        TorchRuntime.EnsureInitialized();
        var table = new System.Collections.Specialized.OrderedDictionary();
        var copies = new List<Tensor>();
        try
        {
            foreach (var (name, tensor) in tensors)
            {
                var copy = tensor.detach().cpu().contiguous();
                copies.Add(copy);
                table[name] = copy;
            }
            AtomicFile.Write(path, stream => TorchSharp.PyBridge.PyTorchPickler.PickleStateDict(stream, table, true));
        }
        finally
        {
            foreach (var copy in copies)
                copy.Dispose();
        }
    }

    /// <summary>torch.save's zip format begins with a zip local file header; the legacy format begins with a pickle.</summary>
    static void RequireZipFormat(string path)
    {
        Span<byte> start = stackalloc byte[4];
        using (var file = File.OpenRead(path))
        {
            if (file.ReadAtLeast(start, 4, throwOnEndOfStream: false) < 4)
                throw new InvalidDataException($"'{path}' is not a PyTorch file: it has fewer than 4 bytes.");
        }
        if (start[0] == (byte)'P' && start[1] == (byte)'K' && start[2] == 3 && start[3] == 4)
            return;
        if (start[0] == 0x80)
            throw new InvalidDataException($"'{path}' is a bare pickle (PyTorch's legacy format, before 1.6, or pickle.dump), which is not read here. " +
                "Re-save it in PyTorch with torch.save(state_dict, path) (zip format), or as safetensors.");
        throw new InvalidDataException($"'{path}' is not a PyTorch file (it does not start with a zip header).");
    }

    /// <summary>What torch.save's archive holds, checked before the unpickler runs: refusals that name the content.</summary>
    sealed record ArchiveFacts(PickleOutline Outline, bool BigEndian);

    static ArchiveFacts Inspect(string path)
    {
        ZipArchive zip;
        try
        {
            zip = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{path}' starts like a zip archive (torch.save's format) but cannot be read as one ({e.Message}); it may be truncated. {Supported}", e);
        }
        using (zip)
        {
            // PyBridge unpickles the first entry whose name ends in data.pkl: look at the same one.
            var pickle = zip.Entries.FirstOrDefault(e => e.Name.EndsWith("data.pkl", StringComparison.Ordinal));
            if (pickle is null || pickle.Name != "data.pkl")
                throw new InvalidDataException($"'{path}' is a zip archive with no data.pkl, so not a file of torch.save (which writes NAME/data.pkl and a NAME/data/KEY record per storage). {Supported}");
            var folder = pickle.FullName[..^"data.pkl".Length];
            if (zip.GetEntry(folder + "constants.pkl") is not null || zip.Entries.Any(e => e.FullName.StartsWith(folder + "code/", StringComparison.Ordinal)))
                throw new InvalidDataException($"'{path}' is a TorchScript archive (torch.jit.save, or torch.jit.script(model).save: code/ and constants.pkl beside the pickle), " +
                    $"a compiled program rather than a state dict; it is not read here. {Supported} In Python, torch.jit.load(path).state_dict() gives one to save so.");

            var bigEndian = false;
            if (zip.GetEntry(folder + "byteorder") is { } record)
            {
                // torch.save records sys.byteorder and writes storages in that order; files without the record are little-endian.
                var order = ReadText(record, 16);
                bigEndian = order switch
                {
                    "little" => false,
                    "big" => true,
                    _ => throw new InvalidDataException($"'{path}' records the byte order '{order}' ({record.FullName}); torch.save writes 'little' or 'big'."),
                };
            }

            PickleOutline outline;
            using (var stream = pickle.Open())
            {
                try
                {
                    outline = PickleOutline.Read(stream);
                }
                catch (EndOfStreamException e)
                {
                    throw new InvalidDataException($"'{path}': {pickle.FullName} ends in the middle of an opcode (truncated). {Supported}", e);
                }
            }
            var what = outline.TopLevel switch
            {
                PickleTopLevel.Object => DescribeObject(outline),
                PickleTopLevel.Tensor => "a single tensor (torch.save(tensor)), not a state dict",
                PickleTopLevel.Sequence => "a list or tuple, not a state dict (a mapping from names to tensors)",
                _ => null,
            };
            if (what is not null)
                throw new InvalidDataException($"'{path}' holds {what}. {Supported}");
            foreach (var (type, key) in outline.Storages)
            {
                if (!StorageTypes.ContainsKey(type))
                    throw new InvalidDataException($"'{path}' holds tensors of storage type torch.{type}, which is not read here; the dtypes read are {string.Join(", ", StorageTypes.Values)}.");
                if (zip.GetEntry($"{folder}data/{key}") is null)
                    throw new InvalidDataException($"'{path}': the storage of a tensor, {folder}data/{key}, is missing from the archive (truncated, or not written by torch.save). {Supported}");
            }
            return new ArchiveFacts(outline, bigEndian);
        }
    }

    /// <summary>A top-level object built from a Python class, in words: what it most likely is, and its class.</summary>
    static string DescribeObject(PickleOutline outline)
    {
        var type = outline.TopLevelClass!;
        if (type.StartsWith("__torch__.", StringComparison.Ordinal))
            return $"a TorchScript object of class {type}, not a state dict; TorchScript is not read here";
        if (type.StartsWith("torch.optim.", StringComparison.Ordinal))
            return $"a whole optimizer (torch.save(optimizer)) of class {type}, not a model's state dict; it would need the Python class, which is never constructed here";
        if (type.StartsWith("torch.nn.", StringComparison.Ordinal) || outline.Globals.Contains("torch._utils._rebuild_parameter")
            || outline.Globals.Any(g => g.StartsWith("torch.nn.modules.", StringComparison.Ordinal)))
            return $"a whole module (torch.save(model)) of class {type}, not its state dict; it would need the Python class, which is never constructed here (in Python, save model.state_dict() instead)";
        return $"an object of Python class {type}, not a state dict; it is never constructed here";
    }

    /// <summary>The globals a state dict's pickle names: the tensor rebuild, OrderedDict, and storage types.</summary>
    static bool IsStateDictGlobal(string global) =>
        global is "collections.OrderedDict" or "torch._utils._rebuild_tensor_v2" or "torch._utils._rebuild_tensor"
        || (global.StartsWith("torch.", StringComparison.Ordinal) && StorageTypes.ContainsKey(global["torch.".Length..]));

    static string ReadText(ZipArchiveEntry entry, int limit)
    {
        using var stream = entry.Open();
        var bytes = new byte[limit + 1];
        var read = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        return System.Text.Encoding.ASCII.GetString(bytes, 0, Math.Min(read, limit)).Trim();
    }

    /// <summary>Reverses the byte order of every element (of both parts of a complex one): a tensor read from a file of the other byte order.</summary>
    static void ReverseElementBytes(Tensor tensor)
    {
        var size = (int)tensor.ElementSize / (tensor.is_complex() ? 2 : 1); // complex: two numbers per element
        if (size == 1 || tensor.numel() == 0)
            return;
        var contiguous = tensor.is_contiguous() ? tensor : tensor.contiguous();
        var bytes = contiguous.bytes.ToArray();
        switch (size)
        {
            case 2:
                var halves = MemoryMarshal.Cast<byte, ushort>(bytes.AsSpan());
                BinaryPrimitives.ReverseEndianness(halves, halves);
                break;
            case 4:
                var words = MemoryMarshal.Cast<byte, uint>(bytes.AsSpan());
                BinaryPrimitives.ReverseEndianness(words, words);
                break;
            case 8:
                var longs = MemoryMarshal.Cast<byte, ulong>(bytes.AsSpan());
                BinaryPrimitives.ReverseEndianness(longs, longs);
                break;
            default:
                throw new InvalidDataException($"Cannot reorder the bytes of {tensor.dtype} elements of {size} bytes.");
        }
        contiguous.bytes = bytes;
        if (!ReferenceEquals(contiguous, tensor))
        {
            using (no_grad())
                tensor.copy_(contiguous);
            contiguous.Dispose();
        }
    }

    /// <summary>Disposes the tensors of a refused file that sit in nested dictionaries and lists.</summary>
    static void DisposeAll(object? value)
    {
        switch (value)
        {
            case Tensor tensor:
                tensor.Dispose();
                break;
            case IDictionary dictionary:
                foreach (DictionaryEntry entry in dictionary)
                    DisposeAll(entry.Value);
                break;
            case IEnumerable items and not string:
                foreach (var item in items)
                    DisposeAll(item);
                break;
        }
    }

    static string Describe(object? value) => value switch
    {
        null => "None",
        Razorvine.Pickle.Objects.ClassDict record => $"an object of Python class {record.ClassName} (not constructed)",
        IDictionary => "a nested dictionary",
        string => "a string",
        _ when value.GetType().IsPrimitive => $"a number ({value})",
        _ => $"a {value.GetType().Name}",
    };
}
