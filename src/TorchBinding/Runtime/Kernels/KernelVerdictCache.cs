using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace TorchBinding.Runtime.Kernels;

/// <summary>
/// What the self-check learned on this machine with this libtorch, kept between runs: a fault, once seen, for good (it
/// shows only now and then with several threads), and per workaround whether it passed or failed its re-check. A pass
/// of libtorch itself is not kept: the check runs at every start. The key is the CPU model and flags and the libtorch
/// file, not the thread count: a kernel that is wrong with one thread count is a wrong kernel.
/// </summary>
sealed class KernelVerdictCache(string path)
{
    /// <summary>The cache file for this CPU and libtorch in <paramref name="directory"/>.</summary>
    public static KernelVerdictCache For(string directory, string libTorch)
    {
        var identity = $"{CpuFlags.Model}\n{CpuFlags.FlagLine}\n{libTorch}";
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..16];
        return new KernelVerdictCache(System.IO.Path.Combine(directory, $"conv-gradients-{key}.json"));
    }

    /// <summary>The file.</summary>
    public string Path { get; } = path;

    /// <summary>The fault recorded, or null if none was ever seen.</summary>
    public string? Fault => Read()?["fault"]?.GetValue<string>();

    /// <summary>When the fault was first seen.</summary>
    public string? FaultSeen => Read()?["fault_seen"]?.GetValue<string>();

    /// <summary>Whether a workaround passed (true), failed (false) or was never tried (null) here.</summary>
    public bool? Outcome(KernelWorkaround workaround) => Read()?["workarounds"]?[workaround.Name()]?.GetValue<string>() switch
    {
        "passed" => true,
        "failed" => false,
        _ => null,
    };

    /// <summary>Records a fault (the first one seen stays).</summary>
    public void RecordFault(ConvolutionGradientError fault, string machine) => Update(json =>
    {
        if (json["fault"] is null)
        {
            json["fault"] = fault.ToString();
            json["fault_seen"] = DateTimeOffset.UtcNow.ToString("u");
            json["machine"] = machine;
        }
    });

    /// <summary>Records a workaround's re-check. A failure is final; a pass does not overwrite a failure.</summary>
    public void RecordOutcome(KernelWorkaround workaround, bool passed) => Update(json =>
    {
        var outcomes = json["workarounds"] as JsonObject ?? [];
        json["workarounds"] = outcomes;
        if (outcomes[workaround.Name()]?.GetValue<string>() != "failed")
            outcomes[workaround.Name()] = passed ? "passed" : "failed";
    });

    JsonObject? Read()
    {
        try
        {
            return File.Exists(Path) ? JsonNode.Parse(File.ReadAllText(Path)) as JsonObject : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null; // an unreadable cache is as good as none: the check itself still runs
        }
    }

    void Update(Action<JsonObject> change)
    {
        var json = Read() ?? [];
        change(json);
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            AtomicFile.WriteAllText(Path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not remembering costs a re-detection at the next start, never a wrong answer.
        }
    }
}
