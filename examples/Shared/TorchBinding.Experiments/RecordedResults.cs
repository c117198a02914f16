using System.Globalization;
using System.Text;
using System.Text.Json;

namespace TorchBinding.Experiments;

/// <summary>
/// One recorded result (<c>docs/results/&lt;Example&gt;[.&lt;variant&gt;].json</c>, written by <c>scripts/record.sh</c>): an example's
/// full run with where it came from — commit, the example's code as a git tree, the machine, the runtime, the costs.
/// </summary>
/// <param name="Example">The example's name (its folder under <c>examples/</c>).</param>
/// <param name="Variant">The variant's name (a run with other options), or null for the default recipe.</param>
/// <param name="Commit">The commit the run was built from.</param>
/// <param name="CodeTree">The git tree of <c>examples/&lt;Example&gt;</c> at that commit: the recipe the numbers belong to.</param>
/// <param name="LibraryTree">The git tree of <c>src</c> at that commit.</param>
/// <param name="Date">The day of the run (UTC, yyyy-MM-dd).</param>
/// <param name="Cpu">The processor's model name.</param>
/// <param name="Cores">The machine's cores.</param>
/// <param name="Threads">libtorch's intra-op threads in the run.</param>
/// <param name="LibTorch">The libtorch version in the run.</param>
/// <param name="WallSeconds">Wall seconds of the whole process.</param>
/// <param name="CpuSeconds">CPU seconds (user + system).</param>
/// <param name="PeakMb">Peak resident memory, MiB.</param>
/// <param name="WhereTheTimeWent">The profile's three largest self times.</param>
/// <param name="Arguments">The example's command line (without <c>--out</c>).</param>
/// <param name="Summary">The run's last line: its result, as the example words it.</param>
/// <param name="Metrics">The run's metrics.json (null for a value that was not finite).</param>
public sealed record RecordedResult(
    string Example, string? Variant, string Commit, string CodeTree, string LibraryTree, string Date, string Cpu, int Cores,
    int Threads, string LibTorch, double WallSeconds, double CpuSeconds, int PeakMb, string WhereTheTimeWent,
    IReadOnlyList<string> Arguments, string Summary, IReadOnlyDictionary<string, double?> Metrics)
{
    /// <summary>The file name's stem: <c>GanMnist</c> or <c>GanMnist.long</c>.</summary>
    public string Key => Variant is null ? Example : $"{Example}.{Variant}";

    /// <summary>The summary without its leading "Example: ".</summary>
    public string Result => Summary.StartsWith(Example + ": ", StringComparison.Ordinal) ? Summary[(Example.Length + 2)..] : Summary;

    /// <summary>"1249 s (9.4 min)": the wall time as a person reads it.</summary>
    public string Duration => WallSeconds < 120 ? $"{WallSeconds:F0} s" : $"{WallSeconds:F0} s ({WallSeconds / 60:F1} min)";

    /// <summary>"commit 1a2b3c4, 2026-12-08".</summary>
    public string Provenance => $"commit {Commit[..Math.Min(7, Commit.Length)]}, {Date}";

    /// <summary>Reads a results file; a missing or malformed field is an <see cref="InvalidDataException"/> naming the file and the field.</summary>
    public static RecordedResult Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var root = document.RootElement;
        JsonElement Field(JsonElement parent, string name) =>
            parent.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Undefined ? value
                : throw new InvalidDataException($"{path}: the recorded result has no '{name}'.");
        var run = Field(root, "provenance");
        var metrics = Field(root, "metrics").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : (double?)null);
        var arguments = Field(run, "arguments").EnumerateArray().Select(a => a.GetString()!).ToList();
        var outAt = arguments.IndexOf("--out");
        if (outAt >= 0)
            arguments.RemoveRange(outAt, Math.Min(2, arguments.Count - outAt));      // where it was written is no part of the recipe
        var variant = Field(root, "variant");
        var result = new RecordedResult(
            Field(root, "example").GetString()!, variant.ValueKind == JsonValueKind.Null ? null : variant.GetString(),
            Field(root, "commit").GetString()!, Field(root, "code_tree").GetString()!, Field(root, "library_tree").GetString()!,
            Field(root, "date").GetString()!, Field(root, "cpu").GetString()!, Field(root, "cores").GetInt32(),
            Field(run, "intra_op_threads").GetInt32(), Field(run, "libtorch").GetString()!,
            Field(root, "wall_seconds").GetDouble(), Field(root, "cpu_seconds").GetDouble(), Field(root, "peak_mb").GetInt32(),
            Field(root, "where_the_time_went").GetString()!, arguments, Field(run, "summary").GetString()!, metrics);
        if (Path.GetFileNameWithoutExtension(path) != result.Key)
            throw new InvalidDataException($"{path}: the file holds '{result.Key}', so it must be named {result.Key}.json.");
        return result;
    }

    /// <summary>Every results file of a folder, by key.</summary>
    public static IReadOnlyList<RecordedResult> LoadAll(string directory) =>
        Directory.Exists(directory)
            ? [.. Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal).Select(Load)]
            : throw new DirectoryNotFoundException($"No recorded results: the folder '{directory}' does not exist (scripts/record.sh writes it).");
}

