namespace TorchBinding.Data.Files;

/// <summary>Progress of a data-set download.</summary>
/// <param name="File">The file being fetched.</param>
/// <param name="Url">Where from.</param>
/// <param name="BytesReceived">Bytes so far.</param>
/// <param name="TotalBytes">Total, when the server says.</param>
public readonly record struct DownloadProgress(string File, string Url, long BytesReceived, long? TotalBytes);

/// <summary>
/// Where to look for data-set files and whether to download them. The defaults follow the library's
/// order: an explicit folder, <c>TORCHBINDING_DATA</c>, the user cache, well-known system folders, then
/// the download mirrors (into the cache).
/// </summary>
public sealed record DataLocation
{
    /// <summary>The environment variable naming a folder of data sets (files in it or in its <c>NAME/</c> sub-folder).</summary>
    public const string EnvironmentVariable = "TORCHBINDING_DATA";

    /// <summary>A folder to look in first (files directly in it, or in its sub-folder named after the data set).</summary>
    public string? Directory { get; init; }

    /// <summary>The cache root; data sets go to <c>datasets/NAME</c> below it (default: the TorchBinding cache).</summary>
    public string CacheRoot { get; init; } = Runtime.CacheDirectory.Root;

    /// <summary>Download from the mirrors when no copy is found (default true).</summary>
    public bool AllowDownload { get; init; } = true;

    /// <summary>Mirrors to use instead of the data set's own (URL templates with <c>{0}</c> for the file name).</summary>
    public IReadOnlyList<string>? Mirrors { get; init; }

    /// <summary>Folders to use instead of the data set's well-known system folders.</summary>
    public IReadOnlyList<string>? WellKnownFolders { get; init; }

    /// <summary>Receives download progress; null shows it on standard error.</summary>
    public IProgress<DownloadProgress>? Progress { get; init; }

    /// <summary>How long one download may take.</summary>
    public TimeSpan DownloadTimeout { get; init; } = TimeSpan.FromMinutes(5);
}
