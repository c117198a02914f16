// Compiled into applications by TorchBinding.targets (see there). Installs the native resolver (and
// loads an external libtorch the environment names); otherwise the runtime starts on first use, so
// TorchRuntime.Initialize(options) still works.
namespace TorchBinding.Startup;

internal static class TorchBindingStartupHook
{
#pragma warning disable CA2255 // A module initializer is the point here: it must run before Main.
    [System.Runtime.CompilerServices.ModuleInitializer]
#pragma warning restore CA2255
    internal static void Install() => global::TorchBinding.Runtime.TorchRuntime.OnApplicationStart();
}
