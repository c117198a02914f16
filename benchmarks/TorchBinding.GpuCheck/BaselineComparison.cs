using System.Globalization;

namespace TorchBinding.GpuCheck;

/// <summary>
/// One training-throughput row: a model, its batch and input shape, timed in whole Adam steps on one fixed batch (warm-up,
/// then the median over 5 blocks of <see cref="Steps"/> steps). scripts/gpu/pytorch_baseline.py has the same list
/// (its WORKLOADS), by these names.
/// </summary>
/// <param name="Name">The row's key in the baseline's output (<c>NAME_images_per_s_..._adam</c>).</param>
/// <param name="Label">What the row is, for the table.</param>
/// <param name="Batch">Images per step.</param>
/// <param name="Shape">One image's shape.</param>
/// <param name="Parameters">The model's parameter count (both sides check theirs against it).</param>
/// <param name="Bf16">bf16 mixed precision, by the protocol of <see cref="BaselineComparison.Bf16Protocol"/>.</param>
/// <param name="TorchSharpAdam">Also timed with TorchSharp's own (per-parameter) Adam, against PyTorch's <c>Adam(foreach=False)</c>.</param>
/// <param name="Warmups">Steps before the timing.</param>
/// <param name="Steps">Steps per timed block.</param>
sealed record Workload(string Name, string Label, int Batch, long[] Shape, long Parameters, bool Bf16 = false, bool TorchSharpAdam = false,
    int Warmups = 20, int Steps = 100);

/// <summary>What scripts/gpu/pytorch_baseline.py printed, or why it printed nothing usable.</summary>
/// <param name="Values">Its <c>name=value</c> lines.</param>
/// <param name="Failure">One line naming the script, its exit code and the end of its standard error, where it failed.</param>
sealed record BaselineOutput(IReadOnlyDictionary<string, string> Values, string? Failure)
{
    /// <summary>No output at all (the script could not be started, or was not asked for).</summary>
    public static BaselineOutput None(string? failure) => new(new Dictionary<string, string>(), failure);

    /// <summary>A measured number, or null with the reason it is missing.</summary>
    public (double? Value, string? Reason) Number(string key)
    {
        if (!Values.TryGetValue(key, out var text))
            return (null, Failure is null ? "missing from the baseline's output" : "not printed before the baseline failed");
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            return (value, null);
        const string prefix = "not measured: ";
        return (null, text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text);
    }
}

/// <summary>
/// The side-by-side table of scripts/gpu-check.sh: TorchBinding's training throughput against PyTorch's on the same libtorch,
/// as ratios (TorchBinding / PyTorch; above 1 is faster). Kept free of TorchSharp so that it can be tested without a GPU.
/// </summary>
static class BaselineComparison
{
    /// <summary>Target against PyTorch's default Adam (foreach on CUDA): information printed beside the ratio, not a check.</summary>
    public const double DefaultAdamTarget = 1.1;

    /// <summary>Target against PyTorch's <c>Adam(fused=True)</c>, the same kind of kernel as TorchBinding's FlatAdam.</summary>
    public const double FusedAdamTarget = 1.0;

    /// <summary>
    /// How the bf16 row computes, the same on both sides: mixed precision with float32 master weights and Adam state, the
    /// float32 input batch cast to bfloat16 inside every timed step (as a trainer casts each batch), the loss in float32.
    /// TorchBinding: MixedPrecision.ToBf16 (bfloat16 weights, normalisation layers in float32) with the flat Adam's float32
    /// master weights, and <c>x.to(bfloat16)</c> in the step. PyTorch: float32 weights, the forward under
    /// <c>torch.autocast(bfloat16)</c>, which casts the input and the weights in the step. (Pure bfloat16 weights without
    /// float32 masters are not compared: that trains differently, losing updates below bfloat16's resolution.)
    /// </summary>
    public const string Bf16Protocol = "bf16 mixed: float32 master weights and Adam state on both sides, the float32 input cast to bfloat16 inside every timed step "
        + "(TorchBinding: MixedPrecision.ToBf16 + flat Adam, x.to(bfloat16); PyTorch: torch.autocast(bfloat16), float32 weights)";

