using TorchBinding.GpuCheck;

namespace TorchBinding.Usage.Tests;

/// <summary>
/// The GPU check's comparison with PyTorch without a GPU: how benchmarks/TorchBinding.GpuCheck reads the output of
/// scripts/gpu/pytorch_baseline.py (compiled in from the check), and the script's own dry run on the CPU.
/// </summary>
public class GpuCheckBaselineTests
{
    const string Script = "scripts/gpu/pytorch_baseline.py";

    const string OurAdam = "FlatAdam on libtorch's fused kernel";

    static Dictionary<string, double> Ours(double value) => BaselineComparison.Workloads.ToDictionary(w => w.Name, _ => value);

    /// <summary>A complete baseline output in which every PyTorch row is <paramref name="value"/>.</summary>
    static string Complete(double value) => string.Join('\n', BaselineComparison.ExpectedKeys().Select(k => k switch
    {
        "torch_version" => "torch_version=2.11.0+cu130",
        "device" => "device=NVIDIA H100",
        "adam_default_implementation" => "adam_default_implementation=foreach",
        _ => $"{k}={value}",
    })) + "\n";

    [Test]
    public void A_failed_baseline_is_one_line_with_the_script_the_exit_code_and_its_error_and_its_rows_are_not_measured()
    {
        var output = "torch_version=2.11.0\ndevice=NVIDIA H100\nmlp_images_per_s_default_adam=1000\n";
        var baseline = BaselineComparison.Parse(Script, 1, output, "Traceback (most recent call last):\n  File \"x\"\ntorch.OutOfMemoryError: CUDA out of memory\n");
        Assert.That(baseline.Failure, Does.Contain(Script).And.Contain("exited with code 1").And.Contain("CUDA out of memory").And.Not.Contain("\n"));
        Assert.That(baseline.Number("mlp_images_per_s_default_adam").Value, Is.EqualTo(1000), "rows printed before the failure are kept");
        var table = BaselineComparison.Table(OurAdam, Ours(1100), Ours(500), 700, baseline).ToList();
        Assert.That(table.Single(l => l.Contains("MLP 784-500-10", StringComparison.Ordinal)), Does.Contain("1.100 met"));
        Assert.That(table.Single(l => l.Contains("course CNN, batch 100", StringComparison.Ordinal) && l.Contains("1,100", StringComparison.Ordinal)), Does.Contain("not measured"));
        Assert.That(table[^1], Does.StartWith("not measured (not printed before the baseline failed): ").And.Contain("course_cnn_images_per_s_default_adam, "),
            "one line per reason, naming the rows");
    }

    [Test]
    public void A_missing_row_or_a_baseline_that_never_started_fails_clearly_instead_of_throwing()
    {
        var missing = BaselineComparison.Parse(Script, 0, Complete(1000).Replace("resnet18_cifar_bf16_images_per_s_fused_adam=1000\n", "", StringComparison.Ordinal), "");
        Assert.That(missing.Failure, Does.Contain("exited with code 0 but printed no resnet18_cifar_bf16_images_per_s_fused_adam"));
        Assert.That(BaselineComparison.Table(OurAdam, Ours(1000), Ours(1000), 700, missing).Last(), Does.Contain("resnet18_cifar_bf16_images_per_s_fused_adam"));
        var never = BaselineOutput.None($"{Script} could not be started with python3: No such file or directory");
        var table = BaselineComparison.Table(OurAdam, Ours(1000), Ours(1000), 700, never).ToList();
        Assert.That(table, Has.Some.Contains("not measured"));
    }

    [Test]
    public void Ratios_compare_with_pytorchs_default_and_fused_adam_and_show_the_targets()
    {
        var output = Complete(1000).Replace("mlp_images_per_s_fused_adam=1000", "mlp_images_per_s_fused_adam=1250", StringComparison.Ordinal);
        var baseline = BaselineComparison.Parse(Script, 0, output, "");
        Assert.That(baseline.Failure, Is.Null);
        var table = BaselineComparison.Table(OurAdam, Ours(1150), Ours(900), 700, baseline).ToList();
        var mlp = table.First(l => l.Contains("MLP 784-500-10", StringComparison.Ordinal));
        Assert.That(mlp, Does.Contain("1.150 met").And.Contain("0.920 below"), "1150 / 1000 against >= 1.1; 1150 / 1250 against >= 1.0");
        Assert.That(table[2], Does.Contain("PyTorch Adam() (foreach)").And.Contain("Adam(fused=True)"));
        Assert.That(table.Single(l => l.Contains("bf16 mixed", StringComparison.Ordinal) && l.StartsWith('|')), Does.Contain("cast in the step"));
        Assert.That(table, Has.Some.Contains("0.900"), "TorchSharp's Adam against PyTorch's foreach=False");
        Assert.That(table, Has.None.StartsWith("not measured"));
    }

