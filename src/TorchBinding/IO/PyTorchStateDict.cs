using System.Collections;
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
/// the legacy pre-1.6 format (<c>_use_new_zipfile_serialization=False</c>) and TorchScript archives.
/// </summary>
public static class PyTorchStateDict
{
    /// <summary>Reads a <c>torch.save</c>d state dict onto the CPU (the caller disposes the tensors).</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not a zip-format state dict of tensors; the message says what it holds.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"PyTorch file '{path}' does not exist.", path);
        RequireZipFormat(path);
        TorchRuntime.EnsureInitialized();
        Hashtable table;
        try
        {
            table = TorchSharp.PyBridge.PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}' could not be read as a PyTorch state dict ({e.GetType().Name}: {e.Message}). " +
                "Accepted: the zip format of torch.save(model.state_dict(), path) (PyTorch 1.6 or later).", e);
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
            throw new InvalidDataException($"'{path}' is not a state dict of tensors: {string.Join("; ", problems.Take(5))}{(problems.Count > 5 ? $" (and {problems.Count - 5} more)" : "")}. " +
                "Save model.state_dict() itself (a checkpoint dictionary holding one must be unpacked first); other Python objects are never constructed here.");
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