    /// <summary>The rows, as scripts/gpu/pytorch_baseline.py lists them.</summary>
    public static readonly IReadOnlyList<Workload> Workloads =
    [
        new("mlp", "MLP 784-500-10, batch 256", 256, [784], 397_510, Warmups: 50, Steps: 500),
        new("course_cnn", "course CNN, batch 100 of 28x28", 100, [1, 28, 28], 28_938, TorchSharpAdam: true),
        new("course_resnet", "course ResNet, batch 100 of 28x28", 100, [1, 28, 28], 42_938, TorchSharpAdam: true),
        new("course_vit", "course ViT, fused attention, batch 64", 64, [1, 28, 28], 213_642),
        new("course_vit_explicit", "course ViT, explicit attention, batch 64", 64, [1, 28, 28], 213_642),
        new("resnet18_cifar", "ResNet-18 (CIFAR stem), batch 256 of 32x32, fp32", 256, [3, 32, 32], 11_173_962),
        new("resnet18_cifar_bf16", "ResNet-18 (CIFAR stem), batch 256 of 32x32, bf16 mixed, cast in the step", 256, [3, 32, 32], 11_173_962, Bf16: true),
    ];

    /// <summary>The baseline's key of a workload's images/s with one of its Adam variants (default_adam, fused_adam, per_parameter_adam).</summary>
    public static string Key(string workload, string adam) => $"{workload}_images_per_s_{adam}";

    /// <summary>The keys the baseline must print: every workload with the default and the fused Adam, per-parameter Adam where compared.</summary>
    public static IEnumerable<string> ExpectedKeys() =>
        new[] { "torch_version", "device", "adam_default_implementation", "bf16_matmul_tflops" }.Concat(Workloads.SelectMany(w =>
            new[] { Key(w.Name, "default_adam"), Key(w.Name, "fused_adam") }.Concat(w.TorchSharpAdam ? [Key(w.Name, "per_parameter_adam")] : [])));