    [Test]
    public void The_baseline_script_prints_every_row_the_check_reads_in_a_dry_run_on_the_cpu()
    {
        var python = PythonWithTorch() ?? Ignore();
        var result = TestSupport.Run(python, [Path.Combine(TestSupport.RepositoryRoot, Script), "--device", "cpu", "--tiny"],
            new Dictionary<string, string?> { ["OMP_NUM_THREADS"] = "1" }, TimeSpan.FromMinutes(3));
        var baseline = BaselineComparison.Parse(Script, result.ExitCode, result.Output, result.Error);
        Assert.That(baseline.Failure, Is.Null, result.ToString());
        foreach (var workload in BaselineComparison.Workloads)
        {
            Assert.That(baseline.Number(BaselineComparison.Key(workload.Name, "default_adam")).Value, Is.GreaterThan(0), workload.Name);
            // The fused kernel is CUDA-only in older PyTorch (Debian's 1.13): then the row says so instead of a number.
            var (fused, reason) = baseline.Number(BaselineComparison.Key(workload.Name, "fused_adam"));
            Assert.That(fused is > 0 || reason!.StartsWith("fused Adam on cpu", StringComparison.Ordinal), Is.True, reason);
        }
        Assert.That(baseline.Values["device"], Is.EqualTo("cpu"));
        // The table the check would print from it (with made-up numbers of ours), for the reader of the test log.
        foreach (var line in BaselineComparison.Table(OurAdam, Ours(1000), Ours(1000), 1, baseline))
            TestContext.Out.WriteLine(line);
    }

    [Test]
    public void The_gpu_check_runs_every_code_path_on_the_cpu_in_a_dry_run()
    {
        var python = PythonWithTorch() ?? Ignore();
        var result = TestSupport.RunDotnet(TestSupport.ProjectOutput("benchmarks/TorchBinding.GpuCheck", "TorchBinding.GpuCheck"),
            ["--cpu-dry-run", "--pytorch-baseline", Path.Combine(TestSupport.RepositoryRoot, Script)],
            new Dictionary<string, string?> { ["TORCHBINDING_THREADS"] = "1", ["OMP_NUM_THREADS"] = "1", ["TORCHBINDING_PYTHON"] = python, ["CUBLAS_WORKSPACE_CONFIG"] = ":4096:8" },
            TimeSpan.FromMinutes(4));
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
        Assert.That(result.Output.TrimEnd().Split('\n')[^1], Is.EqualTo("gpu-check: all checks passed"), result.ToString());
        Assert.That(result.Output, Does.Contain("[pass] FlatAdam = TorchSharp's Adam on the CPU (dry run)").And.Contain("(deterministic algorithms and cuDNN, CUBLAS_WORKSPACE_CONFIG=:4096:8)"));
        Assert.That(result.Output, Does.Contain("[pass] PyTorch baseline ran").And.Contain("| ResNet-18 (CIFAR stem), batch 256 of 32x32, bf16 mixed, cast in the step"));
    }

    static string Ignore()
    {
        Assert.Ignore("No Python 3 with PyTorch was found (TORCHBINDING_PYTHON, python3, /usr/bin/python3): install Debian's python3-torch to run the baseline's dry run.");
        return "";
    }

    static string? PythonWithTorch()
    {
        foreach (var candidate in new[] { Environment.GetEnvironmentVariable("TORCHBINDING_PYTHON"), "python3", "/usr/bin/python3" })
        {
            if (string.IsNullOrWhiteSpace(candidate))
                continue;
            try
            {
                if (TestSupport.Run(candidate, ["-c", "import torch"], timeout: TimeSpan.FromMinutes(1)).ExitCode == 0)
                    return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // not installed
            }
        }
        return null;
    }
}
