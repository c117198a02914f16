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
/// logged): CSV or JSON lines. A new run truncates the file; a resumed run appends.
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
        if (context.Epoch == 0)
            File.WriteAllText(Path, "");
        else if (Format == MetricsLogFormat.Csv && File.Exists(Path))
            _columns = File.ReadLines(Path).FirstOrDefault()?.Split(',')[1..];
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
