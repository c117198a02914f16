using System.Globalization;
using System.Text.Json;

namespace TorchBinding.Training.Callbacks;

/// <summary>The file format of a <see cref="MetricsLog"/>.</summary>
public enum MetricsLogFormat
{
    /// <summary>A header line, then one comma-separated row per epoch (columns fixed by the first epoch).</summary>
    Csv,

    /// <summary>One JSON object per line per epoch.</summary>
    JsonLines,
}

/// <summary>
/// Appends every epoch's values to a file as it ends (flushed each time, so a crash keeps what was
/// logged): CSV or JSON lines. A new run truncates the file; a resumed run first drops the rows of epochs
/// after its checkpoint (a run killed between logging an epoch and checkpointing it trains that epoch
/// again), then appends, so the log always agrees with the checkpoint.
/// </summary>
public sealed class MetricsLog : TrainingCallback
{
    string[]? _columns;

    /// <summary>Creates the log.</summary>
    public MetricsLog(string path, MetricsLogFormat format = MetricsLogFormat.Csv) => (Path, Format) = (path, format);

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The format.</summary>
    public MetricsLogFormat Format { get; }

    /// <inheritdoc/>
    public override void OnFitStart(TrainingContext context)
    {
        System.IO.Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        if (context.Epoch == 0 || !File.Exists(Path))
        {
            File.WriteAllText(Path, "");
            return;
        }
        var lines = File.ReadAllLines(Path).Where(l => l.Length > 0).ToList();
        if (Format == MetricsLogFormat.Csv && lines.Count > 0)
            _columns = lines[0].Split(',')[1..];
        var kept = lines.Where((line, i) => (Format == MetricsLogFormat.Csv && i == 0) || EpochOf(line) <= context.Epoch).ToList();
        if (kept.Count != lines.Count)
            Runtime.AtomicFile.WriteAllText(Path, string.Concat(kept.Select(l => l + Environment.NewLine)));
    }

    int EpochOf(string line)
    {
        if (Format == MetricsLogFormat.Csv)
            return int.Parse(line.AsSpan(0, line.IndexOf(',') is var comma and >= 0 ? comma : line.Length), CultureInfo.InvariantCulture);
        using var json = JsonDocument.Parse(line);
        return json.RootElement.GetProperty("epoch").GetInt32();
    }

    /// <inheritdoc/>
    public override void OnEpochCompleted(TrainingContext context, EpochRecord epoch)
    {
        string line;
        if (Format == MetricsLogFormat.JsonLines)
        {
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteNumber("epoch", epoch.Epoch);
                foreach (var (name, value) in epoch.Values.OrderBy(v => v.Key, StringComparer.Ordinal))
                {
                    if (double.IsFinite(value))
                        json.WriteNumber(name, value);
                    else
                        json.WriteNull(name); // JSON has no NaN or infinities
                }
                json.WriteEndObject();
            }
            line = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        }
        else
        {
            if (_columns is null)
            {
                _columns = epoch.Values.Keys.Order(StringComparer.Ordinal).ToArray();
                File.AppendAllText(Path, "epoch," + string.Join(",", _columns) + Environment.NewLine);
            }
            line = epoch.Epoch.ToString(CultureInfo.InvariantCulture) + "," +
                   string.Join(",", _columns.Select(c => epoch[c] is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : ""));
        }
        File.AppendAllText(Path, line + Environment.NewLine);
    }
}
