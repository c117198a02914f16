using System.Runtime.InteropServices;

namespace TorchBinding.Runtime;

/// <summary>
/// CUDA device names, which TorchSharp does not expose: read through the CUDA runtime (libcudart) that
/// libtorch_cuda has already loaded. <c>cudaDeviceProp</c> begins with <c>char name[256]</c> in every CUDA
/// version, so only that field is read, from a buffer larger than any version of the struct.
/// </summary>
static class CudaDeviceNames
{
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    delegate int GetDeviceProperties(IntPtr properties, int device);

    /// <summary>The names of devices 0..count-1 ("unknown" where the CUDA runtime cannot be asked).</summary>
    public static IReadOnlyList<string> Read(int count)
    {
        var names = Enumerable.Repeat("unknown", count).ToArray();
        var cudart = LoadedLibraries.PathContaining("libcudart");
        if (cudart is null || !NativeLibrary.TryLoad(cudart, out var library))
            return names;
        if (!NativeLibrary.TryGetExport(library, "cudaGetDeviceProperties_v2", out var export) &&
            !NativeLibrary.TryGetExport(library, "cudaGetDeviceProperties", out export))
            return names;
        var call = Marshal.GetDelegateForFunctionPointer<GetDeviceProperties>(export);
        const int bufferSize = 64 * 1024;
        var buffer = Marshal.AllocHGlobal(bufferSize);
        try
        {
            for (var device = 0; device < count; device++)
            {
                unsafe { new Span<byte>((void*)buffer, bufferSize).Clear(); }
                if (call(buffer, device) == 0)
                    names[device] = Marshal.PtrToStringUTF8(buffer) ?? "unknown";
            }
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
        }
        return names;
    }
}
