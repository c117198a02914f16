using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Runtime;

/// <summary>
/// libtorch's autocast, which TorchSharp does not bind (PyTorch's <c>torch.autocast("cpu", dtype=torch.bfloat16)</c>):
/// inside the scope the operations that gain from lower precision (convolutions, transposed convolutions, linear layers,
/// matrix products, attention) cast their inputs and float32 weights to bfloat16 and compute there; the rest keeps
/// float32. Weights are cast once per scope (cached) and never changed, so a model, its optimizers and flat buffers are
/// untouched. For inference where <see cref="Bf16Support.IsNative"/>; outputs may come back in bfloat16.
/// </summary>
/// <remarks>
/// Autocast is a state of the calling thread, as in PyTorch. Reached through libtorch_cpu's exported C++ functions
/// (<c>at::autocast::set_autocast_enabled</c> and its neighbours, libtorch 2.4 and later); where they are missing
/// <see cref="IsAvailable"/> is false and <see cref="Enable"/> throws.
/// </remarks>
public static class Autocast
{
    /// <summary>Whether this libtorch exposes autocast for any device type.</summary>
    public static bool IsAvailable => Functions.Instance is not null;

    /// <summary>Whether autocast is on for <paramref name="device"/>'s type on this thread (never, where this libtorch lacks it).</summary>
    public static unsafe bool IsEnabled(DeviceType device)
    {
        if (Functions.Instance is not { } f)
            return false;
        return ((delegate* unmanaged<sbyte, byte>)f.IsEnabled)((sbyte)device) != 0;
    }

    /// <summary>
    /// Turns autocast on for <paramref name="device"/>'s type, computing in <paramref name="dtype"/>, until the returned
    /// scope is disposed (which restores the previous state and, leaving the outermost scope, drops the cached weights).
    /// </summary>
    /// <exception cref="InvalidOperationException">This libtorch does not export autocast's functions.</exception>
    public static unsafe IDisposable Enable(DeviceType device, ScalarType dtype = ScalarType.BFloat16)
    {
        var f = Require();
        var type = (sbyte)device;
        var wasEnabled = ((delegate* unmanaged<sbyte, byte>)f.IsEnabled)(type) != 0;
        var previousType = ((delegate* unmanaged<sbyte, sbyte>)f.GetDtype)(type);
        ((delegate* unmanaged<sbyte, sbyte, void>)f.SetDtype)(type, (sbyte)dtype);
        ((delegate* unmanaged<sbyte, byte, void>)f.SetEnabled)(type, 1);
        ((delegate* unmanaged<int>)f.IncrementNesting)();
        return new Scope(type, wasEnabled, previousType);
    }

    static Functions Require() => Functions.Instance
        ?? throw new InvalidOperationException("This libtorch_cpu does not export autocast's functions (at::autocast::set_autocast_enabled(DeviceType, bool), libtorch 2.4 and later).");

    sealed class Scope(sbyte type, bool wasEnabled, sbyte previousType) : IDisposable
    {
        bool _disposed;

        public unsafe void Dispose()
        {
            if (_disposed)
                return;
            _disposed = true;
            var f = Require();
            if (((delegate* unmanaged<int>)f.DecrementNesting)() == 0)
                ((delegate* unmanaged<void>)f.ClearCache)();
            ((delegate* unmanaged<sbyte, byte, void>)f.SetEnabled)(type, wasEnabled ? (byte)1 : (byte)0);
            ((delegate* unmanaged<sbyte, sbyte, void>)f.SetDtype)(type, previousType);
        }
    }

    sealed class Functions
    {
        static readonly Lazy<Functions?> Resolved = new(Resolve);

        public static Functions? Instance => Resolved.Value;

        public required IntPtr IsEnabled { get; init; }
        public required IntPtr SetEnabled { get; init; }
        public required IntPtr GetDtype { get; init; }
        public required IntPtr SetDtype { get; init; }
        public required IntPtr IncrementNesting { get; init; }
        public required IntPtr DecrementNesting { get; init; }
        public required IntPtr ClearCache { get; init; }

        static Functions? Resolve()
        {
            TorchRuntime.EnsureInitialized();
            if (NativeStartup.Handle("torch_cpu") is not { } library)
                return null;
            IntPtr? Export(string symbol) => NativeLibrary.TryGetExport(library, symbol, out var address) ? address : null;
            // c10::DeviceType and c10::ScalarType are int8 enums; bool is one byte.
            return (Export("_ZN2at8autocast19is_autocast_enabledEN3c1010DeviceTypeE"), Export("_ZN2at8autocast20set_autocast_enabledEN3c1010DeviceTypeEb"),
                    Export("_ZN2at8autocast18get_autocast_dtypeEN3c1010DeviceTypeE"), Export("_ZN2at8autocast18set_autocast_dtypeEN3c1010DeviceTypeENS1_10ScalarTypeE"),
                    Export("_ZN2at8autocast17increment_nestingEv"), Export("_ZN2at8autocast17decrement_nestingEv"), Export("_ZN2at8autocast11clear_cacheEv")) switch
            {
                ({ } isEnabled, { } setEnabled, { } getDtype, { } setDtype, { } increment, { } decrement, { } clear) => new Functions
                {
                    IsEnabled = isEnabled, SetEnabled = setEnabled, GetDtype = getDtype, SetDtype = setDtype,
                    IncrementNesting = increment, DecrementNesting = decrement, ClearCache = clear,
                },
                _ => null,
            };
        }
    }
}
