using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace TorchBinding.Cli.Sweeps;

/// <summary>What a Slurm job array asks for: partition, time limit, CPUs and GPUs per task.</summary>
/// <param name="Partition">The partition (null: the cluster's default).</param>
/// <param name="Time">The time limit per task (Slurm's format, e.g. 01:00:00; null: the partition's).</param>
/// <param name="Cpus">CPUs per task; libtorch gets as many threads.</param>
/// <param name="Gpus">GPUs per task (0: none).</param>
sealed record SlurmSettings(string? Partition, string? Time, int Cpus, int Gpus);

/// <summary>
/// A sweep as a Slurm job array: one task per run, each <c>torchbinding sweep task &lt;sweep&gt; &lt;index&gt;</c>, which
/// resumes its run from last.ckpt when it has one — so a requeued or preempted task carries on (sbatch --requeue) and
/// Slurm's SIGTERM before a cancellation makes the run stop after its current step with a checkpoint.
/// </summary>
static class Slurm
{
    /// <summary>Whether sbatch is on the PATH.</summary>
    public static bool Available => Which("sbatch") is not null;

    /// <summary>The job array's batch script for the given runs.</summary>
    public static string Script(SweepPlan plan, IReadOnlyList<int> indices, SlurmSettings settings)
    {
        if (settings.Cpus < 1)
            throw new UsageException($"sweep: --cpus must be at least 1, got {settings.Cpus}.");
        if (settings.Gpus < 0)
            throw new UsageException($"sweep: --gpus must be 0 or more, got {settings.Gpus}.");
        var (file, prefix) = SweepRunner.ToolCommand();
        var command = string.Join(' ', new[] { file }.Concat(prefix).Concat(["sweep", "task", plan.Folder]).Select(Quote));
        var script = new StringBuilder();
        script.AppendLine("#!/bin/bash");
        script.AppendLine($"# torchbinding sweep {plan.Name}: {indices.Count} run(s) of {plan.Runs.Count}, one array task each (written by torchbinding sweep).");
        script.AppendLine($"#SBATCH --job-name=tb-{plan.Name}");
        script.AppendLine($"#SBATCH --array={ArraySpec(indices)}");
        script.AppendLine($"#SBATCH --output={Path.Combine(plan.Folder, "slurm", "%A_%a.out")}");
        script.AppendLine($"#SBATCH --cpus-per-task={settings.Cpus}");
        if (settings.Gpus > 0)
            script.AppendLine($"#SBATCH --gres=gpu:{settings.Gpus}");
        if (settings.Partition is { } partition)
            script.AppendLine($"#SBATCH --partition={partition}");
        if (settings.Time is { } time)
            script.AppendLine($"#SBATCH --time={time}");
        script.AppendLine("#SBATCH --requeue");
        script.AppendLine("# A task resumes its run from last.ckpt, so requeueing it loses at most the steps since the last checkpoint.");
        script.AppendLine("export TORCHBINDING_THREADS=${SLURM_CPUS_PER_TASK:-1}");
        script.AppendLine($"exec {command} \"$SLURM_ARRAY_TASK_ID\"");
        return script.ToString();
    }

    /// <summary>Writes the script into the sweep folder and, unless <paramref name="dryRun"/>, submits it; returns the script's path and the job id.</summary>
    public static (string Script, string? JobId) Submit(SweepPlan plan, IReadOnlyList<int> indices, SlurmSettings settings, bool dryRun)
    {
        Directory.CreateDirectory(Path.Combine(plan.Folder, "slurm"));
        var path = Path.Combine(plan.Folder, "slurm", $"array-{plan.SlurmJobs.Count + 1}.sbatch");
        Runtime.AtomicFile.WriteAllText(path, Script(plan, indices, settings));
        if (dryRun)
            return (path, null);
        if (!Available)
            throw new UsageException("sweep --slurm: sbatch is not on the PATH (no Slurm here); --dry-run writes the script without submitting it.");
        var (exit, output, error) = Execute("sbatch", ["--parsable", path]);
        if (exit != 0)
            throw new InvalidOperationException($"sbatch refused {path} (exit {exit}): {error.Trim()}");
        var jobId = output.Trim().Split(';')[0];
        if (jobId.Length == 0 || !jobId.All(char.IsAsciiDigit))
            throw new InvalidOperationException($"sbatch answered '{output.Trim()}', not a job id.");
        plan.SlurmJobs.Add(jobId);
        return (path, jobId);
    }

    /// <summary>
    /// Slurm's account of the sweep's array tasks (index → state, e.g. PENDING, RUNNING, COMPLETED, CANCELLED), from
    /// squeue (queued and running) and sacct (ended; where accounting is kept); later jobs win. Empty without Slurm.
    /// </summary>
    public static IReadOnlyDictionary<int, string> TaskStates(IReadOnlyList<string> jobs)
    {
        var states = new Dictionary<int, string>();
        if (jobs.Count == 0 || Which("squeue") is null)
            return states;
        void Read(string text, int job)
        {
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var parts = line.Split(line.Contains('|') ? '|' : ' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length < 2)
                    continue;
                var id = parts[0].Split('_');
                if (id.Length == 2 && id[0] == jobs[job] && int.TryParse(id[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var index))
                    states[index] = parts[1].Split(' ')[0];
            }
        }
        for (var job = 0; job < jobs.Count; job++)
        {
            // Ended tasks first (sacct), then what squeue still holds, which is newer.
            if (Which("sacct") is not null && Execute("sacct", ["-n", "-P", "-X", "-j", jobs[job], "-o", "JobID,State"]) is (0, var ended, _))
                Read(ended, job);
            if (Execute("squeue", ["-h", "-r", "-j", jobs[job], "-o", "%i %T"]) is (0, var queued, _))
                Read(queued, job);
        }
        return states;
    }

    /// <summary>A run's state given Slurm's word for its task and what its folder shows.</summary>
    public static RunState StateOf(string slurmState, RunState fromFolder) => slurmState switch
    {
        "PENDING" or "REQUEUED" or "CONFIGURING" => RunState.Pending,
        "RUNNING" or "COMPLETING" or "SUSPENDED" => RunState.Running,
        "COMPLETED" => fromFolder,
        _ => fromFolder == RunState.Interrupted ? RunState.Interrupted : RunState.Failed,   // FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED
    };

    /// <summary>Cancels the sweep's jobs that are still queued or running.</summary>
    public static void Cancel(IReadOnlyList<string> jobs)
    {
        if (jobs.Count > 0 && Which("scancel") is not null)
            Execute("scancel", [.. jobs]);
    }

    /// <summary>"0-3,5,7-9": the indices as sbatch's --array takes them.</summary>
    public static string ArraySpec(IReadOnlyList<int> indices)
    {
        if (indices.Count == 0)
            throw new UsageException("sweep: no run left to submit.");
        var sorted = indices.Distinct().Order().ToList();
        var parts = new List<string>();
        for (var i = 0; i < sorted.Count;)
        {
            var j = i;
            while (j + 1 < sorted.Count && sorted[j + 1] == sorted[j] + 1)
                j++;
            parts.Add(i == j ? sorted[i].ToString(CultureInfo.InvariantCulture) : $"{sorted[i]}-{sorted[j]}");
            i = j + 1;
        }
        return string.Join(',', parts);
    }

    static string Quote(string word) => word.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '-' or '_' or '+' or '=') ? word : $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";

    static (int Exit, string Output, string Error) Execute(string file, IReadOnlyList<string> arguments)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })
            ?? throw new InvalidOperationException($"could not start {file}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    static string? Which(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program)).FirstOrDefault(File.Exists);
}
