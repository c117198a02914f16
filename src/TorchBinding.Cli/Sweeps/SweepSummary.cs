using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchBinding.Plots;
using TorchBinding.Plots.Charts;
using TorchBinding.Runtime;
using TorchBinding.Statistics;

namespace TorchBinding.Cli.Sweeps;

/// <summary>A metric of one setting over its seeds: the values, their mean and its 95 % bootstrap interval.</summary>
sealed record SeedStatistic(IReadOnlyList<double> Values, double Mean, double Low, double High);

/// <summary>One setting of a sweep, collected: its options, the seeds that finished, each metric over them, and its mean training-loss curve.</summary>
sealed record SettingSummary(string Setting, IReadOnlyDictionary<string, string> Options, IReadOnlyList<int> Seeds,
    IReadOnlyDictionary<string, SeedStatistic> Metrics, IReadOnlyList<IReadOnlyList<double>> TrainLoss);

/// <summary>
/// What a sweep found: every setting's metrics over its seeds (mean and 95 % percentile-bootstrap interval, the
/// library's <see cref="Bootstrap"/>), the best setting — chosen on the validation accuracy where the runs hold one
/// out, else on the training loss, never on the test set — a table, <c>summary.json</c> and a figure.
/// </summary>
static class SweepSummary
{
    /// <summary>The metrics shown in the table, when the runs have them.</summary>
    static readonly string[] Shown = ["val_accuracy", "test_accuracy", "test_loss", "train_loss", "seconds"];

    /// <summary>Collects the finished runs of every setting.</summary>
    public static IReadOnlyList<SettingSummary> Collect(SweepPlan plan)
    {
        var summaries = new List<SettingSummary>();
        foreach (var group in plan.Runs.GroupBy(r => r.Setting))
        {
            var finished = group.Where(r => File.Exists(Path.Combine(plan.RunFolder(r), "metrics.json"))).ToList();
            var metrics = finished.Select(r => ReadMetrics(Path.Combine(plan.RunFolder(r), "metrics.json"))).ToList();
            var keys = metrics.Count == 0 ? [] : metrics.Skip(1).Aggregate(metrics[0].Keys.ToHashSet(), (common, m) => { common.IntersectWith(m.Keys); return common; });
            var statistics = new SortedDictionary<string, SeedStatistic>(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                var values = metrics.Select(m => m[key]).ToList();
                var interval = values.Count > 1 ? Bootstrap.Mean(values) : new ConfidenceInterval(values[0], values[0], values[0], 0.95);
                statistics[key] = new SeedStatistic(values, Descriptive.Mean(values), interval.Low, interval.High);
            }
            var losses = finished.Select(r => Commands.RunsCommand.Curves(plan.RunFolder(r)).Train).Where(l => l.Count > 0).ToList();
            summaries.Add(new SettingSummary(group.Key, group.First().Options, [.. finished.Select(r => r.Seed)], statistics, losses));
        }
        return summaries;
    }

    /// <summary>The metric the best setting is chosen on, and whether larger is better.</summary>
    public static (string Metric, bool Larger)? Selection(IReadOnlyList<SettingSummary> summaries) =>
        summaries.Any(s => s.Metrics.ContainsKey("val_accuracy")) ? ("val_accuracy", true)
        : summaries.Any(s => s.Metrics.ContainsKey("train_loss")) ? ("train_loss", false) : null;

    /// <summary>The best setting by <see cref="Selection"/>, or null when no setting has that metric.</summary>
    public static SettingSummary? Best(IReadOnlyList<SettingSummary> summaries) =>
        Selection(summaries) is var (metric, larger)
            ? summaries.Where(s => s.Metrics.ContainsKey(metric)).OrderBy(s => larger ? -s.Metrics[metric].Mean : s.Metrics[metric].Mean).FirstOrDefault()
            : null;

