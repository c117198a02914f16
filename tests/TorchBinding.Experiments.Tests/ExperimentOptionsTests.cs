using System.Text.Json;
using TorchBinding.Data;
using TorchBinding.Experiments;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Experiments.Tests;

public class ExperimentOptionsTests
{
    static readonly ExtraOption[] Extras = [new("epochs", "training epochs", "5"), new("lr", "learning rate")];

    [Test]
    public void Common_and_extra_options_parse_with_defaults()
    {
        var defaults = ExperimentOptions.Parse([], "demo", Extras);
        var given = ExperimentOptions.Parse(["--out", "/tmp/x", "--device", "cuda:1", "--seed", "7", "--fast", "--epochs", "9", "--lr", "0.5"], "demo", Extras);
        Assert.Multiple(() =>
        {
            Assert.That(defaults.OutputDirectory, Is.EqualTo(Path.Combine("runs", "demo")));
            Assert.That(defaults.Device, Is.EqualTo(new DeviceRequest(DeviceKind.Auto)));
            Assert.That(defaults.Seed, Is.EqualTo(42));
            Assert.That(defaults.Fast, Is.False);
            Assert.That(defaults.GetInt("epochs"), Is.EqualTo(5));
            Assert.That(() => defaults.GetDouble("lr"), Throws.ArgumentException.With.Message.Contain("--lr"));
            Assert.That(given.OutputDirectory, Is.EqualTo("/tmp/x"));
            Assert.That(given.Device, Is.EqualTo(new DeviceRequest(DeviceKind.Cuda, 1)));
            Assert.That(given.Seed, Is.EqualTo(7));
            Assert.That(given.Fast, Is.True);
            Assert.That(given.GetInt("epochs"), Is.EqualTo(9));
            Assert.That(given.GetDouble("lr"), Is.EqualTo(0.5));
        });
    }

    [Test]
    public void Seed_lists_parse_fall_back_to_the_run_seed_and_refuse_what_is_not_a_list_of_distinct_seeds()
    {
        ExtraOption[] extras = [new("seeds", "seeds"), new("repeats", "seeds with a default", "42,1,2")];
        Assert.Multiple(() =>
        {
            Assert.That(ExperimentOptions.Parse(["--seeds", "7, 8,9"], "demo", extras).GetSeeds("seeds", 42), Is.EqualTo(new[] { 7, 8, 9 }));
            Assert.That(ExperimentOptions.Parse([], "demo", extras).GetSeeds("seeds", 5), Is.EqualTo(new[] { 5 }));
            Assert.That(ExperimentOptions.Parse([], "demo", extras).GetSeeds("repeats", 5), Is.EqualTo(new[] { 42, 1, 2 }));
            Assert.That(() => ExperimentOptions.Parse(["--seeds", "1,x"], "demo", extras).GetSeeds("seeds", 42), Throws.ArgumentException.With.Message.EqualTo("--seeds '1,x': 'x' is not a whole number."));
            Assert.That(() => ExperimentOptions.Parse(["--seeds", "3,3"], "demo", extras).GetSeeds("seeds", 42), Throws.ArgumentException.With.Message.Contain("names a seed twice"));
            Assert.That(() => ExperimentOptions.Parse(["--seeds", ","], "demo", extras).GetSeeds("seeds", 42), Throws.ArgumentException.With.Message.Contain("names no seed"));
        });
    }

    [Test]
    public void Flags_take_no_value_and_default_to_false()
    {
        ExtraOption[] extras = [new("reuse-model", "reuse one model", IsFlag: true), new("epochs", "training epochs", "5")];
        var absent = ExperimentOptions.Parse(["--epochs", "3"], "demo", extras);
        var given = ExperimentOptions.Parse(["--reuse-model", "--epochs", "3"], "demo", extras);
        Assert.Multiple(() =>
        {
            Assert.That(absent.GetFlag("reuse-model"), Is.False);
            Assert.That(given.GetFlag("reuse-model"), Is.True);
            Assert.That(given.GetInt("epochs"), Is.EqualTo(3), "the flag did not swallow the next option");
            Assert.That(ExperimentOptions.Usage("demo", extras), Does.Contain("[--reuse-model] [--epochs VALUE]"));
        });
    }

