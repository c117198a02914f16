using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using static TorchSharp.torch;

namespace TorchBinding.Runtime;

/// <summary>
/// Where a run's seconds go: named sections, nested, each timed in wall and CPU seconds (the whole process's CPU, so
/// libtorch's worker threads count). The library marks its own sections — the trainer's <c>fit/data</c>,
/// <c>fit/step</c> (the forward pass and whatever the step computes itself), <c>.../backward</c>, <c>.../optimizer</c>,
/// <c>.../callbacks</c>, <c>fit/metrics</c>, <c>fit/validation</c>; a sampler's <c>sampling</c>; a plot's <c>plot</c> —
/// and a program adds its own with <see cref="Measure"/>. A section's self time excludes the sections inside it, so
/// the self times of a profile add up to its measured time.
/// </summary>
/// <remarks>
/// Sections cost a clock read each: marking is free when no profiler is running (<see cref="Measure"/> returns a
/// no-op). Only the thread that started the profiler is measured; sections opened on other threads are ignored, so a
/// nested structure cannot be torn by concurrency. On a CUDA device, pass <c>synchronizeCuda</c>: kernels run
/// asynchronously, and without a synchronisation at each boundary their time lands in whichever section waits first.
/// </remarks>
public sealed class Profiler : IDisposable
{
    static readonly AsyncLocal<Profiler?> s_current = new();

    readonly Profiler? _previous;
    readonly int _thread = Environment.CurrentManagedThreadId;
    readonly bool _synchronizeCuda;
    readonly Stopwatch _clock = Stopwatch.StartNew();
    readonly TimeSpan _cpuAtStart = Environment.CpuUsage.TotalTime;
    readonly List<Frame> _open = [];
    readonly Dictionary<string, Totals> _totals = new(StringComparer.Ordinal);
    readonly List<string> _order = [];
    bool _disposed;

    Profiler(bool synchronizeCuda)
    {
        _synchronizeCuda = synchronizeCuda;
        _previous = s_current.Value;
        s_current.Value = this;
    }

    /// <summary>The profiler sections are recorded in on this thread (null: none running).</summary>
    public static Profiler? Current => s_current.Value;

    /// <summary>Starts a profiler and makes it the current one until it is disposed.</summary>
    /// <param name="synchronizeCuda">Wait for CUDA kernels at each section boundary (set when computing on a GPU).</param>
    public static Profiler Start(bool synchronizeCuda = false) => new(synchronizeCuda);

    /// <summary>
    /// Opens a section of the current profiler, closed by disposing what this returns:
    /// <c>using (Profiler.Measure("sampling")) { ... }</c>. A no-op when no profiler runs on this thread.
    /// </summary>
    /// <param name="name">The section's name; nested in the sections open around it (path <c>outer/name</c>).</param>
    public static ProfilerSection Measure(string name) => s_current.Value is { } profiler ? profiler.Open(name) : default;

    /// <summary>Wall time since the profiler started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>The process's CPU time since the profiler started.</summary>
    public TimeSpan CpuTime => Environment.CpuUsage.TotalTime - _cpuAtStart;

    /// <summary>Every section measured so far, in the order each was first opened.</summary>
    public IReadOnlyList<ProfileEntry> Entries => _order.Select(path =>
    {
        var t = _totals[path];
        return new ProfileEntry(path, t.Calls, t.Wall.TotalSeconds, t.SelfWall.TotalSeconds, t.Cpu.TotalSeconds, t.SelfCpu.TotalSeconds);
    }).ToList();

