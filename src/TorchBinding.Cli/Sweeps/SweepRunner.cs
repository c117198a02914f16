using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace TorchBinding.Cli.Sweeps;

/// <summary>Where a sweep's run stands.</summary>
enum RunState
{
    /// <summary>Not started (no checkpoint, no metrics).</summary>
    Planned,

    /// <summary>Waiting in Slurm's queue.</summary>
    Pending,

    /// <summary>Running under Slurm.</summary>
    Running,

    /// <summary>Stopped with a checkpoint (last.ckpt) and no metrics: resuming continues it.</summary>
    Interrupted,

    /// <summary>Ended without metrics or checkpoint, by Slurm's account (failed, cancelled before its first epoch, out of time).</summary>
    Failed,

    /// <summary>Finished: its metrics.json exists.</summary>
    Done,
}

/// <summary>Runs a sweep's runs: the task each run is (local child process or Slurm array task), and the local scheduler.</summary>
static class SweepRunner
{
    /// <summary>Each run's state, from its folder, with Slurm's account of the sweep's jobs where Slurm is present.</summary>
    public static IReadOnlyDictionary<int, RunState> States(SweepPlan plan, IReadOnlyDictionary<int, string>? slurm = null)
    {
        var states = new Dictionary<int, RunState>();
        foreach (var run in plan.Runs)
        {
            var folder = plan.RunFolder(run);
            var state = File.Exists(Path.Combine(folder, "metrics.json")) ? RunState.Done
                : File.Exists(Path.Combine(folder, "last.ckpt")) ? RunState.Interrupted : RunState.Planned;
            if (state != RunState.Done && slurm is not null && slurm.TryGetValue(run.Index, out var account))
                state = Slurm.StateOf(account, state);
            states[run.Index] = state;
        }
        return states;
    }

    /// <summary>
    /// One run, as a Slurm array task or a local child runs it: nothing if it has finished, a resumed training if it has
    /// a checkpoint, else a fresh one — so a requeued or restarted task carries on where its run stopped.
    /// </summary>
    public static int Task(SweepPlan plan, int index)
    {
        var run = plan.Runs.FirstOrDefault(r => r.Index == index) ?? throw new UsageException($"sweep task: '{plan.Name}' has runs 0 to {plan.Runs.Count - 1}, not {index}.");
        var folder = plan.RunFolder(run);
        if (File.Exists(Path.Combine(folder, "metrics.json")))
        {
            Console.WriteLine($"sweep task {index} ({run.Setting}, seed {run.Seed}): already done");
            return ExitCodes.Success;
        }
        var config = Path.Combine(folder, "run.json");
        if (!File.Exists(config))
            throw new InvalidDataException($"sweep task {index}: {config} is missing (the sweep writes it when it is planned).");
        var checkpoint = Path.Combine(folder, "last.ckpt");
        var resume = File.Exists(checkpoint) ? checkpoint : null;
        Console.WriteLine($"sweep task {index} ({run.Setting}, seed {run.Seed}): {(resume is null ? "starting" : "resuming from last.ckpt")}");
        var settings = Commands.TrainSettings.FromFile(config);
        settings.Validate();
        return Commands.TrainCommand.Train(settings, resume);
    }

    /// <summary>
    /// Runs the given runs on this machine, <paramref name="parallel"/> at a time, each a child process with the cores
    /// divided between them (libtorch's threads: TORCHBINDING_THREADS), printing each run's end and the overall count.
    /// Ctrl+C lets the running ones stop with a checkpoint and starts no more. <paramref name="threadsPerRun"/> overrides the division.
    /// </summary>
    public static int Local(SweepPlan plan, IReadOnlyList<SweepRun> runs, int parallel, int? threadsPerRun = null)
    {
        if (parallel < 1)
            throw new UsageException($"sweep: --parallel must be at least 1, got {parallel}.");
        if (threadsPerRun < 1)
            throw new UsageException($"sweep: --threads must be at least 1, got {threadsPerRun}.");
        var threads = threadsPerRun ?? Math.Max(1, Environment.ProcessorCount / parallel);
        Console.WriteLine($"sweep {plan.Name}: {runs.Count} run(s) here, {parallel} at a time, {threads} thread(s) each");
        var (done, failed, started) = (0, 0, 0);
        var gate = new object();
        using var stopping = new CancellationTokenSource();
        ConsoleCancelEventHandler stop = (_, e) =>
        {
            e.Cancel = true;
            stopping.Cancel();
            Console.Error.WriteLine("sweep: stopping: the running runs write a checkpoint; 'torchbinding sweep resume' continues them");
        };
        Console.CancelKeyPress += stop;
        try
        {
            Parallel.ForEach(runs, new ParallelOptions { MaxDegreeOfParallelism = parallel }, (run, loop) =>
            {
                if (stopping.IsCancellationRequested)
                {
                    loop.Stop();
                    return;
                }
                lock (gate)
                    started++;
                var clock = Stopwatch.StartNew();
                var exit = RunChild(plan, run, threads);
                var metrics = Path.Combine(plan.RunFolder(run), "metrics.json");
                lock (gate)
                {
                    var ok = exit == ExitCodes.Success && File.Exists(metrics);
                    if (ok)
                        done++;
                    else
                        failed++;
                    var outcome = ok ? $"done, {Headline(metrics)}" : exit == ExitCodes.Interrupted ? "interrupted (checkpoint kept)" : $"failed (exit {exit}): see {Path.Combine(run.Folder, "log.txt")}";
                    Console.WriteLine($"  [{done + failed}/{runs.Count}] {run.Setting}, seed {run.Seed}: {outcome} ({clock.Elapsed.TotalSeconds:F0} s); {done} done, {failed} not, {started - done - failed} running");
                }
            });
        }
        finally
        {
            Console.CancelKeyPress -= stop;
        }
        plan.Save(States(plan));
        return failed == 0 && done == runs.Count ? ExitCodes.Success : stopping.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Failure;
    }

    /// <summary>The command that runs this tool again: the apphost, or <c>dotnet</c> with the tool's assembly.</summary>
    public static (string File, IReadOnlyList<string> Prefix) ToolCommand()
    {
        var process = Environment.ProcessPath ?? throw new InvalidOperationException("sweep: this process's path is unknown, so it cannot start its runs.");
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? (process, [typeof(SweepRunner).Assembly.Location])
            : (process, []);
    }

    static int RunChild(SweepPlan plan, SweepRun run, int threads)
    {
        var (file, prefix) = ToolCommand();
        var start = new ProcessStartInfo(file, [.. prefix, "sweep", "task", plan.Folder, run.Index.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["TORCHBINDING_THREADS"] = threads.ToString(CultureInfo.InvariantCulture);
        using var log = new StreamWriter(Path.Combine(plan.RunFolder(run), "log.txt"), append: true) { AutoFlush = true };
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"sweep: could not start {file}.");
        var gate = new object();
        void Write(string? line)
        {
            if (line is not null)
                lock (gate)
                    log.WriteLine(line);
        }
        child.OutputDataReceived += (_, e) => Write(e.Data);
        child.ErrorDataReceived += (_, e) => Write(e.Data);
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        child.WaitForExit();
        return child.ExitCode;
    }

    /// <summary>"test accuracy 95.10 %" (or the first metric) from a run's metrics.json.</summary>
    static string Headline(string metricsPath)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(metricsPath));
        return json.RootElement.TryGetProperty("test_accuracy", out var accuracy) && accuracy.ValueKind == JsonValueKind.Number
            ? $"test accuracy {accuracy.GetDouble().ToString("P2", CultureInfo.InvariantCulture)}"
            : "metrics written";
    }
}
