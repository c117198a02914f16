using System.Globalization;
using System.Text.Json.Nodes;

namespace TorchBinding.Usage.Tests;

/// <summary><c>torchbinding sweep</c>: planning, local runs, collecting, resuming, and the Slurm batch script.</summary>
public class SweepTests
{
    static readonly string[] Grid = ["--grid", "lr=1e-3,1e-2", "--grid", "hidden=16,32", "--set", "data=digits", "--set", "epochs=2", "--set", "device=cpu"];

    static JsonObject Json(Cli cli, string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(cli.PathOf(path)))!;

    [Test]
    public void A_grid_is_planned_into_one_folder_per_setting_and_seed_with_its_config_and_a_manifest()
    {
        using var cli = new Cli();
        var plan = cli.Run(["sweep", "--name", "g", .. Grid, "--seeds", "42,1"]);
        Assert.That(plan.ExitCode, Is.Zero, plan.ToString());
        Assert.That(plan.Output, Does.Contain("sweep g: 4 setting(s) × 2 seed(s) = 8 run(s)"));
        var manifest = Json(cli, "runs/g/sweep.json");
        var runs = (JsonArray)manifest["runs"]!;
        Assert.Multiple(() =>
        {
            Assert.That(runs.Select(r => r!["folder"]!.GetValue<string>()), Is.EqualTo(new[]
            {
                "lr-1e-3_hidden-16/seed-42", "lr-1e-3_hidden-16/seed-1", "lr-1e-3_hidden-32/seed-42", "lr-1e-3_hidden-32/seed-1",
                "lr-1e-2_hidden-16/seed-42", "lr-1e-2_hidden-16/seed-1", "lr-1e-2_hidden-32/seed-42", "lr-1e-2_hidden-32/seed-1",
            }), "settings in grid order, the last option fastest, every seed of each");
            Assert.That(runs.Select(r => r!["state"]!.GetValue<string>()), Is.All.EqualTo("planned"));
            Assert.That(runs[2]!["setting"]!.GetValue<string>(), Is.EqualTo("lr=1e-3 hidden=32"));
            var config = Json(cli, "runs/g/lr-1e-2_hidden-32/seed-1/run.json");
            Assert.That(config["lr"]!.GetValue<double>(), Is.EqualTo(0.01));
            Assert.That(config["hidden"]!.AsArray().Select(h => h!.GetValue<int>()), Is.EqualTo(new[] { 32 }));
            Assert.That((config["seed"]!.GetValue<int>(), config["epochs"]!.GetValue<int>(), config["data"]!.GetValue<string>()), Is.EqualTo((1, 2, "digits")));
            Assert.That(config["out"]!.GetValue<string>(), Is.EqualTo(cli.PathOf("runs/g/lr-1e-2_hidden-32/seed-1")));
        });

        // The same command again finds the same sweep; another plan in its folder is refused.
        Assert.That(cli.Run(["sweep", "--name", "g", .. Grid, "--seeds", "42,1"]).ExitCode, Is.Zero);
        var other = cli.Run(["sweep", "--name", "g", .. Grid, "--seeds", "42"]);
        Assert.That(other.ExitCode, Is.EqualTo(2), other.ToString());
        Assert.That(other.Error, Does.Contain($"torchbinding: sweep: '{cli.PathOf("runs/g")}' already holds another sweep; choose another --name or --out (or 'sweep resume' it)."));
    }

    [TestCase(new[] { "--grid", "lr=1e-3", "--grid", "seed=1,2" }, "sweep: 'seed' cannot be swept: use --seeds.")]
    [TestCase(new[] { "--grid", "lrate=1,2" }, "sweep: --grid 'lrate' is not a setting of train")]
    [TestCase(new[] { "--grid", "lr=1e-3,fast" }, "sweep setting 'lr=fast': 'lr' must be a number.")]
    [TestCase(new[] { "--grid", "model=mlp,resnet-9000" }, "Unknown model 'resnet-9000'")]
    [TestCase(new[] { "--grid", "lr=1e-3,1e-3" }, "sweep: --grid lr names a value twice.")]
    [TestCase(new[] { "--set", "epochs=2" }, "sweep: give at least one --grid KEY=V1,V2,...")]
    [TestCase(new[] { "--grid", "lr=1e-3", "--local", "--slurm" }, "sweep: --local and --slurm exclude each other.")]
    public void A_bad_sweep_is_refused_before_anything_is_written(string[] arguments, string message)
    {
        using var cli = new Cli();
        var result = cli.Run(["sweep", "--name", "bad", .. arguments]);
        Assert.That(result.ExitCode, Is.EqualTo(2), result.ToString());
        Assert.That(result.Error, Does.Contain(message));
        if (!arguments.Contains("--slurm"))
            Assert.That(Directory.Exists(cli.PathOf("runs/bad")), Is.False, "nothing written");
    }

