using TorchBinding.Runtime;

namespace TorchBinding.Models;

/// <summary>
/// A module's name for its base constructor, <c>base(ModuleName.AfterRuntimeStart("Cnn"))</c>: the base constructor
/// is the first native call of a model, so the runtime (the native start-up) must be initialised before it.
/// </summary>
static class ModuleName
{
    /// <summary>Initialises the runtime (once per process) and returns <paramref name="name"/>.</summary>
    public static string AfterRuntimeStart(string name)
    {
        TorchRuntime.EnsureInitialized();
        return name;
    }
}
