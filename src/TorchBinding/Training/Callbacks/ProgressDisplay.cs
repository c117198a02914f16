using System.Globalization;
using System.Text;

namespace TorchBinding.Training.Callbacks;

/// <summary>
/// Training progress. On a terminal: a live line with the epoch, a bar, the step, the running loss and the
/// last metrics, samples per second and the time left in the epoch. When the output is redirected (logs,
/// CI): one line per epoch. Long runs (the lecture's 1000-epoch full-batch fits) print at most about 50
/// epoch lines: the first, the last, and every ⌈epochs / 50⌉-th. Added by the trainer unless
/// <see cref="TrainerOptions.Progress"/> is off.
/// </summary>
public sealed class ProgressDisplay : TrainingCallback
{
    readonly TextWriter _writer;
    readonly bool _live;
    DateTime _lastDraw = DateTime.MinValue;
    DateTime _epochStart;
    long _samplesAtStart;
    int _steps;

    /// <summary>Creates the display; <paramref name="writer"/> defaults to standard output (live only if it is a terminal).</summary>
    public ProgressDisplay(TextWriter? writer = null)
    {
        _writer = writer ?? Console.Out;
        _live = writer is null && !Console.IsOutputRedirected;
    }

    /// <inheritdoc/>
    public override void OnEpochStart(TrainingContext context)
    {
        _epochStart = DateTime.UtcNow;
        _samplesAtStart = context.SamplesInEpoch;
        _steps = 0;
    }

    /// <inheritdoc/>
    public override void OnBatchEnd(TrainingContext context)
    {
        _steps++;
        if (!_live)
            return;
        var now = DateTime.UtcNow;
        var last = context.BatchInEpoch + 1 >= context.BatchesPerEpoch;
        if (!last && now - _lastDraw < TimeSpan.FromMilliseconds(100))
            return;
        _lastDraw = now;
        var done = context.BatchInEpoch + 1;
        var fraction = (double)done / context.BatchesPerEpoch;
        const int width = 24;
        var filled = (int)Math.Round(fraction * width);
        var seconds = (now - _epochStart).TotalSeconds;
        var rate = seconds > 0 ? (context.SamplesInEpoch - _samplesAtStart) / seconds : 0;
        var eta = TimeSpan.FromSeconds(seconds / _steps * (context.BatchesPerEpoch - done));
        var line = new StringBuilder();
        line.Append(CultureInfo.InvariantCulture, $"epoch {context.Epoch}/{context.Epochs} [{new string('=', filled)}{new string(' ', width - filled)}] {done}/{context.BatchesPerEpoch}");
        foreach (var (name, value) in context.LastStep)
            line.Append(CultureInfo.InvariantCulture, $" {name} {value:F4}");
        line.Append(CultureInfo.InvariantCulture, $" {rate:F0} samples/s ETA {eta:m\\:ss}");
        _writer.Write("\r" + line.ToString().PadRight(Math.Min(Console.BufferWidth > 0 ? Console.BufferWidth - 1 : 120, 160)));
    }

    /// <inheritdoc/>
    public override void OnEpochCompleted(TrainingContext context, EpochRecord epoch)
    {
        var every = (context.Epochs + 49) / 50;
        var shown = epoch.Epoch == 1 || epoch.Epoch == context.Epochs || epoch.Epoch % every == 0 || context.StopRequested;
        if (_live)
            _writer.Write(shown ? "\r" : "");
        if (shown)
            _writer.WriteLine(Summary(context, epoch));
    }

    /// <inheritdoc/>
    public override void OnInterrupted(TrainingContext context)
    {
        if (_live)
            _writer.WriteLine();
        if (context.StopReason is { } reason)
            _writer.WriteLine(reason);
    }

    /// <summary>"epoch 3/10  train_loss 0.2345  val_accuracy 0.9312  lr 1.00e-03  2.1 s".</summary>
    public static string Summary(TrainingContext context, EpochRecord epoch)
    {
        var line = new StringBuilder().Append(CultureInfo.InvariantCulture, $"epoch {epoch.Epoch,3}/{context.Epochs}");
        foreach (var (name, value) in epoch.Values.Where(v => v.Key is not ("lr" or "seconds")).OrderBy(v => v.Key.StartsWith("val_", StringComparison.Ordinal)).ThenBy(v => v.Key, StringComparer.Ordinal))
            line.Append(CultureInfo.InvariantCulture, $"  {name} {value:F4}");
        line.Append(CultureInfo.InvariantCulture, $"  lr {epoch["lr"]:0.00e+00}  {epoch["seconds"]:F1} s");
        return line.ToString();
    }
}
