using System.Text;
using TorchSharp;

namespace TorchBinding.Runtime.Kernels;

/// <summary>What the start-up's gradient self-check found and did; <see cref="ToString"/> is the line <c>Describe()</c> prints.</summary>
/// <param name="Mode">The check's setting.</param>
/// <param name="Passed">Whether the gradients are right as the process now runs (true when the check is off).</param>
/// <param name="Workaround">The workaround in force.</param>
/// <param name="Forced">Whether the workaround was chosen by setting rather than by the check.</param>
/// <param name="Fault">The fault seen on this machine (now or in an earlier run), or null.</param>
/// <param name="LastCheck">The last check run (after the workaround, if any); null when off.</param>
/// <param name="Cpu">The processor's model.</param>
/// <param name="Isa">The instruction set oneDNN's kernels use.</param>
/// <param name="Steps">What was done, in order, for the record.</param>
/// <param name="CacheFile">Where the verdict is kept between runs.</param>
public sealed record KernelCheckReport(
    KernelCheckMode Mode, bool Passed, KernelWorkaround Workaround, bool Forced, string? Fault,
    ConvolutionCheckResult? LastCheck, string Cpu, string Isa, IReadOnlyList<string> Steps, string? CacheFile)
{
    /// <summary>One line: the verdict, the workaround, the cost of the check.</summary>
    public string Verdict
    {
        get
        {
            if (Mode == KernelCheckMode.Off)
                return Workaround == KernelWorkaround.None ? "not checked (TORCHBINDING_KERNEL_CHECK=off)" : $"not checked; workaround forced: {Workaround.Describe()}";
            var check = LastCheck is null ? "" : $" ({LastCheck.Evaluations} gradients, {LastCheck.Milliseconds:F0} ms)";
            return (Passed, Workaround, Fault) switch
            {
                (true, KernelWorkaround.None, null) => $"right{check}",
                (true, KernelWorkaround.None, _) => $"right{check}; a fault was seen here before without a workaround",
                (true, _, _) => $"right with workaround: {Workaround.Describe()}{(Forced ? " (forced by setting)" : "")}{check}",
                (false, _, _) => $"WRONG: {LastCheck?.Worst}{(Workaround == KernelWorkaround.None ? "" : $" even with {Workaround.Describe()}")}",
            };
        }
    }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = new StringBuilder(Verdict);
        if (Fault is not null && Workaround != KernelWorkaround.None)
            text.Append($"\n                   fault on this CPU: {Fault}");
        return text.ToString();
    }
}

/// <summary>
/// The start-up's guard against wrong libtorch kernels: before the first user computation it compares float32 convolution
/// gradients with float64's (<see cref="ConvolutionGradientCheck"/>). Where they differ it applies the cheapest workaround
/// not yet known to fail here, checks again, and remembers the fault for good (<see cref="KernelVerdictCache"/>). The ISA
/// cap, the cheaper route, must be in place before oneDNN's first kernel, so a process that finds the fault itself runs
/// on the route it can still take (oneDNN off), and the next start takes the cap, re-checked. If nothing helps it stops
/// with <see cref="KernelFaultException"/> (or warns, with <see cref="KernelCheckMode.Warn"/>).
/// </summary>
static class KernelSelfCheck
{
    static KernelVerdictCache? _cache;
    static KernelWorkaround _atLoad = KernelWorkaround.None;

    /// <summary>
    /// Runs before libtorch is loaded: applies an ISA cap that is forced, or that the cached verdict says is the route to
    /// take here, while oneDNN can still be told. <paramref name="libTorchFile"/> identifies the libtorch build.
    /// </summary>
    public static void BeforeLoad(RuntimeOptions options, string libTorchFile)
    {
        _cache = KernelVerdictCache.For(options.KernelCheckCacheDirectory, libTorchFile);
        var planned = options.KernelWorkaround ?? (options.KernelCheck == KernelCheckMode.Off ? KernelWorkaround.None : Planned(_cache));
        if (planned.IsaCap() is not { } cap)
            return;
        if (OneDnn.MaxCpuIsa is { } userCap)
        {
            options.Info($"{OneDnn.MaxCpuIsaVariable}={userCap} is already set; left as it is.");
            return;
        }
        OneDnn.CapIsa(cap);
        _atLoad = planned;
        options.Info($"capped oneDNN at {cap} before libtorch starts ({(options.KernelWorkaround is null ? "the cheapest route not known to fail on this CPU" : "forced by setting")}).");
    }

    /// <summary>The cheapest workaround not known to fail here, if a fault was ever seen; else none.</summary>
    static KernelWorkaround Planned(KernelVerdictCache cache) =>
        cache.Fault is null ? KernelWorkaround.None : KernelWorkarounds.Ladder.FirstOrDefault(w => cache.Outcome(w) != false, KernelWorkaround.OneDnnOff);