    ProfilerSection Open(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_disposed || Environment.CurrentManagedThreadId != _thread)
            return default;
        Synchronize();
        var path = _open.Count == 0 ? name : $"{_open[^1].Path}/{name}";
        _open.Add(new Frame(path, _clock.Elapsed, Environment.CpuUsage.TotalTime));
        return new ProfilerSection(this, _open.Count);
    }

    internal void Close(int depth)
    {
        if (_disposed || depth > _open.Count || Environment.CurrentManagedThreadId != _thread)
            return;
        Synchronize();
        var (wallNow, cpuNow) = (_clock.Elapsed, Environment.CpuUsage.TotalTime);
        // A section closed out of order closes the ones still open inside it first.
        while (_open.Count >= depth)
        {
            var frame = _open[^1];
            _open.RemoveAt(_open.Count - 1);
            var (wall, cpu) = (wallNow - frame.WallStart, cpuNow - frame.CpuStart);
            if (!_totals.TryGetValue(frame.Path, out var totals))
            {
                _totals[frame.Path] = totals = new Totals();
                _order.Add(frame.Path);
            }
            totals.Calls++;
            totals.Wall += wall;
            totals.Cpu += cpu;
            totals.SelfWall += wall - frame.ChildWall;
            totals.SelfCpu += cpu - frame.ChildCpu;
            if (_open.Count > 0)
            {
                _open[^1].ChildWall += wall;
                _open[^1].ChildCpu += cpu;
            }
        }
    }

    void Synchronize()
    {
        if (_synchronizeCuda && cuda.is_available())
            cuda.synchronize();
    }

    /// <summary>
    /// The profile as a table, largest self time first: calls, wall seconds with and without the sections inside,
    /// the share of the whole run, and CPU seconds per wall second (how many cores the section kept busy). The last
    /// row is the time outside every section.
    /// </summary>
    /// <param name="top">Rows shown at most (the rest are summed into one row).</param>
    public string Report(int top = 15)
    {
        var total = Elapsed.TotalSeconds;
        var cpuTotal = CpuTime.TotalSeconds;
        var entries = Entries.OrderByDescending(e => e.SelfWallSeconds).ToList();
        var outside = total - entries.Where(e => !e.Path.Contains('/', StringComparison.Ordinal)).Sum(e => e.WallSeconds);
        var outsideCpu = cpuTotal - entries.Where(e => !e.Path.Contains('/', StringComparison.Ordinal)).Sum(e => e.CpuSeconds);
        var width = Math.Max(24, entries.Take(top).Select(e => e.Path.Length).DefaultIfEmpty(0).Max());
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"  {"section".PadRight(width)}  {"calls",8}  {"wall s",8}  {"self s",8}  {"self %",6}  {"CPU/wall",8}");
        void Row(string name, string calls, double wall, double self, double selfCpu) =>
            text.AppendLine(CultureInfo.InvariantCulture,
                $"  {name.PadRight(width)}  {calls,8}  {wall,8:F1}  {self,8:F1}  {(total > 0 ? 100 * self / total : 0),6:F1}  {(self > 0 ? selfCpu / self : 0),8:F2}");
        foreach (var e in entries.Take(top))
            Row(e.Path, e.Calls.ToString(CultureInfo.InvariantCulture), e.WallSeconds, e.SelfWallSeconds, e.SelfCpuSeconds);
        if (entries.Count > top)
        {
            var rest = entries.Skip(top).ToList();
            Row($"({rest.Count} more sections)", "", rest.Sum(e => e.SelfWallSeconds), rest.Sum(e => e.SelfWallSeconds), rest.Sum(e => e.SelfCpuSeconds));
        }
        Row("(outside any section)", "", outside, outside, outsideCpu);
        text.Append(CultureInfo.InvariantCulture, $"  total {total:F1} s wall, {cpuTotal:F1} s CPU");
        return text.ToString();
    }

    /// <summary>Writes the profile as JSON (atomically): totals and one object per section.</summary>
    public void WriteJson(string path)
    {
        var entries = Entries;
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            json.WriteStartObject();
            json.WriteNumber("total_wall_seconds", Math.Round(Elapsed.TotalSeconds, 3));
            json.WriteNumber("total_cpu_seconds", Math.Round(CpuTime.TotalSeconds, 3));
            json.WriteStartArray("sections");
            foreach (var e in entries)
            {
                json.WriteStartObject();
                json.WriteString("path", e.Path);
                json.WriteNumber("calls", e.Calls);
                json.WriteNumber("wall_seconds", Math.Round(e.WallSeconds, 4));
                json.WriteNumber("self_wall_seconds", Math.Round(e.SelfWallSeconds, 4));
                json.WriteNumber("cpu_seconds", Math.Round(e.CpuSeconds, 4));
                json.WriteNumber("self_cpu_seconds", Math.Round(e.SelfCpuSeconds, 4));
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        });
    }

    /// <summary>Stops recording (sections still open are closed now) and restores the profiler that was current before.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        if (_open.Count > 0 && Environment.CurrentManagedThreadId == _thread)
            Close(1);
        _disposed = true;
        if (ReferenceEquals(s_current.Value, this))
            s_current.Value = _previous;
    }

    sealed class Frame(string path, TimeSpan wallStart, TimeSpan cpuStart)
    {
        public string Path { get; } = path;
        public TimeSpan WallStart { get; } = wallStart;
        public TimeSpan CpuStart { get; } = cpuStart;
        public TimeSpan ChildWall { get; set; }
        public TimeSpan ChildCpu { get; set; }
    }

    sealed class Totals
    {
        public long Calls { get; set; }
        public TimeSpan Wall { get; set; }
        public TimeSpan Cpu { get; set; }
        public TimeSpan SelfWall { get; set; }
        public TimeSpan SelfCpu { get; set; }
    }
}

/// <summary>An open section of a <see cref="Profiler"/>; disposing it closes the section (a no-op when none was opened).</summary>
public readonly struct ProfilerSection : IDisposable
{
    readonly Profiler? _profiler;
    readonly int _depth;

    internal ProfilerSection(Profiler profiler, int depth) => (_profiler, _depth) = (profiler, depth);

    /// <summary>Closes the section.</summary>
    public void Dispose() => _profiler?.Close(_depth);
}

/// <summary>One section of a profile: its path (outer sections first, joined by '/'), calls, and seconds in all and by itself.</summary>
/// <param name="Path">e.g. <c>fit/step/backward</c>.</param>
/// <param name="Calls">How often the section was entered.</param>
/// <param name="WallSeconds">Wall seconds inside it, sections inside included.</param>
/// <param name="SelfWallSeconds">Wall seconds inside it, sections inside excluded.</param>
/// <param name="CpuSeconds">Process CPU seconds inside it, sections inside included.</param>
/// <param name="SelfCpuSeconds">Process CPU seconds inside it, sections inside excluded.</param>
public sealed record ProfileEntry(string Path, long Calls, double WallSeconds, double SelfWallSeconds, double CpuSeconds, double SelfCpuSeconds);
