namespace TorchBinding.Runtime;

/// <summary>
/// The per-user cache of TorchBinding (patched native libraries, downloaded data sets):
/// <c>TORCHBINDING_CACHE</c> if set, else <c>$XDG_CACHE_HOME/torchbinding</c>, else
/// <c>~/.cache/torchbinding</c> on Linux and macOS and <c>%LOCALAPPDATA%\TorchBinding</c> on Windows.
/// </summary>
public static class CacheDirectory
{
    /// <summary>The environment variable that overrides the cache location.</summary>
    public const string EnvironmentVariable = "TORCHBINDING_CACHE";

    /// <summary>The cache root (not created by reading this).</summary>
    public static string Root
    {
        get
        {
            var explicitRoot = Environment.GetEnvironmentVariable(EnvironmentVariable);
            if (!string.IsNullOrWhiteSpace(explicitRoot))
                return Path.GetFullPath(explicitRoot);
            if (OperatingSystem.IsWindows())
                return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData), "TorchBinding");
            var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
            if (!string.IsNullOrWhiteSpace(xdg))
                return Path.Combine(xdg, "torchbinding");
            return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "torchbinding");
        }
    }

    /// <summary>A sub-folder of the cache root (not created by this call).</summary>
    public static string Sub(params string[] parts) => Path.Combine([Root, .. parts]);
}
