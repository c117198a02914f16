using TorchBinding.Activations;
using TorchBinding.Losses;
using TorchBinding.Runtime.Kernels;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Runtime;

public class OpGradientSuiteTests
{
    static IEnumerable<OpGradientCase> CasesOf(string op) => OpGradientSuite.Cases.Where(c => c.Op == op);

    static bool Covered(string op) =>
        OpGradientSuite.Cases.Any(c => c.Op == op) || OpGradientSuite.Excluded.Any(e => e.Op == op);

    [Test]
    public void Every_case_passes_on_this_machine()
    {
        var report = OpGradientSuite.Run();

        TestContext.Out.WriteLine(report);
        Assert.That(report.Results, Has.Count.EqualTo(OpGradientSuite.Cases.Count));
        Assert.That(report.Failures, Is.Empty, () => report.ToString());
    }

    [Test]
    public void The_catalogue_covers_every_activation_and_every_catalogue_loss()
    {
        Assert.Multiple(() =>
        {
            foreach (var activation in Enum.GetValues<Activation>())
                Assert.That(Covered($"activation:{activation}"), Is.True, $"activation {activation} has no case and is not excluded");
            foreach (var loss in LossCatalog.All)
                Assert.That(Covered($"loss:{loss.Name}"), Is.True, $"loss {loss.Name} has no case and is not excluded");
        });
    }

    [Test]
    public void The_catalogue_covers_the_layers_the_models_use()
    {
        string[] required =
        [
            "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
            "max_pool1d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d", "adaptive_max_pool2d",
            "batch_norm", "layer_norm", "group_norm", "instance_norm",
            "linear", "embedding", "bilinear", "matmul", "bmm",
            "attention", "scaled_dot_product_attention", "softmax", "log_softmax",
            "interpolate", "upsample",
            "cross_entropy", "binary_cross_entropy_with_logits", "mse_loss", "kl_div",
        ];
        var ops = OpGradientSuite.Cases.Select(c => c.Op).ToHashSet();

        Assert.That(required.Where(op => !ops.Contains(op)), Is.Empty, "ops without a case");
        Assert.That(OpGradientSuite.Cases.Where(c => c.Op == "conv2d").Select(c => c.Shape),
            Has.Some.Contains("depthwise").And.Some.Contains("groups").And.Some.Contains(" d2"), "grouped, depthwise and dilated conv2d");
        Assert.That(OpGradientSuite.Cases.Where(c => c.Op == "scaled_dot_product_attention").Select(c => c.Shape),
            Has.Some.Contains("causal").And.Some.Not.Contains("causal"));
    }

    [Test]
    public void Exclusions_have_reasons_and_cases_have_unique_names_and_sane_tolerances()
    {
        Assert.Multiple(() =>
        {
            foreach (var exclusion in OpGradientSuite.Excluded)
            {
                Assert.That(exclusion.Reason, Is.Not.Empty, exclusion.Op);
                Assert.That(CasesOf(exclusion.Op), Is.Empty, $"{exclusion.Op} is excluded but has cases");
            }
            var duplicates = OpGradientSuite.Cases.GroupBy(c => c.ToString()).Where(g => g.Count() > 1).Select(g => g.Key);
            Assert.That(duplicates, Is.Empty, "cases named twice (they would also share a seed)");
            Assert.That(OpGradientSuite.Cases.Select(c => c.Tolerance), Is.All.GreaterThan(0).And.All.LessThanOrEqualTo(1e-2), "tolerances");
        });
    }