    [Test]
    public void A_local_sweep_runs_every_run_as_train_would_and_collects_each_setting_over_its_seeds()
    {
        using var cli = new Cli();
        var swept = cli.Run(["sweep", "--name", "g", .. Grid, "--seeds", "42,1", "--local", "--parallel", "2"]);
        Assert.That(swept.ExitCode, Is.Zero, swept.ToString());
        Assert.That(swept.Output, Does.Contain($"8 run(s) here, 2 at a time, {Math.Max(1, Environment.ProcessorCount / 2)} thread(s) each"));
        Assert.That(swept.Output, Does.Contain("[8/8]").And.Contain("8 done, 0 not"));

        // A run of the sweep is the same training as train with its run.json: the same weights, bit for bit (with as
        // many threads as the sweep gave each run).
        cli.Environment["TORCHBINDING_THREADS"] = Math.Max(1, Environment.ProcessorCount / 2).ToString(CultureInfo.InvariantCulture);
        var alone = cli.Run("train", "--config", "runs/g/lr-1e-2_hidden-32/seed-1/run.json", "--out", "alone");
        Assert.That(alone.ExitCode, Is.Zero, alone.ToString());
        Assert.That(File.ReadAllBytes(cli.PathOf("alone/model.safetensors")), Is.EqualTo(File.ReadAllBytes(cli.PathOf("runs/g/lr-1e-2_hidden-32/seed-1/model.safetensors"))));

        var collected = cli.Run("sweep", "collect", "runs/g");
        Assert.That(collected.ExitCode, Is.Zero, collected.ToString());
        var summary = Json(cli, "runs/g/summary.json");
        var settings = summary["settings"]!.AsArray();
        Assert.That(settings, Has.Count.EqualTo(4));
        foreach (var setting in settings)
        {
            var name = setting!["setting"]!.GetValue<string>();
            var folder = $"runs/g/lr-{setting["options"]!["lr"]!.GetValue<string>()}_hidden-{setting["options"]!["hidden"]!.GetValue<string>()}";
            var accuracies = new[] { 42, 1 }.Select(seed => cli.Metrics($"{folder}/seed-{seed}")["test_accuracy"]).ToArray();
            var statistic = setting["metrics"]!["test_accuracy"]!;
            Assert.Multiple(() =>
            {
                Assert.That(setting["seeds"]!.AsArray().Select(s => s!.GetValue<int>()), Is.EqualTo(new[] { 42, 1 }), name);
                Assert.That(statistic["values"]!.AsArray().Select(v => v!.GetValue<double>()), Is.EqualTo(accuracies), name);
                Assert.That(statistic["mean"]!.GetValue<double>(), Is.EqualTo(accuracies.Average()).Within(1e-12), name);
                Assert.That(statistic["low"]!.GetValue<double>(), Is.InRange(accuracies.Min(), accuracies.Average()), name);
                Assert.That(statistic["high"]!.GetValue<double>(), Is.InRange(accuracies.Average(), accuracies.Max()), name);
            });
        }
        // The best setting is the one with the highest mean validation accuracy, never chosen on the test set.
        var best = settings.MaxBy(s => s!["metrics"]!["val_accuracy"]!["mean"]!.GetValue<double>())!["setting"]!.GetValue<string>();
        Assert.That((summary["selected_by"]!.GetValue<string>(), summary["best"]!.GetValue<string>()), Is.EqualTo(("val_accuracy", best)));
        Assert.That(collected.Output, Does.Contain($"best setting by mean val_accuracy (highest; the test set chooses nothing): {best}"));
        Cli.AssertPng(cli.PathOf("runs/g/sweep.png"));

        // runs compare over the sweep folder groups it the same way.
        var compared = cli.Run("runs", "compare", "runs/g", "--figure", "compare.png");
        Assert.That(compared.ExitCode, Is.Zero, compared.ToString());
        Assert.That(compared.Output, Does.Contain("lr=1e-2 hidden=32").And.Contain("best setting by mean val_accuracy"));
        Cli.AssertPng(cli.PathOf("compare.png"));
        var status = cli.Run("sweep", "status", "runs/g");
        Assert.That(status.Output, Does.Contain("sweep g: 8 done of 8"));
    }