/// <summary>
/// The README's parts made from recorded results: the example table's result column, the course table, and the list
/// of other recipes. <see cref="Render"/> gives the README with those parts as the results say; a test asserts the
/// README equals it, and <c>scripts/record.sh --readme</c> writes it.
/// </summary>
public static class ResultsReadme
{
    /// <summary>The header row that opens the example table; its last column is rendered.</summary>
    public const string ExampleTableHeader = "| example | lecture topic | what it shows | recorded result |";

    /// <summary>The markers around the rendered course table.</summary>
    public const string CourseTableStart = "<!-- recorded: course table -->", CourseTableEnd = "<!-- /recorded: course table -->";

    /// <summary>The markers around the rendered list of other recipes.</summary>
    public const string VariantsStart = "<!-- recorded: other recipes -->", VariantsEnd = "<!-- /recorded: other recipes -->";

    /// <summary>The README with its recorded parts rendered from <paramref name="results"/>; the rest untouched.</summary>
    /// <exception cref="InvalidDataException">A marker or the table is missing, or a result names an example the table lacks.</exception>
    public static string Render(string readme, IReadOnlyList<RecordedResult> results)
    {
        var newline = readme.Contains("\r\n", StringComparison.Ordinal) ? "\r\n" : "\n";
        var lines = readme.Split(newline).ToList();
        var main = results.Where(r => r.Variant is null).ToDictionary(r => r.Example);
        var header = lines.IndexOf(ExampleTableHeader);
        if (header < 0)
            throw new InvalidDataException($"README: no example table (a line '{ExampleTableHeader}').");
        var order = new List<string>();
        for (var i = header + 2; i < lines.Count && lines[i].StartsWith('|'); i++)
        {
            var cells = Cells(lines[i]);
            var example = cells[0].Trim().Trim('`');
            order.Add(example);
            if (main.TryGetValue(example, out var result))
                lines[i] = string.Join(" | ", cells.Take(cells.Count - 1).Prepend("").Append(ResultCell(result))).TrimStart() + " |";
        }
        if (main.Keys.Except(order).FirstOrDefault() is { } unknown)
            throw new InvalidDataException($"README: docs/results has '{unknown}', which the example table has no row for.");
        Replace(lines, CourseTableStart, CourseTableEnd, CourseTable(order.Where(main.ContainsKey).Select(e => main[e]).ToList()));
        Replace(lines, VariantsStart, VariantsEnd, Variants(results.Where(r => r.Variant is not null).ToList()));
        return string.Join(newline, lines);
    }

    /// <summary>The example table's last cell: the run's result line, its time and its provenance.</summary>
    public static string ResultCell(RecordedResult result) => Escape($"{result.Result} ({result.Duration}; {result.Provenance})");

