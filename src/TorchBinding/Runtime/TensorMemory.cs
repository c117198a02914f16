using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace TorchBinding.Runtime;

/// <summary>
/// Where a tensor's elements are in memory, for checks that two tensors share their elements (a parameter's gradient
/// still being a view into an optimizer's flat buffer). TorchSharp reads this address internally but does not expose
/// it for every dtype; it is read here through the same exported function of its native library.
/// </summary>
static unsafe class TensorMemory
{
    static delegate* unmanaged[Cdecl]<IntPtr, IntPtr> _dataPointer;

    /// <summary>The address of the tensor's first element (its storage's address plus its offset).</summary>
    public static IntPtr DataPointer(Tensor tensor)
    {
        if (_dataPointer == null)
            _dataPointer = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeLibrary.GetExport(LibTorchSharp(), "THSTensor_data");
        return _dataPointer(tensor.Handle);
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