    [Test]
    public void An_interrupted_run_resumes_from_its_checkpoint_to_the_same_weights_as_an_uninterrupted_one()
    {
        using var cli = new Cli();
        // 60 epochs of 81 steps of 16 digits (about 0.1 s each on an idle 2-core machine): Ctrl+C after the first
        // epoch lands mid-run.
        string[] grid = ["--grid", "lr=1e-3", "--set", "data=digits", "--set", "epochs=60", "--set", "batch-size=16", "--set", "device=cpu", "--seeds", "7"];
        Assert.That(cli.Run(["sweep", "--name", "cut", .. grid]).ExitCode, Is.Zero);
        var interrupted = cli.RunAndInterrupt("epoch   1/60", TimeSpan.FromMilliseconds(300), "sweep", "task", "runs/cut", "0");
        Assert.That(interrupted.ExitCode, Is.EqualTo(130), interrupted.ToString());
        Assert.That(File.Exists(cli.PathOf("runs/cut/lr-1e-3/seed-7/last.ckpt")), Is.True);
        Assert.That(cli.Run("sweep", "status", "runs/cut").Output, Does.Contain("1 interrupted of 1"));

        // One thread everywhere (the interrupted task had one): other thread counts may round sums differently.
        var resumed = cli.Run("sweep", "resume", "runs/cut", "--local", "--threads", "1");
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        Assert.That(resumed.Output, Does.Contain("1 of 1 run(s) to run again"));
        Assert.That(File.ReadAllText(cli.PathOf("runs/cut/lr-1e-3/seed-7/log.txt")), Does.Contain("resuming from last.ckpt"));

        Assert.That(cli.Run(["sweep", "--name", "whole", .. grid, "--local", "--threads", "1"]).ExitCode, Is.Zero);
        Assert.That(File.ReadAllBytes(cli.PathOf("runs/cut/lr-1e-3/seed-7/model.safetensors")),
            Is.EqualTo(File.ReadAllBytes(cli.PathOf("runs/whole/lr-1e-3/seed-7/model.safetensors"))), "resumed = uninterrupted, bit for bit");
        var (cut, whole) = (cli.Metrics("runs/cut/lr-1e-3/seed-7"), cli.Metrics("runs/whole/lr-1e-3/seed-7"));
        foreach (var key in new[] { "test_accuracy", "test_loss", "train_loss", "val_accuracy", "epochs" })
            Assert.That(cut[key], Is.EqualTo(whole[key]), key);
        // A finished sweep has nothing left to resume.
        Assert.That(cli.Run("sweep", "resume", "runs/cut", "--local").Output, Does.Contain("0 of 1 run(s) to run again"));
    }

    [Test]
    public void A_slurm_dry_run_writes_a_requeue_safe_job_array_with_one_task_per_run()
    {
        using var cli = new Cli();
        var result = cli.Run(["sweep", "--name", "g", .. Grid, "--seeds", "42,1", "--slurm", "--dry-run", "--partition", "short", "--time", "00:10:00", "--cpus", "4", "--gpus", "1"]);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        var script = File.ReadAllLines(cli.PathOf("runs/g/slurm/array-1.sbatch"));
        Assert.Multiple(() =>
        {
            Assert.That(script[0], Is.EqualTo("#!/bin/bash"));
            Assert.That(script, Does.Contain("#SBATCH --array=0-7"));
            Assert.That(script, Does.Contain("#SBATCH --cpus-per-task=4"));
            Assert.That(script, Does.Contain("#SBATCH --gres=gpu:1"));
            Assert.That(script, Does.Contain("#SBATCH --partition=short"));
            Assert.That(script, Does.Contain("#SBATCH --time=00:10:00"));
            Assert.That(script, Does.Contain("#SBATCH --requeue"));
            Assert.That(script, Does.Contain($"#SBATCH --output={cli.PathOf("runs/g/slurm/%A_%a.out")}"));
            Assert.That(script, Does.Contain("export TORCHBINDING_THREADS=${SLURM_CPUS_PER_TASK:-1}"));
            Assert.That(script[^1], Does.EndWith($"{Cli.Assembly} sweep task {cli.PathOf("runs/g")} \"$SLURM_ARRAY_TASK_ID\""));
            Assert.That(result.Output, Does.Contain("--dry-run: not submitted"));
        });
    }

    // ---- Against a real Slurm (Debian's slurm-wlm and munge; SlurmCluster) ----

    /// <summary>A command that reaches the test cluster.</summary>
    static Cli CliOf(SlurmCluster slurm)
    {
        var cli = new Cli();
        foreach (var (key, value) in slurm.Environment)
            cli.Environment[key] = value;
        return cli;
    }

    static string JobOf(TestSupport.ProcessResult submitted)
    {
        var line = submitted.Output.Split('\n').Single(l => l.Contains("submitted job array ", StringComparison.Ordinal));
        return line.Split("submitted job array ")[1].Split(' ')[0];
    }