    /// <summary>
    /// Reads the baseline's <c>name=value</c> lines (whatever it printed before a failure too). A non-zero exit code or a
    /// missing row makes <see cref="BaselineOutput.Failure"/> one line naming the script, the exit code and the end of its
    /// standard error.
    /// </summary>
    public static BaselineOutput Parse(string script, int exitCode, string standardOutput, string standardError)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in standardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split('=', 2);
            if (parts.Length == 2 && parts[0].Length > 0 && !parts[0].Contains(' ', StringComparison.Ordinal))
                values[parts[0]] = parts[1];
        }
        string? failure = null;
        if (exitCode != 0)
            failure = $"{script} exited with code {exitCode}; its rows not printed are not measured; its standard error ends: {Tail(standardError)}";
        else if (ExpectedKeys().Where(k => !values.ContainsKey(k)).ToList() is { Count: > 0 } missing)
            failure = $"{script} exited with code 0 but printed no {string.Join(", ", missing)} (those rows are not measured); its standard error ends: {Tail(standardError)}";
        return new BaselineOutput(values, failure);
    }

    /// <summary>The last lines of a process's standard error, on one line.</summary>
    static string Tail(string text, int lines = 5, int characters = 800)
    {
        var last = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).TakeLast(lines).ToList();
        if (last.Count == 0)
            return "(nothing)";
        var joined = string.Join(" | ", last);
        return joined.Length <= characters ? joined : "..." + joined[^characters..];
    }

    /// <summary>
    /// The table lines: per workload TorchBinding's images/s (its default recipe, the flat Adam on the fused kernel) against
    /// PyTorch's default Adam and its fused Adam, with the targets beside the ratios; then TorchSharp's own Adam against
    /// PyTorch's per-parameter Adam; then bf16 matmul; then what was not measured, by reason.
    /// </summary>
    /// <param name="ourAdam">What TorchBinding's default Adam ran on (the fused kernel, or tensor operations where this libtorch has none).</param>
    /// <param name="flat">TorchBinding's images/s with its default (flat) Adam, by workload name.</param>
    /// <param name="torchSharpAdam">TorchBinding's images/s with TorchSharp's own Adam, by workload name.</param>
    /// <param name="matmulTflops">TorchBinding's bf16 matmul TFLOP/s.</param>
    /// <param name="baseline">PyTorch's rows.</param>
    public static IEnumerable<string> Table(string ourAdam, IReadOnlyDictionary<string, double> flat, IReadOnlyDictionary<string, double> torchSharpAdam, double matmulTflops, BaselineOutput baseline)
    {
        var reasons = new List<(string Key, string Reason)>();
        double? Theirs(string key)
        {
            var (value, reason) = baseline.Number(key);
            if (reason is not null)
                reasons.Add((key, reason));
            return value;
        }
        string Text(string key) => baseline.Values.TryGetValue(key, out var text) ? text : "?";
        var defaultAdam = $"PyTorch Adam() ({Text("adam_default_implementation")})";

        yield return $"Training images/s on {Text("device")}, PyTorch {Text("torch_version")}; ratio = TorchBinding / PyTorch "
            + $"(targets, information only: >= {DefaultAdamTarget:F1} x PyTorch's default Adam, >= {FusedAdamTarget:F1} x its fused Adam).";
        yield return $"TorchBinding trains with its default Adam (Optim.Adam: {ourAdam}). {Bf16Protocol}.";
        yield return Row("workload", "TorchBinding", defaultAdam, "ratio", "PyTorch Adam(fused=True)", "ratio");
        yield return Rule();
        foreach (var w in Workloads)
        {
            var ours = flat.TryGetValue(w.Name, out var o) ? o : (double?)null;
            var (byDefault, byFused) = (Theirs(Key(w.Name, "default_adam")), Theirs(Key(w.Name, "fused_adam")));
            yield return Row(w.Label, Number(ours), Number(byDefault), Ratio(ours, byDefault, DefaultAdamTarget), Number(byFused), Ratio(ours, byFused, FusedAdamTarget));
        }
        yield return "";
        yield return "TorchSharp's own Adam (one parameter at a time) against PyTorch's Adam(foreach=False):";
        yield return Row("workload", "TorchSharp Adam", "PyTorch foreach=False", "ratio");
        yield return Rule(4);
        foreach (var w in Workloads.Where(w => w.TorchSharpAdam))
        {
            var ours = torchSharpAdam.TryGetValue(w.Name, out var o) ? o : (double?)null;
            var theirs = Theirs(Key(w.Name, "per_parameter_adam"));
            yield return Row(w.Label, Number(ours), Number(theirs), Ratio(ours, theirs, null));
        }
        yield return "";
        var matmul = Theirs("bf16_matmul_tflops");
        yield return $"bf16 matmul (median of 10): TorchBinding {matmulTflops:F0} TFLOP/s, PyTorch {Number(matmul, "F0")} TFLOP/s, ratio {Ratio(matmulTflops, matmul, null)}";
        foreach (var note in baseline.Values.Where(p => p.Key.StartsWith("note", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal))
            yield return $"PyTorch baseline note: {note.Value}";
        foreach (var group in reasons.GroupBy(r => r.Reason))
            yield return $"not measured ({group.Key}): {string.Join(", ", group.Select(r => r.Key).Distinct())}";
    }

    static string Number(double? value, string format = "N0") => value?.ToString(format, CultureInfo.InvariantCulture) ?? "not measured";

    static string Ratio(double? ours, double? theirs, double? target)
    {
        if (ours is not { } o || theirs is not { } t || t <= 0)
            return "-";
        var ratio = (o / t).ToString("F3", CultureInfo.InvariantCulture);
        return target is { } goal ? $"{ratio} {(o / t >= goal ? "met" : "below")}" : ratio;
    }

    static readonly int[] Widths = [74, 15, 30, 11, 24, 11];

    static string Row(params string[] cells) =>
        "| " + string.Join(" | ", cells.Select((c, i) => i == 0 ? c.PadRight(Widths[i]) : c.PadLeft(Widths[i]))) + " |";

    static string Rule(int columns = 6) => "|" + string.Join("|", Widths.Take(columns).Select(w => new string('-', w + 2))) + "|";
}