    /// <summary>Runs after libtorch has started and the thread count is set; returns what was found and done.</summary>
    public static KernelCheckReport AfterStart(RuntimeOptions options)
    {
        var cache = _cache;
        var steps = new List<string>();
        var forced = options.KernelWorkaround is not null;
        var workaround = _atLoad;
        if (forced && options.KernelWorkaround == KernelWorkaround.OneDnnOff)
            workaround = Apply(KernelWorkaround.OneDnnOff, steps);
        else if (!forced && options.KernelCheck != KernelCheckMode.Off && workaround == KernelWorkaround.None && cache is not null && Planned(cache) == KernelWorkaround.OneDnnOff)
            workaround = Apply(KernelWorkaround.OneDnnOff, steps);
        if (workaround.IsaCap() is { } cap)
            steps.Add($"capped oneDNN at {cap} before libtorch started");
        if (forced && options.KernelWorkaround?.IsaCap() is { } forcedCap && workaround != options.KernelWorkaround)
            steps.Add($"the forced {forcedCap} cap was not applied: {OneDnn.MaxCpuIsaVariable} was already set to {OneDnn.MaxCpuIsa}");
        var fault = cache?.Fault;
        if (options.KernelCheck == KernelCheckMode.Off)
            return new KernelCheckReport(options.KernelCheck, true, workaround, forced, fault, null, CpuFlags.Model, OneDnn.EffectiveIsa(), steps, cache?.Path);

        var tried = new List<KernelWorkaround>();
        if (workaround != KernelWorkaround.None)
            tried.Add(workaround);
        var check = Check(options, workaround);
        steps.Add($"checked with {workaround.Name()}: {(check.Passed ? "right" : "wrong")}, worst {check.Worst}");
        if (!check.Passed)
        {
            cache?.RecordFault(check.Worst, CpuFlags.Model);
            fault ??= check.Worst.ToString();
            if (workaround != KernelWorkaround.None)
                cache?.RecordOutcome(workaround, passed: false);
            // The one route a running process can still take.
            if (!forced && workaround != KernelWorkaround.OneDnnOff)
            {
                var first = check.Worst;
                workaround = Apply(KernelWorkaround.OneDnnOff, steps);
                tried.Add(workaround);
                check = Check(options, workaround);
                steps.Add($"re-checked with {workaround.Name()}: {(check.Passed ? "right" : "wrong")}, worst {check.Worst}");
                if (check.Passed)
                {
                    cache?.RecordOutcome(workaround, passed: true);
                    var next = cache is null ? KernelWorkaround.OneDnnOff : Planned(cache);
                    options.Warn($"libtorch computes wrong float32 convolution gradients on this CPU ({CpuFlags.Model}): {first}. " +
                        $"Worked around: {workaround.Describe()}, re-checked right; " +
                        (next == KernelWorkaround.OneDnnOff ? "it stays on in later runs." : $"later runs take the cheaper {next.Describe()}, re-checked at each start.") +
                        $" ({RuntimeOptions.KernelCheckVariable}, {RuntimeOptions.KernelWorkaroundVariable}; `torchbinding doctor` shows it.)");
                }
                else
                    cache?.RecordOutcome(workaround, passed: false);
            }
        }
        else if (workaround != KernelWorkaround.None && !forced)
            cache?.RecordOutcome(workaround, passed: true);

        var report = new KernelCheckReport(options.KernelCheck, check.Passed, workaround, forced, fault, check, CpuFlags.Model, OneDnn.EffectiveIsa(), steps, cache?.Path);
        options.Info($"convolution gradient self-check: {report.Verdict}.");
        if (!check.Passed)
        {
            var message = $"libtorch computes wrong float32 convolution gradients on this machine ({CpuFlags.Model}, oneDNN ISA {report.Isa}): {check.Worst}, " +
                (tried.Count == 0 ? "with libtorch as it is" : $"with {string.Join(", then ", tried.Select(w => w.Describe()))}") +
                (forced ? $" (chosen by {RuntimeOptions.KernelWorkaroundVariable})" : "") + ". Training or explaining a CNN here would use wrong gradients. ";
            if (options.KernelCheck == KernelCheckMode.On)
            {
                throw new KernelFaultException(message + $"Set {RuntimeOptions.KernelWorkaroundVariable}=avx, sse41 or onednn-off to choose a workaround, " +
                    $"or {RuntimeOptions.KernelCheckVariable}=warn to go on anyway (results may be wrong). `torchbinding doctor` shows the details.", check.Worst);
            }
            options.Warn(message + $"Going on anyway ({RuntimeOptions.KernelCheckVariable}=warn).");
        }
        return report;
    }

    static KernelWorkaround Apply(KernelWorkaround workaround, List<string> steps)
    {
        if (workaround == KernelWorkaround.OneDnnOff)
        {
            OneDnn.ConvolutionsEnabled = false;
            steps.Add("turned oneDNN convolutions off (at::Context::setUserEnabledMkldnn(false))");
        }
        return workaround;
    }

    /// <summary>The check as the start-up runs it (with the test seam), for a re-check of the running process.</summary>
    public static ConvolutionCheckResult Recheck(RuntimeOptions options, KernelCheckReport report) => Check(options, report.Workaround);

    static ConvolutionCheckResult Check(RuntimeOptions options, KernelWorkaround workaround)
    {
        // The seam (TORCHBINDING_KERNEL_CHECK_FAULT) names the routes that are "wrong".
        return ConvolutionGradientCheck.Run(fault: options.InjectedKernelFaults.Contains(workaround) ? Corrupt : null);
    }

    /// <summary>The injected fault: what the measured one looks like, a third off.</summary>
    static torch.Tensor Corrupt(ConvolutionCase convolution, torch.Tensor gradient) => gradient * 1.3;
}