    [Test]
    public void Fast_defaults_apply_under_fast_unless_the_command_line_names_the_option()
    {
        ExtraOption[] extras = [new("epochs", "training epochs", "30", FastDefault: "15"), new("lr", "learning rate", "0.001"), new("images", "images", FastDefault: "800")];
        var full = ExperimentOptions.Parse([], "demo", extras);
        var fast = ExperimentOptions.Parse(["--fast"], "demo", extras);
        var fastGiven = ExperimentOptions.Parse(["--fast", "--epochs", "9"], "demo", extras);
        var givenFast = ExperimentOptions.Parse(["--epochs", "9", "--fast"], "demo", extras);
        Assert.Multiple(() =>
        {
            Assert.That(full.GetInt("epochs"), Is.EqualTo(30));
            Assert.That(full.GetDouble("lr"), Is.EqualTo(0.001));
            Assert.That(() => full.GetInt("images"), Throws.ArgumentException.With.Message.Contain("--images"), "no full-mode default");
            Assert.That(fast.GetInt("epochs"), Is.EqualTo(15));
            Assert.That(fast.GetDouble("lr"), Is.EqualTo(0.001), "an option without a fast default keeps its default under --fast");
            Assert.That(fast.GetInt("images"), Is.EqualTo(800));
            Assert.That(fastGiven.GetInt("epochs"), Is.EqualTo(9), "the command line wins over the fast default");
            Assert.That(givenFast.GetInt("epochs"), Is.EqualTo(9), "wherever --fast stands");
            Assert.That(ExperimentOptions.Usage("demo", extras), Does.Contain("training epochs (default 30; --fast: 15)").And.Contain("learning rate (default 0.001)").And.Contain("images (--fast: 800)"));
        });
    }

    [Test]
    public void A_flag_has_no_fast_default()
    {
        Assert.That(() => ExperimentOptions.Parse([], "demo", [new ExtraOption("reuse-model", "reuse one model", IsFlag: true, FastDefault: "true")]),
            Throws.ArgumentException.With.Message.Contain("--reuse-model is a flag"));
    }

    [Test]
    public void The_runs_trainer_options_carry_its_seed()
    {
        using var folder = TestSupport.TemporaryFolder();
        var run = ExperimentRun.Start(ExperimentOptions.Parse(["--out", folder.Path, "--device", "cpu", "--seed", "7"], "demo"), "a test run");
        var options = run.TrainerOptions with { Epochs = 3, BatchSize = 16 };
        using var model = TorchSharp.torch.nn.Linear(2, 1);
        var trainer = new Trainer(model, (o, y) => TorchSharp.torch.nn.functional.mse_loss(o, y), Optim.Sgd(0.1), options);
        Assert.Multiple(() =>
        {
            Assert.That(run.TrainerOptions.Seed, Is.EqualTo(7));
            Assert.That(run.TrainerOptions with { Seed = 1 }, Has.Property(nameof(TrainerOptions.Seed)).EqualTo(1), "a loop over seeds names its own");
            Assert.That(trainer.Options.Seed, Is.EqualTo(7));
            Assert.That((trainer.Options.Epochs, trainer.Options.BatchSize), Is.EqualTo((3, 16)), "the rest is set with with");
            Assert.That((run.TrainerOptions.Epochs, run.TrainerOptions.BatchSize, run.TrainerOptions.Shuffle), Is.EqualTo((new TrainerOptions().Epochs, new TrainerOptions().BatchSize, true)), "otherwise the trainer's defaults");
        });
    }

    [TestCase(new[] { "--bogus" }, "Unknown option '--bogus'")]
    [TestCase(new[] { "--seed", "x" }, "--seed 'x' is not a whole number")]
    [TestCase(new[] { "--device", "tpu" }, "auto, cpu, cuda, cuda:N")]
    [TestCase(new[] { "--out" }, "--out needs a value")]
    [TestCase(new[] { "--inference-precision", "fp16" }, "--inference-precision 'fp16' is not one of auto, float32, bf16")]
    public void Bad_command_lines_are_explained_with_the_usage(string[] args, string message)
    {
        Assert.That(() => ExperimentOptions.Parse(args, "demo", Extras),
            Throws.ArgumentException.With.Message.Contain(message).And.Message.Contain("usage: demo"));
    }