    static List<string> CourseTable(IReadOnlyList<RecordedResult> results)
    {
        var lines = new List<string>
        {
            "| example | wall s | CPU s | peak MB | where the time went (self time) | recorded |",
            "|---|---:|---:|---:|---|---|",
        };
        lines.AddRange(results.Select(r => string.Create(CultureInfo.InvariantCulture,
            $"| `{r.Example}` | {r.WallSeconds:F0} | {r.CpuSeconds:F0} | {r.PeakMb} | {Escape(r.WhereTheTimeWent)} | {r.Provenance} |")));
        if (results.Count > 0)
        {
            var machines = results.Select(r => $"{r.Cpu} ({r.Cores} cores, {r.Threads} threads, libtorch {r.LibTorch})").Distinct().ToList();
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"| **total ({results.Count} examples)** | {results.Sum(r => r.WallSeconds):F0} | {results.Sum(r => r.CpuSeconds):F0} | {results.Max(r => r.PeakMb)} (largest) | {Escape(string.Join("; ", machines))} | |"));
        }
        return lines;
    }

    static List<string> Variants(IReadOnlyList<RecordedResult> variants) =>
        [.. variants.Select(r => $"- `{r.Example} {string.Join(' ', r.Arguments)}` ({r.Duration}; {r.Provenance}): {r.Result}")];

    static void Replace(List<string> lines, string start, string end, List<string> content)
    {
        var from = lines.IndexOf(start);
        var to = lines.IndexOf(end);
        if (from < 0 || to < from)
            throw new InvalidDataException($"README: the markers '{start}' and '{end}' are missing or out of order.");
        lines.RemoveRange(from + 1, to - from - 1);
        lines.InsertRange(from + 1, content);
    }

    /// <summary>A row's cells (between the outer pipes), keeping escaped pipes inside cells.</summary>
    static List<string> Cells(string row)
    {
        var cells = new List<string>();
        var cell = new StringBuilder();
        for (var i = 1; i < row.Length; i++)
        {
            if (row[i] == '\\' && i + 1 < row.Length && row[i + 1] == '|')
            {
                cell.Append("\\|");
                i++;
            }
            else if (row[i] == '|')
            {
                cells.Add(cell.ToString().Trim());
                cell.Clear();
            }
            else
            {
                cell.Append(row[i]);
            }
        }
        return cells;
    }

    static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}

/// <summary>Whether recorded results still describe the code: compares each result's trees with the checkout's (git).</summary>
public static class ResultsFreshness
{
    /// <summary>
    /// The results whose example's code (<c>examples/&lt;Example&gt;</c>) differs from <paramref name="treeAt"/>'s (the
    /// checkout's), with why: their numbers belong to another recipe and must be recorded again.
    /// </summary>
    public static IReadOnlyList<string> Stale(IReadOnlyList<RecordedResult> results, Func<string, string?> treeAt) =>
        [.. results.Where(r => treeAt($"examples/{r.Example}") != r.CodeTree)
            .Select(r => $"{r.Key}: recorded at {r.Provenance} from examples/{r.Example} as it was then; it has changed since (scripts/record.sh {r.Example}{(r.Variant is null ? "" : $" --variant {r.Variant}")})")];

    /// <summary>The results recorded with another version of the library (<c>src</c>): listed, not refused, since most library changes move no number.</summary>
    public static IReadOnlyList<string> LibraryChanged(IReadOnlyList<RecordedResult> results, Func<string, string?> treeAt)
    {
        var library = treeAt("src");
        return [.. results.Where(r => r.LibraryTree != library).Select(r => $"{r.Key} ({r.Provenance})")];
    }

    /// <summary>The git tree of <paramref name="path"/> at HEAD of the repository at <paramref name="root"/>, or null where git cannot tell.</summary>
    public static string? GitTree(string root, string path)
    {
        using var git = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("git", ["-C", root, "rev-parse", $"HEAD:{path}"])
        {
            RedirectStandardOutput = true, RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("git could not be started.");
        var output = git.StandardOutput.ReadToEnd().Trim();
        git.StandardError.ReadToEnd();
        git.WaitForExit();
        return git.ExitCode == 0 ? output : null;
    }
}
