namespace TorchBinding.Runtime;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the content goes to a temporary
/// file in the same folder, is flushed to disk, and then replaces the target by a rename. A process
/// killed mid-write leaves the previous file (or none) and a stray temporary file, which the next write of
/// the same file removes (temporary files name the process that made them; those of live processes stay), as does
/// <see cref="RemoveStaleTemporaries(string)"/> for a whole folder (a run folder when a run starts). A process about
/// to end at once (a second Ctrl+C) calls <see cref="AbandonWritesInProgress"/> to leave no temporary file behind.
/// </summary>
public static class AtomicFile
{
    /// <summary>The temporary files of this process's writes in progress (full paths).</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> InProgress = new(StringComparer.Ordinal);

    /// <summary>Writes <paramref name="path"/> through <paramref name="write"/>, atomically.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        RemoveStaleTemporaries(folder, Path.GetFileName(full));
        var temporary = Path.Combine(folder, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        InProgress[temporary] = true; // before the file exists, so that an abandoning handler always knows it
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.Delete)) // Delete: AbandonWritesInProgress, on Windows too
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
        finally
        {
            InProgress.TryRemove(temporary, out _);
        }
    }

    /// <summary>
    /// Deletes the temporary files of this process's writes in progress, for a handler that ends the process at once
    /// (e.g. on a second Ctrl+C): their targets keep their previous content and no temporary file stays behind. A write
    /// caught between its rename and this call has completed; one caught before fails, if the process lives on.
    /// </summary>
    public static void AbandonWritesInProgress()
    {
        foreach (var temporary in InProgress.Keys)
            TryDelete(temporary);
    }

    /// <summary>
    /// Deletes the temporary files in <paramref name="folder"/> that writes of processes no longer running left behind
    /// (killed, crashed, or ended at once mid-write), whatever file they were writing; those of running processes stay.
    /// </summary>
    /// <returns>How many were removed.</returns>
    public static int RemoveStaleTemporaries(string folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!Directory.Exists(folder))
            return 0;
        var removed = 0;
        foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp"))
        {
            // .NAME.PID.GUID.tmp, NAME itself possibly holding dots.
            var parts = Path.GetFileName(file).Split('.');
            if (parts.Length >= 5 && parts[^2].Length == 32 && Guid.TryParseExact(parts[^2], "N", out _) && IsStale(parts[^3]))
            {
                TryDelete(file);
                removed += File.Exists(file) ? 0 : 1;
            }
        }
        return removed;
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>, atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Writes <paramref name="text"/> (UTF-8) to <paramref name="path"/>, atomically.</summary>
    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>Deletes the temporary files of earlier writes of <paramref name="fileName"/> whose process no longer runs.</summary>
    static void RemoveStaleTemporaries(string folder, string fileName)
    {
        foreach (var stale in Directory.EnumerateFiles(folder, $".{fileName}.*.tmp"))
        {
            var parts = Path.GetFileName(stale)[(fileName.Length + 2)..].Split('.');
            if (parts.Length == 3 && IsStale(parts[0]))
                TryDelete(stale);
        }
    }

    /// <summary>Whether a temporary file's process id names another process that no longer runs.</summary>
    static bool IsStale(string processId) =>
        int.TryParse(processId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
        && pid != Environment.ProcessId && !IsRunning(pid);

    static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false; // no such process
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
