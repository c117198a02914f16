using System.CommandLine;
using System.Globalization;
using TorchBinding.Data;
using TorchBinding.Experiments;
using TorchBinding.Losses;
using TorchBinding.Metrics;
using TorchBinding.Models;
using TorchBinding.Plots;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Cli.Commands;

/// <summary>
/// <c>torchbinding train</c>: a model of the catalog on a data set of the catalog, with an optimizer and a loss by
/// name. The run folder gets what the examples write (metrics.json, loss.png, confusion_matrix.png, epochs.csv) plus
/// run.json (the settings, reusable with --config), history.json, last.ckpt and best.ckpt, and model.safetensors (the
/// weights under the PyTorch definition's names). Ctrl+C (or SIGTERM) stops after the current step, writes last.ckpt and
/// prints the command that resumes.
/// </summary>
static class TrainCommand
{
    public static Command Create()
    {
        var options = new TrainOptions();
        var command = new Command("train", "train a model of the catalog on a data set (e.g. train --model cnn-course --data mnist --epochs 5 --out runs/x)");
        foreach (var option in options.All)
            command.Options.Add(option);
        command.SetAction(parse => Guard.Run(() => Train(options.Resolve(parse), parse.GetValue(options.Resume))));
        return command;
    }

    /// <summary>Trains with resolved settings (also what a sweep's task runs); <paramref name="resume"/> continues from a checkpoint.</summary>
    internal static int Train(TrainSettings settings, string? resume)
    {
        // Every name is checked before anything is loaded or trained.
        var dataset = Guard.Name(() => DatasetCatalog.Get(settings.Data));
        var modelEntry = Guard.Name(() => ModelCatalog.Get(settings.Model));
        var loss = Guard.Name(() => LossCatalog.Get(settings.Loss.Replace('-', '_')));
        var optimizerName = settings.Optimizer.Trim().ToLowerInvariant();
        if (!Optimizers.Names.Contains(optimizerName))
            throw new UsageException($"Unknown optimizer '{settings.Optimizer}'; the optimizers are: {string.Join(", ", Optimizers.Names)}.");
        var device = Guard.Name(() => Devices.Parse(settings.Device));
        var precision = settings.Precision.Trim().ToLowerInvariant() switch
        {
            "fp32" => Precision.Default,
            "bf16" => Precision.Bf16Mixed,
            _ => throw new UsageException($"Unknown precision '{settings.Precision}'; the precisions are: fp32, bf16."),
        };
        if (resume is not null && !File.Exists(resume))
            throw new UsageException($"--resume: checkpoint '{resume}' does not exist.");
        settings = settings with { Model = modelEntry.Name, Data = dataset.Name, Loss = loss.Name, Optimizer = optimizerName };

        // The model is built (seeded) before the run folder is made, so a model that cannot take the data leaves nothing behind.
        TorchRuntime.EnsureInitialized();
        Seeding.SeedEverything(settings.Seed);
        var model = Workbench.CreateModel(modelEntry, dataset, settings.Hidden);
        // So is the data split: a --limit too small to hold out a validation part leaves nothing behind either.
        using var data = Workbench.Load(dataset, settings.Limit, settings.Validation, settings.Seed);

        var lr = settings.Lr.ToString("G4", CultureInfo.InvariantCulture);
        var run = ExperimentRun.Start(new ExperimentOptions { Name = "train", OutputDirectory = settings.OutputDirectory, Device = device, Seed = settings.Seed },
            $"{settings.Model} on {settings.Data}: {settings.Optimizer} lr {lr}, {settings.Loss} loss, batch {settings.BatchSize}, {settings.Epochs} epoch(s)");
        AtomicFile.WriteAllBytes(run.PathFor("run.json"), System.Text.Encoding.UTF8.GetBytes(settings.ToJson().ToJsonString(new() { WriteIndented = true })));

        model.to(run.Device);
        if (precision == Precision.Bf16Mixed)
            MixedPrecision.ToBf16(model); // before the optimizer, which keeps float32 master weights
        Console.WriteLine($"  {data.Train.Count} training, {data.Validation?.Count ?? 0} validation, {data.Test.Count} test samples; {model.ParameterCount():N0} parameters");

        var checkpoints = new ModelCheckpoint(run.OutputDirectory, data.Validation is null ? "train_loss" : "val_loss");
        var trainer = new Trainer(model, loss.Create(), Optim.Named(optimizerName, new OptimizerSettings { LearningRate = settings.Lr }),
            new TrainerOptions
            {
                Epochs = settings.Epochs,
                BatchSize = settings.BatchSize,
                Seed = settings.Seed,
                Metrics = [() => new Accuracy()],
                Callbacks = [checkpoints, new MetricsLog(run.PathFor("epochs.csv"))],
                ResumeFrom = resume,
                Precision = precision,
            });

        using var cancellation = new CancellationTokenSource();
        ConsoleCancelEventHandler stop = (_, e) =>
        {
            // The first Ctrl+C stops after the current step (with a checkpoint); a second one ends the process at once,
            // when returning here. A checkpoint being written then is abandoned: its temporary file goes, and
            // last.ckpt keeps the previous one (a temporary file that escapes this is removed when a run next starts here).
            if (cancellation.IsCancellationRequested)
            {
                AtomicFile.AbandonWritesInProgress();
                return;
            }
            e.Cancel = true;
            cancellation.Cancel();
            Console.Error.WriteLine("torchbinding: stopping after the current step (Ctrl+C again to quit at once)...");
        };
        Console.CancelKeyPress += stop;
        // SIGTERM (a Slurm cancellation or preemption, a service manager's stop) is a first Ctrl+C: the run stops after
        // its step with a checkpoint, which 'sweep resume' (or --resume) continues.
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            if (!cancellation.IsCancellationRequested)
            {
                cancellation.Cancel();
                Console.Error.WriteLine("torchbinding: terminated: stopping after the current step with a checkpoint...");
            }
        });
        TrainingHistory history;
        try
        {
            Console.WriteLine($"  training (Ctrl+C stops after the current step and writes {checkpoints.LastPath})");
            history = trainer.Fit(data.Train, data.Validation, cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            var done = trainer.History.Epochs.Count;
            WriteHistory(run, trainer.History);
            var config = run.PathFor("run.json");
            Console.WriteLine($"Interrupted during epoch {done + 1} of {settings.Epochs}; the checkpoint is {checkpoints.LastPath}.");
            Console.WriteLine($"Resume with: torchbinding train --config {Quote(config)} --resume {Quote(checkpoints.LastPath)}");
            return ExitCodes.Interrupted;
        }
        finally
        {
            Console.CancelKeyPress -= stop;
        }
        WriteHistory(run, history);

        var test = trainer.Evaluate(data.Test);
        using var logits = trainer.Predict(data.Test);
        var title = $"{settings.Model} on {settings.Data}";
        ConfusionMatrix confusion;
        if (dataset.IsImages)
        {
            confusion = ClassificationReport.Write(run.OutputDirectory, history, logits, data.Test, title);
        }
        else
        {
            confusion = new ConfusionMatrix(dataset.Classes, data.Test.ClassNames);
            confusion.Update(logits, data.Test.Targets);
            HistoryPlot.Save(history, run.PathFor("loss.png"), new HistoryPlotOptions { Title = title });
        }
        model.SavePyTorchWeights(run.PathFor("model.safetensors"));

        run.Report("test_accuracy", confusion.Accuracy, "test accuracy", "P2");
        run.Report("test_loss", test["loss"], "test loss", "F4");
        run.Metric("train_loss", history.Last("train_loss") ?? double.NaN);
        if (history.Last("val_accuracy") is { } validation)
            run.Metric("val_accuracy", validation);
        run.Metric("epochs", history.Epochs.Count);
        run.Metric("train_samples", data.Train.Count);
        run.Metric("test_samples", data.Test.Count);
        run.Metric("parameters", model.ParameterCount());
        run.Finish($"train: {title}, test accuracy {confusion.Accuracy:P2} after {history.Epochs.Count} epoch(s){(history.StopReason is { } reason ? $" (stopped: {reason})" : "")}; run folder {run.OutputDirectory}");
        return ExitCodes.Success;
    }

    static void WriteHistory(ExperimentRun run, TrainingHistory history) =>
        AtomicFile.WriteAllBytes(run.PathFor("history.json"), System.Text.Encoding.UTF8.GetBytes(history.ToJson().ToJsonString()));

    static string Quote(string path) => path.Contains(' ', StringComparison.Ordinal) ? $"\"{path}\"" : path;
}
