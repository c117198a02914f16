using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchBinding.Cli.Sweeps;

namespace TorchBinding.Cli.Commands;

/// <summary>
/// <c>torchbinding sweep</c>: a grid over <c>train</c>'s settings times seeds, expanded into run folders
/// (<c>&lt;sweep&gt;/&lt;setting&gt;/seed-&lt;n&gt;</c>) and a manifest (<c>sweep.json</c>), run here (<c>--local</c>) or as a
/// Slurm job array (<c>--slurm</c>); <c>status</c>, <c>resume</c> and <c>collect</c> work on the sweep folder.
/// </summary>
static class SweepCommand
{
    public static Command Create()
    {
        var sweep = new Command("sweep", "a grid of train settings times seeds, run here or as a Slurm job array (e.g. sweep --grid lr=1e-3,1e-2 --grid hidden=32,64 --seeds 42,1,2 --data digits --local)");
        var name = new Option<string?>("--name") { Description = "the sweep's name: its folder is runs/NAME (default sweep)" };
        var outFolder = new Option<string?>("--out") { Description = "the sweep folder (default runs/NAME)" };
        var file = new Option<string?>("--file") { Description = "a sweep file: {\"name\": ..., \"base\": {train settings}, \"grid\": {\"lr\": [\"1e-3\", \"1e-2\"]}, \"seeds\": [42, 1, 2]}; options given here add to it" };
        var config = new Option<string?>("--config") { Description = "a train config file whose settings every run shares" };
        var set = new Option<string[]>("--set") { Description = "a setting every run shares, KEY=VALUE (repeatable; e.g. --set data=mnist --set epochs=3)" };
        var grid = new Option<string[]>("--grid") { Description = "a swept setting, KEY=V1,V2,... (repeatable; hidden sizes joined by '+', e.g. hidden=64,128+64)" };
        var seeds = new Option<string?>("--seeds") { Description = "the seeds each setting runs with, comma-separated (default 42)" };
        var execution = new ExecutionOptions();
        foreach (var option in new Option[] { name, outFolder, file, config, set, grid, seeds })
            sweep.Options.Add(option);
        execution.AddTo(sweep);
        sweep.SetAction(parse => Guard.Run(() =>
        {
            var plan = Plan(parse.GetValue(file), parse.GetValue(name), parse.GetValue(outFolder), parse.GetValue(config),
                parse.GetValue(set) ?? [], parse.GetValue(grid) ?? [], parse.GetValue(seeds));
            Console.WriteLine($"sweep {plan.Name}: {plan.Settings.Count} setting(s) × {plan.Seeds.Count} seed(s) = {plan.Runs.Count} run(s) in {plan.Folder}");
            return execution.Execute(parse, plan, plan.Runs, planOnlyHint: true);
        }));

        var folder = new Argument<string>("sweep") { Description = "the sweep folder (with its sweep.json)" };
        var status = new Command("status", "each run's state (from its folder, and Slurm's queue and accounting where present)");
        status.Arguments.Add(folder);
        status.SetAction(parse => Guard.Run(() => Status(SweepPlan.Load(parse.GetValue(folder)!))));

        var resumeFolder = new Argument<string>("sweep") { Description = "the sweep folder" };
        var resume = new Command("resume", "runs (or submits) again what has not finished: interrupted runs continue from their last.ckpt");
        resume.Arguments.Add(resumeFolder);
        var resumeExecution = new ExecutionOptions();
        resumeExecution.AddTo(resume);
        resume.SetAction(parse => Guard.Run(() =>
        {
            var plan = SweepPlan.Load(parse.GetValue(resumeFolder)!);
            var states = SweepRunner.States(plan, Slurm.TaskStates(plan.SlurmJobs));
            var todo = plan.Runs.Where(r => states[r.Index] is RunState.Planned or RunState.Interrupted or RunState.Failed).ToList();
            var busy = plan.Runs.Count(r => states[r.Index] is RunState.Pending or RunState.Running);
            Console.WriteLine($"sweep {plan.Name}: {todo.Count} of {plan.Runs.Count} run(s) to run again ({plan.Runs.Count - todo.Count - busy} done{(busy > 0 ? $", {busy} queued or running under Slurm, left alone" : "")})");
            return todo.Count == 0 ? ExitCodes.Success : resumeExecution.Execute(parse, plan, todo, planOnlyHint: false);
        }));

        var collectFolder = new Argument<string>("sweep") { Description = "the sweep folder" };
        var figure = new Option<string?>("--figure") { Description = "the figure's path (default SWEEP/sweep.png)" };
        var collect = new Command("collect", "one table of every setting's metrics over its seeds (mean, 95 % interval), summary.json and a figure");
        collect.Arguments.Add(collectFolder);
        collect.Options.Add(figure);
        collect.SetAction(parse => Guard.Run(() => Collect(SweepPlan.Load(parse.GetValue(collectFolder)!), parse.GetValue(figure))));

        var taskFolder = new Argument<string>("sweep") { Description = "the sweep folder" };
        var index = new Argument<int>("index") { Description = "the run's index (a Slurm array task id)" };
        var task = new Command("task", "runs one run of a sweep, resuming it from its checkpoint (what each local child and Slurm array task runs)") { Hidden = true };
        task.Arguments.Add(taskFolder);
        task.Arguments.Add(index);
        task.SetAction(parse => Guard.Run(() => SweepRunner.Task(SweepPlan.Load(parse.GetValue(taskFolder)!), parse.GetValue(index))));

        foreach (var subcommand in new[] { status, resume, collect, task })
            sweep.Subcommands.Add(subcommand);
        return sweep;
    }