    [Test]
    public void Finish_writes_a_flat_snake_case_metrics_file_with_seconds()
    {
        using var folder = TestSupport.TemporaryFolder();
        var run = ExperimentRun.Start(ExperimentOptions.Parse(["--out", folder.Path, "--device", "cpu"], "demo"), "a test run");
        run.Metric("test_accuracy", 0.5);
        run.Metric("diverged_loss", double.NaN);
        Assert.That(() => run.Metric("TestAccuracy", 1), Throws.ArgumentException.With.Message.Contain("snake_case"));
        run.Finish("done");

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "metrics.json")));
        var properties = json.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        Assert.Multiple(() =>
        {
            Assert.That(properties.Keys, Is.EquivalentTo(new[] { "test_accuracy", "diverged_loss", "seconds" }));
            Assert.That(File.Exists(Path.Combine(folder.Path, "profile.json")) && File.Exists(Path.Combine(folder.Path, "profile.txt")), Is.True, "every run is profiled");
            Assert.That(properties["test_accuracy"].GetDouble(), Is.EqualTo(0.5));
            Assert.That(properties["diverged_loss"].ValueKind, Is.EqualTo(JsonValueKind.Null));
            Assert.That(properties["seconds"].GetDouble(), Is.GreaterThan(0));
        });
    }

    [Test]
    public void Finish_describes_where_the_run_came_from_in_provenance_json()
    {
        using var folder = TestSupport.TemporaryFolder();
        ExtraOption[] extras = [new("seeds", "seeds", "42,1,2"), new("epochs", "epochs", "5", FastDefault: "1")];
        var run = ExperimentRun.Start(ExperimentOptions.Parse(["--out", folder.Path, "--device", "cpu", "--epochs", "3"], "demo", extras), "a test run");
        run.Finish("demo: 3 epochs");

        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder.Path, "provenance.json")));
        var root = json.RootElement;
        Assert.Multiple(() =>
        {
            Assert.That(root.GetProperty("name").GetString(), Is.EqualTo("demo"));
            Assert.That(root.GetProperty("arguments").EnumerateArray().Select(a => a.GetString()), Is.EqualTo(new[] { "--out", folder.Path, "--device", "cpu", "--epochs", "3" }));
            Assert.That(root.GetProperty("options").GetProperty("epochs").GetString(), Is.EqualTo("3"));
            Assert.That(root.GetProperty("options").GetProperty("seeds").GetString(), Is.EqualTo("42,1,2"), "defaults are recorded too");
            Assert.That(root.GetProperty("summary").GetString(), Is.EqualTo("demo: 3 epochs"));
            Assert.That(root.GetProperty("seed").GetInt32(), Is.EqualTo(42));
            Assert.That(root.GetProperty("libtorch").GetString(), Does.Match(@"^\d+\.\d+"));
            Assert.That(root.GetProperty("intra_op_threads").GetInt32(), Is.EqualTo(torch.get_num_threads()));
        });
    }

    [Test]
    public void Results_over_seeds_are_reported_per_seed_and_as_mean_and_sample_deviation()
    {
        using var folder = TestSupport.TemporaryFolder();
        var run = ExperimentRun.Start(ExperimentOptions.Parse(["--out", folder.Path, "--device", "cpu"], "demo"), "a test run");
        var summary = run.ReportOverSeeds("escape_rate", [(42, 0.39), (1, 0.257), (2, 0.403)], "escapes", "P1");
        Assert.Multiple(() =>
        {
            Assert.That(run.Metrics["escape_rate_seed_1"], Is.EqualTo(0.257));
            Assert.That(run.Metrics["escape_rate_mean"], Is.EqualTo((0.39 + 0.257 + 0.403) / 3).Within(1e-15));
            // s.d. with n − 1: the deviations from 0.35 are 0.04, −0.093, 0.053.
            Assert.That(run.Metrics["escape_rate_std"], Is.EqualTo(Math.Sqrt((0.04 * 0.04 + 0.093 * 0.093 + 0.053 * 0.053) / 2)).Within(1e-12));
            Assert.That(summary.Count, Is.EqualTo(3));
            Assert.That(() => run.ReportOverSeeds("none", [], "nothing"), Throws.ArgumentException.With.Message.Contain("'none' over seeds needs at least one"));
        });
    }

    [Test]
    public void The_validation_part_is_held_out_of_the_training_set_and_the_same_whatever_the_run_seed()
    {
        using var data = new InMemoryDataset(arange(240, dtype: float32).reshape(240, 1), arange(240, dtype: int64) % 10, "numbers");
        var (train, validation) = ExperimentRun.HoldOutValidation(data);
        torch.manual_seed(7);
        var (again, validationAgain) = ExperimentRun.HoldOutValidation(data);
        var held = validation.Inputs.flatten().data<float>().ToArray();
        Assert.Multiple(() =>
        {
            Assert.That((train.Count, validation.Count), Is.EqualTo((220, 20)), "a twelfth held out");
            Assert.That(train.Inputs.flatten().data<float>().Intersect(held), Is.Empty, "no image in both parts");
            Assert.That(validation.Targets.bincount(null, 10).data<long>().ToArray(), Is.All.EqualTo(2), "stratified: two of each class");
            Assert.That(validationAgain.Inputs.flatten().data<float>().ToArray(), Is.EqualTo(held), "the same images every time");
        });
        foreach (var part in new[] { train, validation, again, validationAgain })
            part.Dispose();
    }

    [TestCase("bf16", true)]
    [TestCase("float32", false)]
    public void Inference_precision_is_chosen_by_the_command_line_and_recorded(string precision, bool bf16)
    {
        using var folder = TestSupport.TemporaryFolder();
        var run = ExperimentRun.Start(ExperimentOptions.Parse(["--out", folder.Path, "--device", "cpu", "--inference-precision", precision], "demo"), "a test run");
        bool inside;
        using (run.Inference())
            inside = Autocast.IsEnabled(TorchSharp.DeviceType.CPU);
        Assert.Multiple(() =>
        {
            Assert.That(run.InferenceInBf16, Is.EqualTo(bf16));
            Assert.That(inside, Is.EqualTo(bf16), "autocast inside the scope exactly when bf16");
            Assert.That(Autocast.IsEnabled(TorchSharp.DeviceType.CPU), Is.False, "off again after it");
            Assert.That(run.Metrics["inference_bf16"], Is.EqualTo(bf16 ? 1 : 0));
            Assert.That(ExperimentOptions.Parse([], "demo").InferencePrecision, Is.EqualTo("auto"));
        });
    }

    [TestCase("bf16", Precision.Bf16Autocast)]
    [TestCase("float32", Precision.Default)]
    public void Training_precision_is_chosen_by_the_command_line_and_recorded(string precision, Precision expected)
    {
        using var folder = TestSupport.TemporaryFolder();
        var run = ExperimentRun.Start(ExperimentOptions.Parse(["--out", folder.Path, "--device", "cpu", "--training-precision", precision], "demo"), "a test run");
        Assert.Multiple(() =>
        {
            Assert.That(run.TrainingPrecision, Is.EqualTo(expected));
            Assert.That(run.Metrics["training_bf16"], Is.EqualTo(expected == Precision.Bf16Autocast ? 1 : 0));
            Assert.That(ExperimentOptions.Parse([], "demo").TrainingPrecision, Is.EqualTo("auto"));
            Assert.That(() => ExperimentOptions.Parse(["--training-precision", "fp8"], "demo"),
                Throws.ArgumentException.With.Message.Contains("--training-precision 'fp8' is not one of auto, float32, bf16"));
        });
    }

    [Test]
    public void Auto_inference_precision_is_bf16_exactly_where_the_cpu_computes_it_natively()
    {
        using var folder = TestSupport.TemporaryFolder();
        var run = ExperimentRun.Start(ExperimentOptions.Parse(["--out", folder.Path, "--device", "cpu"], "demo"), "a test run");
        var flags = File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags", StringComparison.Ordinal)).Split(' ')
            : [];
        Assert.That(run.InferenceInBf16, Is.EqualTo(flags.Contains("avx512_bf16") || flags.Contains("amx_bf16")), "the bundled libtorch 2.10 has autocast");
    }
}