    [Test]
    public void A_sweep_run_as_a_slurm_job_array_collects_the_same_table_as_the_same_sweep_run_here()
    {
        using var slurm = SlurmCluster.Start();
        using var cli = CliOf(slurm);
        var here = cli.Run(["sweep", "--name", "here", .. Grid, "--seeds", "42", "--local", "--threads", "1"]);
        Assert.That(here.ExitCode, Is.Zero, here.ToString());

        var submitted = cli.Run(["sweep", "--name", "there", .. Grid, "--seeds", "42", "--slurm", "--cpus", "1"]);
        Assert.That(submitted.ExitCode, Is.Zero, submitted.ToString());
        var job = JobOf(submitted);
        slurm.WaitForJob(job, TimeSpan.FromMinutes(15));
        var status = cli.Run("sweep", "status", "runs/there");
        Assert.That(status.Output, Does.Contain($"sweep there: 4 done of 4; Slurm job(s) {job}"), $"{status}\n{slurm.Logs()}");
        Assert.That(File.ReadAllText(cli.PathOf($"runs/there/slurm/{job}_0.out")), Does.Contain("sweep task 0 (lr=1e-3 hidden=16, seed 42): starting"));

        Assert.That(cli.Run("sweep", "collect", "runs/here").ExitCode, Is.Zero);
        Assert.That(cli.Run("sweep", "collect", "runs/there").ExitCode, Is.Zero);
        var (local, cluster) = (Json(cli, "runs/here/summary.json"), Json(cli, "runs/there/summary.json"));
        Assert.That(cluster["best"]!.GetValue<string>(), Is.EqualTo(local["best"]!.GetValue<string>()));
        var settings = local["settings"]!.AsArray().Zip(cluster["settings"]!.AsArray()).ToList();
        Assert.That(settings, Has.Count.EqualTo(4));
        foreach (var (a, b) in settings)
        {
            Assert.That(b!["setting"]!.GetValue<string>(), Is.EqualTo(a!["setting"]!.GetValue<string>()));
            // Fixed seeds, one thread each: equal, not merely close (the seconds differ, so they are left out).
            foreach (var metric in new[] { "test_accuracy", "test_loss", "val_accuracy", "train_loss", "epochs" })
                Assert.That(b["metrics"]![metric]!["mean"]!.GetValue<double>(), Is.EqualTo(a["metrics"]![metric]!["mean"]!.GetValue<double>()), $"{a["setting"]} {metric}");
        }
    }

    [Test]
    public void A_slurm_task_cancelled_mid_run_resumes_to_the_same_weights_as_an_uninterrupted_run()
    {
        using var slurm = SlurmCluster.Start();
        using var cli = CliOf(slurm);
        // 60 epochs of about 0.1 s each: the cancellation, after the second, lands mid-run.
        string[] grid = ["--grid", "lr=1e-3", "--set", "data=digits", "--set", "epochs=60", "--set", "batch-size=16", "--set", "device=cpu", "--seeds", "7"];
        var submitted = cli.Run(["sweep", "--name", "cut", .. grid, "--slurm", "--cpus", "1"]);
        Assert.That(submitted.ExitCode, Is.Zero, submitted.ToString());
        var job = JobOf(submitted);
        var log = cli.PathOf($"runs/cut/slurm/{job}_0.out");
        SlurmCluster.WaitFor(() => File.Exists(log) && File.ReadAllText(log).Contains("epoch   2/60", StringComparison.Ordinal), TimeSpan.FromMinutes(10), $"the task's second epoch ({slurm.Logs()})");

        // scancel sends SIGTERM: the run stops after its step with a checkpoint.
        Assert.That(slurm.Command("/usr/bin/scancel", job).ExitCode, Is.Zero);
        slurm.WaitForJob(job, TimeSpan.FromMinutes(10));
        Assert.That(File.ReadAllText(log), Does.Contain("terminated: stopping after the current step with a checkpoint"));
        Assert.That(File.Exists(cli.PathOf("runs/cut/lr-1e-3/seed-7/metrics.json")), Is.False, "it did not finish");
        Assert.That(cli.Run("sweep", "status", "runs/cut").Output, Does.Contain("1 interrupted of 1"));

        var resumed = cli.Run("sweep", "resume", "runs/cut", "--slurm", "--cpus", "1");
        Assert.That(resumed.ExitCode, Is.Zero, resumed.ToString());
        var second = JobOf(resumed);
        slurm.WaitForJob(second, TimeSpan.FromMinutes(10));
        Assert.That(File.ReadAllText(cli.PathOf($"runs/cut/slurm/{second}_0.out")), Does.Contain("resuming from last.ckpt"));
        Assert.That(cli.Run("sweep", "status", "runs/cut").Output, Does.Contain("1 done of 1"));

        Assert.That(cli.Run(["sweep", "--name", "whole", .. grid, "--local", "--threads", "1"]).ExitCode, Is.Zero);
        Assert.That(File.ReadAllBytes(cli.PathOf("runs/cut/lr-1e-3/seed-7/model.safetensors")),
            Is.EqualTo(File.ReadAllBytes(cli.PathOf("runs/whole/lr-1e-3/seed-7/model.safetensors"))), "cancelled and resumed = uninterrupted, bit for bit");
    }
}
