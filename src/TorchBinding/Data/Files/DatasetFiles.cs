using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using TorchBinding.Runtime;

namespace TorchBinding.Data.Files;

/// <summary>A data-set file found and verified: where it came from and its uncompressed content.</summary>
/// <param name="Path">The file it was read from (a cache copy for downloads).</param>
/// <param name="Content">The uncompressed bytes, whose MD5 matched.</param>
public sealed record LocatedFile(string Path, byte[] Content);

/// <summary>
/// Finds a data set's files, verifies them and fetches what is missing. Order: the explicit folder,
/// <c>TORCHBINDING_DATA</c>, the user cache, well-known system folders, then each mirror in turn (the
/// download is verified in memory and only then written to the cache, atomically). Each place may hold
/// the file as is or gzip-compressed. A copy that fails its checksum in a place the user chose is an
/// error naming it; a bad copy in the cache is deleted and fetched again, never used.
/// </summary>
public static class DatasetFiles
{
    static readonly HttpClient Http = new() { Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The cache folder of a data set.</summary>
    public static string CacheFolder(DatasetDefinition dataset, DataLocation location) =>
        Path.Combine(location.CacheRoot, "datasets", dataset.Name);

    /// <summary>Locates, verifies and if needed downloads one file of <paramref name="dataset"/>.</summary>
    /// <exception cref="FileNotFoundException">No place had it and no mirror delivered it; the message lists every place and error.</exception>
    /// <exception cref="InvalidDataException">A copy the user pointed to is corrupt (checksum mismatch or bad gzip).</exception>
    public static LocatedFile Locate(DatasetDefinition dataset, string fileName, DataLocation? location = null, CancellationToken cancellation = default)
    {
        location ??= new DataLocation();
        var file = dataset.File(fileName);
        var cache = CacheFolder(dataset, location);
        var looked = new List<string>();

        foreach (var (folder, isCache) in Places(dataset, location, cache))
        {
            foreach (var candidate in new[] { Path.Combine(folder, file.Name), Path.Combine(folder, file.Name + ".gz") })
            {
                looked.Add(candidate);
                if (!File.Exists(candidate))
                    continue;
                var (content, problem) = ReadVerified(candidate, file);
                if (problem is null)
                    return new LocatedFile(candidate, content!);
                if (!isCache)
                    throw new InvalidDataException($"{candidate}: {problem} Replace or delete the file (it is {dataset.Name}'s {file.Name}).");
                File.Delete(candidate); // ours, and wrong: fetch it again rather than use it
                Console.Error.WriteLine($"TorchBinding: removed a corrupt cached file ({candidate}: {problem}); fetching it again.");
            }
        }

        var failures = new List<string>();
        if (location.AllowDownload)
        {
            foreach (var mirror in location.Mirrors ?? dataset.Mirrors)
            {
                var url = string.Format(System.Globalization.CultureInfo.InvariantCulture, mirror, file.Name);
                try
                {
                    var downloaded = Download(url, file, location, cancellation);
                    var (content, problem) = Verify(downloaded, url, file, url.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
                    if (problem is not null)
                    {
                        failures.Add($"{url}: {problem}");
                        continue;
                    }
                    var target = Path.Combine(cache, file.Name);
                    AtomicFile.WriteAllBytes(target, content!);
                    return new LocatedFile(target, content!);
                }
                catch (Exception e) when (e is HttpRequestException or IOException or TaskCanceledException or InvalidDataException && !cancellation.IsCancellationRequested)
                {
                    failures.Add($"{url}: {e.Message}");
                }
            }
        }

        var message = new StringBuilder();
        message.AppendLine($"{dataset.Name}: {file.Name} was not found and could not be downloaded.");
        message.AppendLine("Looked in:");
        foreach (var place in looked)
            message.AppendLine($"  {place}");
        if (!location.AllowDownload)
            message.AppendLine("Downloading was turned off.");
        else if (failures.Count > 0)
        {
            message.AppendLine("Downloads tried:");
            foreach (var failure in failures)
                message.AppendLine($"  {failure}");
        }
        message.Append($"To get the files: {dataset.HowToGet} Or put them (raw or .gz) in a folder and pass it as DataLocation.Directory or set {DataLocation.EnvironmentVariable}.");
        throw new FileNotFoundException(message.ToString(), file.Name);
    }

    static IEnumerable<(string Folder, bool IsCache)> Places(DatasetDefinition dataset, DataLocation location, string cache)
    {
        if (location.Directory is { } explicitFolder)
        {
            yield return (Path.Combine(explicitFolder, dataset.Name), false);
            yield return (explicitFolder, false);
        }
        if (Environment.GetEnvironmentVariable(DataLocation.EnvironmentVariable) is { Length: > 0 } data)
        {
            yield return (Path.Combine(data, dataset.Name), false);
            yield return (data, false);
        }
        yield return (cache, true);
        foreach (var folder in location.WellKnownFolders ?? dataset.WellKnownFolders)
            yield return (folder, false);
    }

    static (byte[]? Content, string? Problem) ReadVerified(string path, KnownFile file)
    {
        // Never read more than the file can be: its content, or a gzip of it (which is not larger, plus headers).
        var length = new FileInfo(path).Length;
        if (length > MaxStoredSize(file))
            return (null, $"it is {length} bytes, more than the {file.Size} bytes of {file.Name} (even compressed).");
        return Verify(File.ReadAllBytes(path), path, file, path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The most bytes a stored or downloaded copy may have: the content, or its gzip (deflate adds at most ~0.03 % and headers).</summary>
    static long MaxStoredSize(KnownFile file) => file.Size + file.Size / 1000 + 4096;

    /// <summary>Decompresses (if gzip, never past the expected size) and checks the size and MD5; returns the content, or the problem in words.</summary>
    static (byte[]? Content, string? Problem) Verify(byte[] bytes, string source, KnownFile file, bool gzip)
    {
        byte[] content;
        if (gzip || (bytes.Length > 2 && bytes[0] == 0x1f && bytes[1] == 0x8b))
        {
            try
            {
                using var input = new GZipStream(new MemoryStream(bytes), CompressionMode.Decompress);
                content = new byte[file.Size];
                var filled = input.ReadAtLeast(content, content.Length, throwOnEndOfStream: false);
                if (filled < content.Length)
                    return (null, $"it inflates to {filled} bytes; {file.Name} has {file.Size}.");
                if (input.Read(new byte[1]) > 0)
                    return (null, $"it inflates to more than the {file.Size} bytes of {file.Name} (stopped there).");
            }
            catch (InvalidDataException e)
            {
                return (null, $"not a valid gzip file ({e.Message})");
            }
        }
        else
        {
            content = bytes;
            if (content.Length != file.Size)
                return (null, $"it is {content.Length} bytes; {file.Name} has {file.Size}.");
        }
        var md5 = Convert.ToHexStringLower(MD5.HashData(content));
        return md5 == file.Md5.ToLowerInvariant()
            ? (content, null)
            : (null, $"checksum mismatch: the MD5 of its {(content == bytes ? "" : "uncompressed ")}content ({content.Length} bytes) is {md5}, expected {file.Md5}.");
    }

    static byte[] Download(string url, KnownFile file, DataLocation location, CancellationToken cancellation)
    {
        var fileName = file.Name;
        var limit = MaxStoredSize(file);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(location.DownloadTimeout);
        using var response = Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).GetAwaiter().GetResult();
        response.EnsureSuccessStatusCode();
        var total = response.Content.Headers.ContentLength;
        var progress = location.Progress ?? new ConsoleDownloadProgress();
        using var stream = response.Content.ReadAsStream(timeout.Token);
        if (total > limit)
            throw new IOException($"the server announces {total} bytes, more than {fileName} can be (its content is {file.Size} bytes).");
        using var buffer = new MemoryStream(total is > 0 ? (int)total : 1 << 20);
        var chunk = new byte[1 << 16];
        long received = 0;
        progress.Report(new DownloadProgress(fileName, url, 0, total));
        int read;
        while ((read = stream.ReadAsync(chunk, timeout.Token).AsTask().GetAwaiter().GetResult()) > 0)
        {
            buffer.Write(chunk, 0, read);
            received += read;
            if (received > limit)
                throw new IOException($"the download passed {limit} bytes, more than {fileName} can be (its content is {file.Size} bytes); stopped.");
            progress.Report(new DownloadProgress(fileName, url, received, total));
        }
        if (total is { } expected && received != expected)
            throw new IOException($"the download ended after {received} of {expected} bytes.");
        return buffer.ToArray();
    }
}

/// <summary>Download progress on standard error: a live line on a terminal, a start and an end line otherwise.</summary>
public sealed class ConsoleDownloadProgress : IProgress<DownloadProgress>
{
    readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();
    TimeSpan _lastShown = TimeSpan.MinValue;
    bool _started;

    /// <inheritdoc/>
    public void Report(DownloadProgress value)
    {
        var done = value.TotalBytes is { } total && value.BytesReceived >= total;
        var size = value.TotalBytes is { } t ? $"{value.BytesReceived / 1e6:F1} of {t / 1e6:F1} MB" : $"{value.BytesReceived / 1e6:F1} MB";
        if (!_started)
        {
            _started = true;
            Console.Error.WriteLine($"downloading {value.File} from {value.Url}");
        }
        if (Console.IsErrorRedirected)
        {
            if (done)
                Console.Error.WriteLine($"  {value.File}: {size} in {_clock.Elapsed.TotalSeconds:F1} s");
            return;
        }
        if (!done && _clock.Elapsed - _lastShown < TimeSpan.FromMilliseconds(200))
            return;
        _lastShown = _clock.Elapsed;
        var percent = value.TotalBytes is > 0 ? $"{100.0 * value.BytesReceived / value.TotalBytes.Value,5:F1} % " : "";
        Console.Error.Write($"\r  {value.File}: {percent}{size}{(done ? Environment.NewLine : "")}");
    }
}
