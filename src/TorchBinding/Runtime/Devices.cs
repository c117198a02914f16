using System.Globalization;
using TorchSharp;

namespace TorchBinding.Runtime;

/// <summary>The kinds of device a user can ask for.</summary>
public enum DeviceKind
{
    /// <summary>CUDA device 0 when CUDA is available, else the CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>A CUDA device.</summary>
    Cuda,
}

/// <summary>A parsed device setting (<c>auto</c>, <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>), before it meets the machine.</summary>
/// <param name="Kind">What was asked for.</param>
/// <param name="Index">The CUDA device index (<c>cuda:N</c>), or null.</param>
public readonly record struct DeviceRequest(DeviceKind Kind, int? Index = null)
{
    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        DeviceKind.Auto => "auto",
        DeviceKind.Cpu => "cpu",
        _ => Index is { } i ? $"cuda:{i}" : "cuda",
    };
}

/// <summary>Device choice as the examples and the command line spell it: <c>auto | cpu | cuda | cuda:N</c>.</summary>
public static class Devices
{
    /// <summary>Parses a device setting; the message of the exception lists the accepted forms.</summary>
    /// <exception cref="ArgumentException">The text is none of the accepted forms.</exception>
    public static DeviceRequest Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var value = text.Trim().ToLowerInvariant();
        switch (value)
        {
            case "auto": return new(DeviceKind.Auto);
            case "cpu": return new(DeviceKind.Cpu);
            case "cuda" or "gpu": return new(DeviceKind.Cuda);
        }
        if (value.StartsWith("cuda:", StringComparison.Ordinal) &&
            int.TryParse(value.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            return new(DeviceKind.Cuda, index);
        throw new ArgumentException($"Device '{text}' is not one of: auto, cpu, cuda, cuda:N (N = 0, 1, ...).", nameof(text));
    }

    /// <summary>Parses and resolves a device setting on this machine.</summary>
    public static torch.Device Resolve(string text) => Resolve(Parse(text));

    /// <summary>
    /// The device a request means here. <c>auto</c> falls back to the CPU; an explicit CUDA request that the
    /// machine cannot honour is refused with the reason, never silently moved to the CPU.
    /// </summary>
    /// <exception cref="InvalidOperationException">CUDA was asked for but is unavailable, or the index is out of range.</exception>
    public static torch.Device Resolve(DeviceRequest request)
    {
        TorchRuntime.EnsureInitialized();
        var available = torch.cuda.is_available();
        switch (request.Kind)
        {
            case DeviceKind.Cpu:
                return torch.CPU;
            case DeviceKind.Auto:
                return available ? torch.CUDA : torch.CPU;
        }
        if (!available)
        {
            var source = TorchRuntime.Describe().Source;
            throw new InvalidOperationException(
                $"Device '{request}' was asked for, but CUDA is not available: libtorch comes from {source}. " +
                $"For CUDA, build with -p:TorchBindingLibTorch=external and set {RuntimeOptions.LibTorchVariable} to a CUDA libtorch (or 'python'), or use --device cpu.");
        }
        var count = torch.cuda.device_count();
        var index = request.Index ?? 0;
        if (index >= count)
            throw new InvalidOperationException($"Device '{request}' was asked for, but only {count} CUDA device(s) are visible (cuda:0..cuda:{count - 1}).");
        return new torch.Device(DeviceType.CUDA, index);
    }
}
