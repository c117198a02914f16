using TorchBinding.Plots.Charts;
using TorchBinding.Training;

namespace TorchBinding.Plots;

/// <summary>Options of <see cref="HistoryPlot"/>.</summary>
public sealed record HistoryPlotOptions
{
    /// <summary>Whether the loss panel has a logarithmic y axis (default false).</summary>
    public bool LogLoss { get; init; }

    /// <summary>Whether the loss panel also shows every optimizer step's loss, faintly, at fractional epochs (default true).</summary>
    public bool ShowSteps { get; init; } = true;

    /// <summary>Whether to add a learning-rate panel; null (default): when the rate changed during training.</summary>
    public bool? ShowLearningRate { get; init; }

    /// <summary>Panels per row (default 2).</summary>
    public int Columns { get; init; } = 2;

    /// <summary>The overall title (null: none).</summary>
    public string? Title { get; init; }
}

/// <summary>
/// The curves of a finished training run in one call: a loss panel (train vs validation), one panel per metric
/// (<c>train_NAME</c> vs <c>val_NAME</c>), and the learning rate when it was scheduled.
/// </summary>
/// <example><code>
/// var history = trainer.Fit(model, data);
/// HistoryPlot.Save(history, Path.Combine(run.OutputDirectory, "history.png"));
/// </code></example>
public static class HistoryPlot
{
    static readonly HashSet<string> NotMetrics = ["train_loss", "val_loss", "lr", "seconds", "epoch"];

    /// <summary>Draws <paramref name="history"/> and writes it as a PNG file (atomically).</summary>
    public static void Save(TrainingHistory history, string path, HistoryPlotOptions? options = null) =>
        Create(history, options).Save(path);

    /// <summary>The figure of <paramref name="history"/>: a <see cref="LineChart"/> for a loss alone, else panels.</summary>
    public static Figure Create(TrainingHistory history, HistoryPlotOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        options ??= new HistoryPlotOptions();
        if (history.Epochs.Count == 0 && history.StepLosses.Count == 0)
            throw new ArgumentException("The training history is empty: it has no epochs and no steps.", nameof(history));
        var panels = new List<Figure> { LossPanel(history, options) };
        foreach (var metric in MetricNames(history))
            panels.Add(MetricPanel(history, metric));
        var rates = history.SeriesNames.Contains("lr") ? history.Series("lr") : history.StepLearningRates;
        var finiteRates = rates.Where(double.IsFinite).ToArray();
        var rateChanged = finiteRates.Length > 1 && finiteRates.Max() > finiteRates.Min() * (1 + 1e-9);
        if (options.ShowLearningRate ?? rateChanged)
            panels.Add(LearningRatePanel(history));
        if (panels.Count == 1)
        {
            if (options.Title is not null)
                panels[0].Title = options.Title;
            return panels[0];
        }
        var figure = new MultiPanelFigure(Math.Min(options.Columns, panels.Count)) { Title = options.Title };
        foreach (var panel in panels)
            figure.Add(panel);
        return figure;
    }

    /// <summary>Metric names NAME with a <c>train_NAME</c> or <c>val_NAME</c> series, in order of first appearance.</summary>
    internal static IReadOnlyList<string> MetricNames(TrainingHistory history) =>
        history.SeriesNames
            .Where(n => !NotMetrics.Contains(n) && (n.StartsWith("train_", StringComparison.Ordinal) || n.StartsWith("val_", StringComparison.Ordinal)))
            .Select(n => n[(n.IndexOf('_') + 1)..])
            .Distinct(StringComparer.Ordinal)
            .ToList();

    static double[] EpochNumbers(TrainingHistory history) => history.Epochs.Select(e => (double)e.Epoch).ToArray();

    static LineChart LossPanel(TrainingHistory history, HistoryPlotOptions options)
    {
        var chart = new LineChart { Title = "Loss", XLabel = history.Epochs.Count > 0 ? "epoch" : "step", YLabel = "loss", LogY = options.LogLoss };
        var names = history.SeriesNames;
        var steps = history.StepLosses;
        if (history.Epochs.Count == 0)
            return chart.Add("train (per step)", Values.From(steps));
        if (options.ShowSteps && steps.Count > history.Epochs.Count)
        {
            // Step i of S steps over E epochs sits at epoch (i + 1) * E / S, so each epoch's last step meets its epoch mark.
            var epochs = history.Epochs.Count;
            var x = Enumerable.Range(1, steps.Count).Select(i => (double)i * epochs / steps.Count).ToArray();
            chart.Add("train (per step)", x, Values.From(steps), Palette.Lighten(Palette.OkabeIto[0], 0.65), width: 1f);
            chart.ShowMarkers = false;
        }
        if (names.Contains("train_loss"))
            chart.Add("train", EpochNumbers(history), Values.From(history.Series("train_loss")), Palette.OkabeIto[0]);
        if (names.Contains("val_loss"))
            chart.Add("validation", EpochNumbers(history), Values.From(history.Series("val_loss")), Palette.OkabeIto[1]);
        if (chart.SeriesCount == 0)
            throw new ArgumentException($"The training history has no loss: neither 'train_loss' nor 'val_loss' among {string.Join(", ", names)}, and no step losses.", nameof(history));
        return chart;
    }

    static LineChart MetricPanel(TrainingHistory history, string metric)
    {
        var chart = new LineChart { Title = metric.Replace('_', ' '), XLabel = "epoch", YLabel = metric.Replace('_', ' ') };
        var names = history.SeriesNames;
        if (names.Contains("train_" + metric))
            chart.Add("train", EpochNumbers(history), Values.From(history.Series("train_" + metric)), Palette.OkabeIto[0]);
        if (names.Contains("val_" + metric))
            chart.Add("validation", EpochNumbers(history), Values.From(history.Series("val_" + metric)), Palette.OkabeIto[1]);
        return chart;
    }

    static LineChart LearningRatePanel(TrainingHistory history)
    {
        var chart = new LineChart { Title = "Learning rate", YLabel = "learning rate", Legend = LegendPosition.Hidden };
        if (history.StepLearningRates.Count > 0)
        {
            chart.XLabel = "step";
            return chart.Add(null, Values.From(history.StepLearningRates), Palette.OkabeIto[2]);
        }
        chart.XLabel = "epoch";
        return chart.Add(null, EpochNumbers(history), Values.From(history.Series("lr")), Palette.OkabeIto[2]);
    }
}