    [Test]
    public void A_fault_in_conv2d_input_gradients_fails_exactly_the_conv2d_cases()
    {
        var report = OpGradientSuite.Run(null, 0, null,
            (testCase, gradient, g) => testCase.Op == "conv2d" && gradient == "input" ? g * 1.3 : g);

        var text = report.ToString();
        var expected = CasesOf("conv2d").Select(c => c.Shape).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(report.Failures.Select(f => f.Op), Is.All.EqualTo("conv2d"));
            Assert.That(report.Failures.Select(f => f.Shape), Is.EquivalentTo(expected));
            foreach (var failure in report.Failures)
            {
                Assert.That(failure.Error, Is.EqualTo(0.3).Within(1e-3), failure.ToString());
                Assert.That(failure.Gradient, Is.EqualTo("input"));
            }
            Assert.That(text, Does.Contain($"{expected.Count} of {report.Results.Count} cases failed"));
            Assert.That(text, Does.Contain("worst: conv2d "));
            foreach (var shape in expected)
                Assert.That(text, Does.Contain($"conv2d {shape}: error 0.3"));
        });
    }

    [Test]
    public void An_injected_NaN_is_a_failure_with_infinite_error()
    {
        var cases = CasesOf("conv_transpose2d").ToList();
        var poisoned = cases[1];

        var report = OpGradientSuite.Run(cases, 0, null, (testCase, gradient, g) =>
        {
            if (testCase != poisoned || gradient != "weight")
                return g;
            var bad = g.clone();
            bad.view(-1)[0].fill_(double.NaN);
            return bad;
        });

        Assert.That(report.Failures, Has.Count.EqualTo(1), () => report.ToString());
        var failure = report.Failures[0];
        Assert.Multiple(() =>
        {
            Assert.That(failure.Shape, Is.EqualTo(poisoned.Shape));
            Assert.That(failure.Error, Is.EqualTo(double.PositiveInfinity));
            Assert.That(failure.Gradient, Is.EqualTo("weight"));
            Assert.That(report.ToString(), Does.Contain($"worst: conv_transpose2d {poisoned.Shape}, error inf"));
            Assert.That(failure.ToString(), Does.Contain("NaN"));
        });
    }

    [Test]
    public void Relative_error_is_zero_for_identical_gradients_and_exact_for_a_known_difference()
    {
        using var scope = NewDisposeScope();
        var reference = tensor(new[] { 1.0, -2.0, 0.5 }, float64);

        Assert.Multiple(() =>
        {
            Assert.That(OpGradientSuite.RelativeError(reference.clone(), reference), Is.EqualTo(0.0));
            Assert.That(OpGradientSuite.RelativeError(reference.to(float32), reference), Is.EqualTo(0.0), "values exact in float32");
            Assert.That(OpGradientSuite.RelativeError(tensor(new[] { 1.5, -2.0, 0.5 }, float64), reference), Is.EqualTo(0.25).Within(1e-15), "0.5 / max 2");
            Assert.That(OpGradientSuite.RelativeError(zeros(3, float64), zeros(3, float64)), Is.EqualTo(0.0));
            Assert.That(OpGradientSuite.RelativeError(tensor(new[] { 1.0, double.NaN, 0.5 }, float64), reference), Is.EqualTo(double.PositiveInfinity));
            Assert.That(OpGradientSuite.RelativeError(tensor(new[] { 1.0, double.NegativeInfinity, 0.5 }, float64), reference), Is.EqualTo(double.PositiveInfinity));
            Assert.That(() => OpGradientSuite.RelativeError(zeros(2, float64), reference), Throws.ArgumentException);
        });
    }

    [Test]
    public void A_doubling_has_no_error_beyond_float32_rounding_of_the_upstream_gradient()
    {
        // d(2x)/dx · g is 2g in both dtypes; float32 only rounds g, by at most 2⁻²⁴ of the largest value.
        var doubling = new OpGradientCase("double", "[3,4]", i => i.Normal("input", [3, 4]), x => x["input"] * 2);

        var result = OpGradientSuite.Check(doubling);

        Assert.That(result.Passed, Is.True, result.ToString());
        Assert.That(result.Error, Is.GreaterThan(0).And.LessThanOrEqualTo(Math.Pow(2, -24)));
    }

    [Test]
    public void A_case_that_ignores_the_dtype_fails_with_a_message_instead_of_passing()
    {
        // A forward pass that always computes in float64 would make every float32 check pass vacuously.
        var vacuous = new OpGradientCase("vacuous", "[3]", i => i.Normal("input", [3]), x => x["input"].to(float64).sin());

        var result = OpGradientSuite.Check(vacuous);

        Assert.That(result.Passed, Is.False);
        Assert.That(result.Error, Is.EqualTo(double.PositiveInfinity));
        Assert.That(result.Message, Does.Contain("Float64").IgnoreCase.And.Contain("dtype"));
    }

    [Test]
    public void Run_uses_the_thread_count_it_is_given_and_restores_the_previous_one()
    {
        var before = get_num_threads();
        var other = before == 1 ? 2 : 1;

        var report = OpGradientSuite.Run(CasesOf("conv1d"), threads: other);

        Assert.That(report.Threads, Is.EqualTo(other));
        Assert.That(get_num_threads(), Is.EqualTo(before));
    }

    [Test]
    public void Progress_hears_every_result_in_order()
    {
        var cases = CasesOf("max_pool2d").ToList();
        var heard = new ResultList();

        var report = OpGradientSuite.Run(cases, progress: heard);

        Assert.That(heard.Results, Is.EqualTo(report.Results));
        Assert.That(heard.Results.Select(r => r.Shape), Is.EqualTo(cases.Select(c => c.Shape)));
    }

    /// <summary>Collects synchronously (<see cref="Progress{T}"/> would post to a thread-pool thread).</summary>
    sealed class ResultList : IProgress<OpGradientResult>
    {
        public List<OpGradientResult> Results { get; } = [];

        public void Report(OpGradientResult value) => Results.Add(value);
    }

    [Test]
    public void A_run_leaves_no_live_tensors_behind()
    {
        OpGradientSuite.Run(); // warm-up: caches made on first use are not leaks
        var before = TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        OpGradientSuite.Run();

        Assert.That(TorchSharp.DisposeScopeManager.Statistics.ThreadTotalLiveCount, Is.EqualTo(before));
    }

    [Test]
    public void Runs_are_deterministic()
    {
        var cases = CasesOf("batch_norm").Concat(CasesOf("loss:tanimoto")).ToList();

        var first = OpGradientSuite.Run(cases).Results.Select(r => r.Error);
        var second = OpGradientSuite.Run(cases).Results.Select(r => r.Error);

        Assert.That(second, Is.EqualTo(first));
    }
}