    /// <summary>Prints the table, writes summary.json and the figure; returns how many settings have results.</summary>
    public static int Write(SweepPlan plan, IReadOnlyList<SettingSummary> summaries, string figurePath)
    {
        var keys = summaries.SelectMany(s => s.Metrics.Keys).Distinct().ToList();
        var columns = Shown.Where(keys.Contains).ToList();
        var table = Output.Table(["setting", "seeds", .. columns.Select(c => $"{c} (mean [95 % CI])")]);
        foreach (var summary in summaries)
            table.Row([summary.Setting, summary.Seeds.Count == 0 ? "none yet" : string.Join(",", summary.Seeds), .. columns.Select(c => summary.Metrics.TryGetValue(c, out var s) ? Format(c, s) : "")]);
        Output.Console.Write(table);
        var best = Best(summaries);
        var selection = Selection(summaries);
        if (best is not null && selection is var (metric, larger))
            Console.WriteLine($"best setting by mean {metric} ({(larger ? "highest" : "lowest")}; the test set chooses nothing): {best.Setting}, {Format(metric, best.Metrics[metric])}");

        AtomicFile.WriteAllText(Path.Combine(plan.Folder, "summary.json"), Json(plan, summaries, best, selection?.Metric).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var withResults = summaries.Count(s => s.Seeds.Count > 0);
        if (withResults > 0 && selection is var (figureMetric, _))
            Figure(plan, summaries, figureMetric).Save(figurePath);
        return withResults;
    }

    static JsonObject Json(SweepPlan plan, IReadOnlyList<SettingSummary> summaries, SettingSummary? best, string? selectedBy)
    {
        var settings = new JsonArray();
        foreach (var summary in summaries)
        {
            var options = new JsonObject();
            foreach (var (key, value) in summary.Options)
                options[key] = value;
            var metrics = new JsonObject();
            foreach (var (key, statistic) in summary.Metrics)
            {
                metrics[key] = new JsonObject
                {
                    ["mean"] = statistic.Mean,
                    ["low"] = statistic.Low,
                    ["high"] = statistic.High,
                    ["values"] = new JsonArray([.. statistic.Values.Select(v => (JsonNode)JsonValue.Create(v))]),
                };
            }
            settings.Add(new JsonObject
            {
                ["setting"] = summary.Setting,
                ["options"] = options,
                ["seeds"] = new JsonArray([.. summary.Seeds.Select(s => (JsonNode)JsonValue.Create(s))]),
                ["metrics"] = metrics,
            });
        }
        return new JsonObject
        {
            ["sweep"] = plan.Name,
            ["interval"] = "95 % percentile bootstrap of the mean over seeds (1000 resamples)",
            ["selected_by"] = selectedBy,
            ["best"] = best?.Setting,
            ["settings"] = settings,
        };
    }

    /// <summary>
    /// One panel per swept option: the selection metric's mean against the option's values, a curve (with its interval
    /// as a band) per combination of the other options; and the mean training loss per epoch of every setting, with
    /// the range over seeds as a band.
    /// </summary>
    static MultiPanelFigure Figure(SweepPlan plan, IReadOnlyList<SettingSummary> summaries, string metric)
    {
        var figure = new MultiPanelFigure(columns: Math.Min(3, plan.Grid.Count + 1)) { Title = $"Sweep {plan.Name}: mean over seeds, 95 % bootstrap interval", PanelWidth = 520, PanelHeight = 380 };
        foreach (var (key, values) in plan.Grid)
        {
            var numeric = values.All(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
            var x = values.Select((v, i) => numeric ? double.Parse(v, CultureInfo.InvariantCulture) : i + 1.0).ToArray();
            var chart = new LineChart
            {
                XLabel = numeric ? key : $"{key}: {string.Join(", ", values.Select((v, i) => $"{i + 1} = {v}"))}", YLabel = metric,
                LogX = numeric && x.All(v => v > 0) && x.Max() / x.Min() >= 10,
            };
            var others = summaries.GroupBy(s => string.Join(' ', s.Options.Where(o => o.Key != key).Select(o => $"{o.Key}={o.Value}"))).ToList();
            for (var g = 0; g < others.Count; g++)
            {
                var points = values.Select((v, i) => (X: x[i], S: others[g].FirstOrDefault(s => s.Options[key] == v)))
                    .Where(p => p.S is not null && p.S.Metrics.ContainsKey(metric)).ToList();
                if (points.Count == 0)
                    continue;
                var colour = Palette.Get(g, others.Count);
                var name = others[g].Key.Length == 0 ? metric : others[g].Key;
                chart.AddBand(null, points.Select(p => p.X).ToArray(), points.Select(p => p.S!.Metrics[metric].Low).ToArray(), points.Select(p => p.S!.Metrics[metric].High).ToArray(), colour);
                chart.Add(name, points.Select(p => p.X).ToArray(), points.Select(p => p.S!.Metrics[metric].Mean).ToArray(), colour);
            }
            figure.Add(chart, $"{metric} against {key}");
        }
        var curves = new LineChart { XLabel = "epoch", YLabel = "training loss", LogY = true, ShowMarkers = false };
        var withCurves = summaries.Where(s => s.TrainLoss.Count > 0).ToList();
        for (var i = 0; i < withCurves.Count; i++)
        {
            var losses = withCurves[i].TrainLoss;
            var epochs = losses.Min(l => l.Count);
            var x = Enumerable.Range(1, epochs).Select(e => (double)e).ToArray();
            var colour = Palette.Get(i, withCurves.Count);
            if (losses.Count > 1)
                curves.AddBand(null, x, x.Select((_, e) => losses.Min(l => l[e])).ToArray(), x.Select((_, e) => losses.Max(l => l[e])).ToArray(), colour);
            curves.Add(withCurves[i].Setting, x, x.Select((_, e) => losses.Average(l => l[e])).ToArray(), colour);
        }
        if (withCurves.Count > 0)
            figure.Add(curves, "training loss per epoch (band: range over seeds)");
        return figure;
    }

    static string Format(string key, SeedStatistic s) => key.EndsWith("accuracy", StringComparison.Ordinal)
        ? string.Create(CultureInfo.InvariantCulture, $"{s.Mean:P2} [{s.Low:P2}, {s.High:P2}]")
        : string.Create(CultureInfo.InvariantCulture, $"{s.Mean:0.####} [{s.Low:0.####}, {s.High:0.####}]");

    static Dictionary<string, double> ReadMetrics(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(path));
        return json.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).ToDictionary(p => p.Name, p => p.Value.GetDouble());
    }
}