    /// <summary>Collects a sweep: table, summary.json, figure.</summary>
    public static int Collect(SweepPlan plan, string? figurePath)
    {
        var summaries = SweepSummary.Collect(plan);
        var path = figurePath ?? Path.Combine(plan.Folder, "sweep.png");
        var withResults = SweepSummary.Write(plan, summaries, path);
        var finished = summaries.Sum(s => s.Seeds.Count);
        Console.WriteLine($"sweep {plan.Name}: {finished} of {plan.Runs.Count} run(s) finished in {withResults} of {summaries.Count} setting(s); {Path.Combine(plan.Folder, "summary.json")}{(withResults > 0 ? $", {path}" : "")}");
        return ExitCodes.Success;
    }

    static int Status(SweepPlan plan)
    {
        var states = SweepRunner.States(plan, Slurm.TaskStates(plan.SlurmJobs));
        plan.Save(states);
        var table = Output.Table("#", "setting", "seed", "state", "folder");
        foreach (var run in plan.Runs)
            table.Row(run.Index.ToString(CultureInfo.InvariantCulture), run.Setting, run.Seed.ToString(CultureInfo.InvariantCulture), states[run.Index].ToString().ToLowerInvariant(), run.Folder);
        Output.Console.Write(table);
        var counts = states.Values.GroupBy(s => s).OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key.ToString().ToLowerInvariant()}");
        Console.WriteLine($"sweep {plan.Name}: {string.Join(", ", counts)} of {plan.Runs.Count}{(plan.SlurmJobs.Count > 0 ? $"; Slurm job(s) {string.Join(", ", plan.SlurmJobs)}" : "")}");
        return ExitCodes.Success;
    }

    /// <summary>The plan from a sweep file and the options; a sweep folder that exists must hold the same plan.</summary>
    static SweepPlan Plan(string? file, string? name, string? outFolder, string? configPath, IReadOnlyList<string> sets, IReadOnlyList<string> grids, string? seedText)
    {
        JsonObject baseSettings = [];
        var grid = new List<(string Key, IReadOnlyList<string> Values)>();
        IReadOnlyList<int>? seeds = null;
        if (file is not null)
        {
            if (!File.Exists(file))
                throw new UsageException($"sweep --file: '{file}' does not exist.");
            JsonObject json;
            try
            {
                json = JsonNode.Parse(File.ReadAllText(file)) as JsonObject ?? throw new UsageException($"sweep --file: '{file}' is not a JSON object.");
            }
            catch (JsonException e)
            {
                throw new UsageException($"sweep --file: '{file}' is not valid JSON ({e.Message}).");
            }
            foreach (var (key, node) in json)
            {
                switch (key)
                {
                    case "name":
                        name ??= node?.GetValue<string>();
                        break;
                    case "base":
                        baseSettings = node as JsonObject is { } b ? (JsonObject)b.DeepClone() : throw new UsageException($"sweep --file: '{file}': 'base' must be an object of train settings.");
                        break;
                    case "grid":
                        foreach (var (option, values) in node as JsonObject ?? throw new UsageException($"sweep --file: '{file}': 'grid' must be an object of lists."))
                            grid.Add((option, values is JsonArray array ? [.. array.Select(v => v is JsonValue value ? value.ToString() : throw new UsageException($"sweep --file: '{file}': grid '{option}' must list plain values."))]
                                : throw new UsageException($"sweep --file: '{file}': grid '{option}' must be a list.")));
                        break;
                    case "seeds":
                        seeds = node is JsonArray list ? [.. list.Select(s => s is JsonValue v && v.TryGetValue<int>(out var seed) ? seed : throw new UsageException($"sweep --file: '{file}': 'seeds' must list whole numbers."))]
                            : throw new UsageException($"sweep --file: '{file}': 'seeds' must be a list.");
                        break;
                    default:
                        throw new UsageException($"sweep --file: '{file}' has the unknown key '{key}'; the keys are: name, base, grid, seeds.");
                }
            }
        }
        if (configPath is not null)
        {
            foreach (var (key, value) in TrainSettings.FromFile(configPath).ToJson())
                baseSettings[key] = value?.DeepClone();
        }
        foreach (var pair in sets)
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0)
                throw new UsageException($"sweep: --set '{pair}' is not KEY=VALUE.");
            var key = pair[..equals].Trim();
            if (!TrainSettings.Keys.Contains(key))
                throw new UsageException($"sweep: --set '{key}' is not a setting of train; the settings are: {string.Join(", ", TrainSettings.Keys)}.");
            baseSettings[key] = TrainSettings.ValueNode(key, pair[(equals + 1)..].Trim());
        }
        grid.AddRange(grids.Select(SweepPlan.ParseGrid));
        foreach (var (key, _) in grid)
            baseSettings.Remove(key);                                   // the grid's values win over the base's
        if (seedText is not null)
            seeds = SweepPlan.ParseSeeds(seedText);
        name ??= "sweep";
        if (name.Length == 0 || name.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')))
            throw new UsageException($"sweep: --name '{name}' must be letters, digits, '-', '_' or '.'.");
        var plan = SweepPlan.Create(outFolder ?? Path.Combine("runs", name), baseSettings, grid, seeds ?? [42]);
        if (File.Exists(Path.Combine(plan.Folder, SweepPlan.ManifestName)))
        {
            var existing = SweepPlan.Load(plan.Folder);
            if (!existing.SameRunsAs(plan))
                throw new UsageException($"sweep: '{plan.Folder}' already holds another sweep; choose another --name or --out (or 'sweep resume' it).");
            return existing;                                            // the same sweep again: its runs carry on
        }
        plan.Prepare();
        return plan;
    }

    /// <summary>The options that say where runs go: --local [--parallel N] or --slurm [--partition --time --cpus --gpus --dry-run].</summary>
    sealed class ExecutionOptions
    {
        readonly Option<bool> _local = new("--local") { Description = "run here, --parallel at a time" };
        readonly Option<int> _parallel = new("--parallel") { Description = "local runs at a time; the cores are divided between them (default 1)", DefaultValueFactory = _ => 1 };
        readonly Option<int?> _threads = new("--threads") { Description = "libtorch threads per local run (default: the cores divided by --parallel)" };
        readonly Option<bool> _slurm = new("--slurm") { Description = "submit a Slurm job array, one task per run" };
        readonly Option<string?> _partition = new("--partition") { Description = "Slurm partition (default: the cluster's)" };
        readonly Option<string?> _time = new("--time") { Description = "Slurm time limit per run, e.g. 01:00:00" };
        readonly Option<int> _cpus = new("--cpus") { Description = "CPUs per Slurm task, also libtorch's threads (default 1)", DefaultValueFactory = _ => 1 };
        readonly Option<int> _gpus = new("--gpus") { Description = "GPUs per Slurm task (default 0)", DefaultValueFactory = _ => 0 };
        readonly Option<bool> _dryRun = new("--dry-run") { Description = "with --slurm: write the batch script, submit nothing" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { _local, _parallel, _threads, _slurm, _partition, _time, _cpus, _gpus, _dryRun })
                command.Options.Add(option);
        }

        public int Execute(ParseResult parse, SweepPlan plan, IReadOnlyList<SweepRun> runs, bool planOnlyHint)
        {
            var (local, slurm) = (parse.GetValue(_local), parse.GetValue(_slurm));
            if (local && slurm)
                throw new UsageException("sweep: --local and --slurm exclude each other.");
            if (local)
                return SweepRunner.Local(plan, runs, parse.GetValue(_parallel), parse.GetValue(_threads));
            if (slurm)
            {
                var settings = new SlurmSettings(parse.GetValue(_partition), parse.GetValue(_time), parse.GetValue(_cpus), parse.GetValue(_gpus));
                var dryRun = parse.GetValue(_dryRun);
                var (script, job) = Slurm.Submit(plan, [.. runs.Select(r => r.Index)], settings, dryRun);
                plan.Save(SweepRunner.States(plan));
                Console.WriteLine(job is null
                    ? $"sweep {plan.Name}: batch script written to {script} (--dry-run: not submitted; sbatch {script} submits it)"
                    : $"sweep {plan.Name}: submitted job array {job} ({runs.Count} task(s)); torchbinding sweep status {plan.Folder} follows it");
                return ExitCodes.Success;
            }
            if (planOnlyHint)
                Console.WriteLine($"sweep {plan.Name}: planned (each run's run.json written); run it with --local or --slurm, or 'torchbinding sweep resume {plan.Folder} --local'");
            else
                throw new UsageException("sweep resume: say where: --local or --slurm.");
            return ExitCodes.Success;
        }
    }
}
