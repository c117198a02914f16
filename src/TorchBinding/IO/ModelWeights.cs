using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.IO;

/// <summary>The file formats of <see cref="ModelWeights"/>.</summary>
public enum WeightsFormat
{
    /// <summary>Chosen from the file: by its first bytes when reading, by its extension when writing (<c>.safetensors</c>, else PyTorch).</summary>
    Auto,

    /// <summary>Safetensors (<see cref="SafeTensors"/>).</summary>
    SafeTensors,

    /// <summary>PyTorch's zip format of <c>torch.save(state_dict)</c> (<see cref="PyTorchStateDict"/>).</summary>
    PyTorch,
}

/// <summary>What <see cref="ModelWeights.Load"/> did.</summary>
/// <param name="Loaded">Our keys whose values were loaded.</param>
/// <param name="Missing">Our keys the file did not have (empty unless loading was not strict).</param>
/// <param name="Unexpected">The file's keys (its own names) that are not the model's (empty unless loading was not strict).</param>
public sealed record WeightsLoadResult(IReadOnlyList<string> Loaded, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// A model's weights to and from files PyTorch reads and writes: safetensors and <c>torch.save</c>'s state dicts,
/// with the state-dict keys renamed by a <see cref="StateDictNames"/> where the PyTorch definition names its modules
/// otherwise (<c>TorchBinding.Models.PyTorchNames</c> has those of the course's models). Loading checks every
/// key, shape and dtype before it changes a single weight, and says what differs.
/// </summary>
/// <example>
/// <code>
/// var model = new Cnn();
/// ModelWeights.Load(model, "model.pt", PyTorchNames.For(model));        // a notebook's torch.save(model.state_dict(), ...)
/// ModelWeights.Save(model, "cnn.safetensors", PyTorchNames.For(model)); // for safetensors.torch.load_file in Python
/// </code>
/// </example>
public static class ModelWeights
{
    /// <summary>Reads the tensors of a weights file on the CPU, under the file's own names (the caller disposes them).</summary>
    /// <exception cref="InvalidDataException">The file is malformed, or is in neither format.</exception>
    public static Dictionary<string, Tensor> Read(string path, WeightsFormat format = WeightsFormat.Auto) =>
        (format == WeightsFormat.Auto ? Detect(path) : format) == WeightsFormat.SafeTensors ? SafeTensors.Read(path) : PyTorchStateDict.Read(path);

    /// <summary>
    /// Loads a weights file into <paramref name="model"/>: the file's keys are renamed by <paramref name="names"/>
    /// (null: none), then every key, shape and dtype is checked against the model's state dict before anything is
    /// copied. Floating-point values convert to the model's floating dtype (as PyTorch's <c>load_state_dict</c> does).
    /// </summary>
    /// <param name="model">The model; its parameters stay on their device.</param>
    /// <param name="path">A safetensors or PyTorch file.</param>
    /// <param name="names">The renames between the model's keys and the file's (null: the same names).</param>
    /// <param name="strict">Require the file's keys and the model's to match exactly (default); false loads the common keys.</param>
    /// <exception cref="InvalidDataException">The file is malformed, or its keys, shapes or dtypes do not fit the model (the message lists the differences).</exception>
    public static WeightsLoadResult Load(nn.Module model, string path, StateDictNames? names = null, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureInitialized();
        names ??= StateDictNames.Identity;
        var file = Read(path);
        try
        {
            var ours = model.state_dict();
            var mapped = file.ToDictionary(p => names.FromExternal(p.Key), p => (External: p.Key, Tensor: p.Value), StringComparer.Ordinal);
            var missing = ours.Keys.Where(k => !mapped.ContainsKey(k)).ToList();
            var unexpected = mapped.Where(p => !ours.ContainsKey(p.Key)).Select(p => p.Value.External).Order(StringComparer.Ordinal).ToList();
            var problems = new List<string>();
            foreach (var (key, target) in ours)
            {
                if (!mapped.TryGetValue(key, out var source))
                    continue;
                var name = source.External == key ? $"'{key}'" : $"'{key}' (file: '{source.External}')";
                if (!source.Tensor.shape.SequenceEqual(target.shape))
                    problems.Add($"{name} is {Shapes.Format(source.Tensor)} in the file and {Shapes.Format(target)} in the model");
                else if (source.Tensor.dtype != target.dtype && !(TensorChecks.IsFloating(source.Tensor.dtype) && TensorChecks.IsFloating(target.dtype)))
                    problems.Add($"{name} is {source.Tensor.dtype} in the file and {target.dtype} in the model");
            }
            if (strict && (missing.Count > 0 || unexpected.Count > 0))
            {
                if (missing.Count > 0)
                    problems.Add($"the file has no {List(missing)} of the model");
                if (unexpected.Count > 0)
                    problems.Add($"the model has no {List(unexpected)} of the file");
            }
            if (problems.Count > 0)
                throw new InvalidDataException($"'{path}' does not fit {model.GetName()} (names: {names}): {string.Join("; ", problems)}.");

            var loaded = new List<string>();
            using (no_grad())
            {
                foreach (var (key, target) in ours)
                {
                    if (mapped.TryGetValue(key, out var source))
                    {
                        target.copy_(source.Tensor);
                        loaded.Add(key);
                    }
                }
            }
            return new WeightsLoadResult(loaded, missing, unexpected);
        }
        finally
        {
            foreach (var tensor in file.Values)
                tensor.Dispose();
        }
    }

    /// <summary>
    /// Saves <paramref name="model"/>'s state dict (parameters and buffers) under the names <paramref name="names"/> gives
    /// them (null: its own), as safetensors or a PyTorch file (chosen by <paramref name="format"/>, or by the extension).
    /// </summary>
    public static void Save(nn.Module model, string path, StateDictNames? names = null, WeightsFormat format = WeightsFormat.Auto, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(path);
        names ??= StateDictNames.Identity;
        var state = model.state_dict().ToDictionary(p => names.ToExternal(p.Key), p => p.Value, StringComparer.Ordinal);
        if (format == WeightsFormat.Auto)
            format = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? WeightsFormat.SafeTensors : WeightsFormat.PyTorch;
        if (format == WeightsFormat.SafeTensors)
            SafeTensors.Write(path, state, metadata);
        else
            PyTorchStateDict.Write(path, state);
    }

    /// <summary>The format of a file from its first bytes: a zip header is PyTorch's, an 8-byte length followed by '{' is safetensors.</summary>
    /// <exception cref="InvalidDataException">It is neither (a TorchBinding checkpoint is named as such).</exception>
    public static WeightsFormat Detect(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"Weights file '{path}' does not exist.", path);
        var start = new byte[9];
        int read;
        using (var file = File.OpenRead(path))
            read = file.ReadAtLeast(start, start.Length, throwOnEndOfStream: false);
        if (read >= 4 && start[0] == (byte)'P' && start[1] == (byte)'K')
            return WeightsFormat.PyTorch;
        if (read >= 1 && start[0] == 0x80)
            return WeightsFormat.PyTorch; // a bare pickle: PyTorchStateDict explains why it is not read
        if (read >= 6 && start.AsSpan(0, 6).SequenceEqual("TBCKPT"u8))
            throw new InvalidDataException($"'{path}' is a TorchBinding training checkpoint, not a weights file; resume from it with TrainerOptions.ResumeFrom, or load a model from it and save its weights with ModelWeights.Save.");
        if (read == 9 && start[8] == (byte)'{')
            return WeightsFormat.SafeTensors;
        return path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? WeightsFormat.SafeTensors
            : throw new InvalidDataException($"'{path}' is neither a safetensors file nor a PyTorch (zip) file.");
    }

    static string List(IReadOnlyList<string> keys) =>
        string.Join(", ", keys.Take(5).Select(k => $"'{k}'")) + (keys.Count > 5 ? $" (and {keys.Count - 5} more)" : "");
}
