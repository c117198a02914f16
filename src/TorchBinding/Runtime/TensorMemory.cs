using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace TorchBinding.Runtime;

/// <summary>
/// Where a tensor's elements are in memory, for checks that two tensors share their elements (a parameter's gradient
/// still being a view into an optimizer's flat buffer). TorchSharp reads this address internally but does not expose
/// it for every dtype; it is read here through the same exported functions of its native library, without making
/// managed tensor objects (an optimizer checks every parameter at every step, so each check must cost nanoseconds).
/// </summary>
static unsafe class TensorMemory
{
    static delegate* unmanaged[Cdecl]<IntPtr, IntPtr> _data, _grad;
    static delegate* unmanaged[Cdecl]<IntPtr, void> _dispose;

    /// <summary>The address of the tensor's first element (its storage's address plus its offset).</summary>
    public static IntPtr DataPointer(Tensor tensor)
    {
        Bind();
        return _data(tensor.Handle);
    }

    /// <summary>The address of the first element of <paramref name="tensor"/>'s gradient, or zero when it has none.</summary>
    public static IntPtr GradientDataPointer(Tensor tensor)
    {
        Bind();
        var gradient = _grad(tensor.Handle);
        if (gradient == IntPtr.Zero)
            return IntPtr.Zero;
        var address = _data(gradient);
        _dispose(gradient);
        return address;
    }

    static void Bind()
    {
        if (_dispose != null)
            return;
        var library = LibTorchSharp();
        _data = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(library, "THSTensor_data");
        _grad = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(library, "THSTensor_grad");
        _dispose = (delegate* unmanaged[Cdecl]<IntPtr, void>)NativeLibrary.GetExport(library, "THSTensor_dispose");
    }

    static IntPtr LibTorchSharp()
    {
        TorchRuntime.EnsureInitialized();
        if (NativeStartup.Handle(NativeNames.LibTorchSharp) is { } loaded)
            return loaded;
        // Where TorchSharp loaded it itself (no fix-up was needed): the same library, already in the process.
        return NativeLibrary.Load(NativeNames.LibTorchSharp, typeof(TorchSharp.torch).Assembly, null);
    }
}
