using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchBinding.Plots.Charts;
using TorchBinding.Training;

namespace TorchBinding.Cli.Commands;

/// <summary>
/// <c>torchbinding runs compare runs/*</c>: the metrics.json of several run folders side by side, and their loss
/// curves (train solid, validation dashed, one colour per run) overlaid in one PNG. A sweep folder is grouped by
/// setting instead: each metric's mean and 95 % interval over seeds, the best setting, and the sweep's figure.
/// </summary>
static class RunsCommand
{
    /// <summary>The metrics shown first, when the runs have them.</summary>
    static readonly string[] Leading = ["test_accuracy", "test_loss", "val_accuracy", "train_loss", "epochs", "parameters", "seconds"];

    public static Command Create()
    {
        var folders = new Argument<string[]>("folders") { Description = "run folders, each with a metrics.json (e.g. runs/*), or one sweep folder", Arity = ArgumentArity.OneOrMore };
        var figure = new Option<string>("--figure") { Description = "where the overlaid loss curves go", DefaultValueFactory = _ => "runs-compare.png" };
        var compare = new Command("compare", "a table of the runs' metrics and their loss curves overlaid (PNG)");
        compare.Arguments.Add(folders);
        compare.Options.Add(figure);
        compare.SetAction(parse => Guard.Run(() => Compare(parse.GetValue(folders)!, parse.GetValue(figure)!)));
        var runs = new Command("runs", "run folders: compare");
        runs.Subcommands.Add(compare);
        return runs;
    }

    sealed record Run(string Folder, string Name, IReadOnlyDictionary<string, double?> Metrics, IReadOnlyList<double> TrainLoss, IReadOnlyList<double> ValidationLoss);

    static int Compare(IReadOnlyList<string> folders, string figurePath)
    {
        // A sweep folder is compared by setting: mean and interval over seeds (what 'sweep collect' writes).
        if (folders.Count == 1 && File.Exists(Path.Combine(folders[0], Sweeps.SweepPlan.ManifestName)))
            return SweepCommand.Collect(Sweeps.SweepPlan.Load(folders[0]), figurePath);
        var runs = new List<Run>();
        foreach (var folder in folders)
        {
            var metricsPath = Path.Combine(folder, "metrics.json");
            if (!Directory.Exists(folder))
                throw new UsageException($"'{folder}' is not a folder.");
            if (!File.Exists(metricsPath))
            {
                Console.Error.WriteLine($"torchbinding: skipping '{folder}': it has no metrics.json (not a finished run).");
                continue;
            }
            runs.Add(Read(folder, metricsPath));
        }
        if (runs.Count == 0)
            throw new UsageException($"none of the {folders.Count} folder(s) holds a metrics.json.");

        var keys = runs.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        var columns = Leading.Where(keys.Contains).Concat(keys.Except(Leading).Order(StringComparer.Ordinal)).ToList();
        var table = Output.Table(["run", .. columns]);
        foreach (var run in runs)
            table.Row([run.Name, .. columns.Select(c => run.Metrics.TryGetValue(c, out var v) ? Format(c, v) : "")]);
        Output.Console.Write(table);

        var withCurves = runs.Where(r => r.TrainLoss.Count > 0).ToList();
        if (withCurves.Count > 0)
        {
            var chart = new LineChart { Title = "Loss per epoch (train solid, validation dashed)", XLabel = "epoch", YLabel = "loss", LogY = true };
            for (var i = 0; i < withCurves.Count; i++)
            {
                var colour = Plots.Palette.Get(i, withCurves.Count);
                chart.Add($"{withCurves[i].Name} train", withCurves[i].TrainLoss.ToArray(), colour);
                if (withCurves[i].ValidationLoss.Count > 0)
                    chart.Add($"{withCurves[i].Name} validation", withCurves[i].ValidationLoss.ToArray(), colour, dashed: true);
            }
            var directory = Path.GetDirectoryName(Path.GetFullPath(figurePath));
            if (directory is not null)
                Directory.CreateDirectory(directory);
            chart.Save(figurePath);
            Console.WriteLine($"runs compare: {runs.Count} run(s); loss curves of {withCurves.Count} in {figurePath}");
        }
        else
        {
            Console.WriteLine($"runs compare: {runs.Count} run(s); none has history.json or epochs.csv, so no loss curves were drawn");
        }
        return ExitCodes.Success;
    }

    static Run Read(string folder, string metricsPath)
    {
        Dictionary<string, double?> metrics;
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllText(metricsPath));
            metrics = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : (double?)null);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{metricsPath}' is not valid JSON ({e.Message}).", e);
        }
        var (train, validation) = Curves(folder);
        var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        return new Run(folder, name, metrics, train, validation);
    }

    /// <summary>train_loss and val_loss per epoch, from history.json (train runs) or epochs.csv (examples' MetricsLog).</summary>
    internal static (IReadOnlyList<double> Train, IReadOnlyList<double> Validation) Curves(string folder)
    {
        var historyPath = Path.Combine(folder, "history.json");
        if (File.Exists(historyPath) && JsonNode.Parse(File.ReadAllText(historyPath)) is JsonObject json)
        {
            var history = new TrainingHistory();
            history.LoadJson(json);
            return (history.SeriesNames.Contains("train_loss") ? history.Series("train_loss") : [], history.SeriesNames.Contains("val_loss") ? history.Series("val_loss") : []);
        }
        var csvPath = Path.Combine(folder, "epochs.csv");
        if (File.Exists(csvPath))
        {
            var lines = File.ReadAllLines(csvPath).Where(l => l.Length > 0).ToList();
            if (lines.Count > 1)
            {
                var header = lines[0].Split(',').ToList();
                List<double> Column(string name) => header.IndexOf(name) is var i and >= 0
                    ? lines.Skip(1).Select(l => l.Split(',')).Where(c => c.Length > i).Select(c => double.TryParse(c[i], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : double.NaN).ToList()
                    : [];
                return (Column("train_loss"), Column("val_loss"));
            }
        }
        return ([], []);
    }

    static string Format(string key, double? value) => value switch
    {
        null => "null",
        { } v when key.EndsWith("accuracy", StringComparison.Ordinal) => v.ToString("P2", CultureInfo.InvariantCulture),
        { } v when v == Math.Floor(v) && Math.Abs(v) < 1e12 => v.ToString("N0", CultureInfo.InvariantCulture),
        { } v => v.ToString("0.####", CultureInfo.InvariantCulture),
    };
}
