using System.Globalization;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Runtime.Kernels;

/// <summary>
/// One operation on one small setting, as the <see cref="OpGradientSuite"/> checks it: float64 inputs drawn from a
/// seeded generator, and a forward pass that works in whatever floating dtype its inputs come in.
/// </summary>
/// <param name="Op">The operation, e.g. <c>conv2d</c>, <c>batch_norm</c>, <c>activation:GELU</c>, <c>loss:tanimoto</c>.</param>
/// <param name="Shape">The shapes and settings in words, e.g. <c>[3,4,8,8] -> 8, k3 s1 p1</c>.</param>
/// <param name="CreateInputs">Adds the case's float64 inputs (differentiable and constant) to the builder; deterministic for the builder's generator.</param>
/// <param name="Forward">The operation on the inputs as the context hands them out (in float64 or float32); returns any floating tensor.</param>
public sealed record OpGradientCase(string Op, string Shape, Action<OpGradientInputs> CreateInputs, Func<OpGradientContext, Tensor> Forward)
{
    /// <summary>The largest relative error of a float32 gradient accepted (default <see cref="OpGradientSuite.DefaultTolerance"/>).</summary>
    public double Tolerance { get; init; } = OpGradientSuite.DefaultTolerance;

    /// <summary>The case's seed: a stable hash of <see cref="Op"/> and <see cref="Shape"/> unless given.</summary>
    public ulong Seed { get; init; } = StableHash(Op + "|" + Shape);

    /// <inheritdoc/>
    public override string ToString() => $"{Op} {Shape}";

    /// <summary>FNV-1a over the UTF-16 code units: unlike <see cref="string.GetHashCode()"/> the same in every process.</summary>
    static ulong StableHash(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}

/// <summary>
/// Collects a case's inputs in float64: the differentiable ones, whose gradients are compared, and constants (indices,
/// targets, labels). Floating constants are cast to the evaluated dtype like the inputs; integer ones are passed as
/// they are. The drawing helpers use the case's seeded generator, so a case always sees the same numbers.
/// </summary>
public sealed class OpGradientInputs
{
    readonly List<(string Name, Tensor Value)> _differentiable = [];
    readonly List<(string Name, Tensor Value)> _constants = [];

    internal OpGradientInputs(Generator generator) => Generator = generator;

    /// <summary>The case's seeded CPU generator, for inputs the helpers below do not draw.</summary>
    public Generator Generator { get; }

    internal IReadOnlyList<(string Name, Tensor Value)> Differentiable => _differentiable;

    internal IReadOnlyList<(string Name, Tensor Value)> Constants => _constants;

    /// <summary>Adds a differentiable input (converted to float64).</summary>
    /// <param name="name">Its name, unique in the case (<c>input</c>, <c>weight</c>, <c>bias</c>, ...).</param>
    /// <param name="value">Its value, floating point.</param>
    /// <returns><paramref name="value"/> in float64.</returns>
    public Tensor Add(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (!value.is_floating_point())
            throw new ArgumentException($"OpGradientInputs.Add: the differentiable input '{name}' must be floating point; got {value.dtype}. Use Constant for indices.", nameof(value));
        RequireNewName(name);
        var stored = value.to(float64).detach();
        _differentiable.Add((name, stored));
        return stored;
    }

    /// <summary>Adds a constant input: its gradient is not checked (targets, labels, indices, masks).</summary>
    /// <param name="name">Its name, unique in the case.</param>
    /// <param name="value">Its value; floating values are stored in float64 and cast to the evaluated dtype.</param>
    /// <returns>The stored value.</returns>
    public Tensor Constant(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        RequireNewName(name);
        var stored = value.is_floating_point() ? value.to(float64).detach() : value.detach();
        _constants.Add((name, stored));
        return stored;
    }

    /// <summary>Adds a differentiable input of standard normal values times <paramref name="scale"/>.</summary>
    public Tensor Normal(string name, long[] shape, double scale = 1.0) =>
        Add(name, NormalValues(shape) * scale);

    /// <summary>
    /// Adds a differentiable input of normal values moved at least <paramref name="margin"/> away from 0
    /// (<c>x + sign(x)·margin</c>): kinks at 0 (ReLU and its relatives) are where float32 and float64 may
    /// legitimately take different branches.
    /// </summary>
    public Tensor AwayFromZero(string name, long[] shape, double margin = 0.05)
    {
        var x = NormalValues(shape);
        return Add(name, x + x.sign() * margin);
    }

    /// <summary>
    /// Adds a differentiable input whose values are all distinct, at least 2/numel apart in [−1, 1) (a random
    /// permutation): max pooling then has no ties that the two dtypes could break differently.
    /// </summary>
    public Tensor Distinct(string name, long[] shape)
    {
        var count = shape.Aggregate(1L, (a, b) => a * b);
        var ranks = randperm(count, int64, generator: Generator).to(float64);
        return Add(name, (ranks * (2.0 / count) - 1).reshape(shape));
    }

    /// <summary>Standard normal float64 values from the case's generator, not added as an input.</summary>
    public Tensor NormalValues(long[] shape) => randn(shape, float64, generator: Generator);

    /// <summary>Uniform float64 values in [0, 1) from the case's generator, not added as an input.</summary>
    public Tensor UniformValues(long[] shape) => rand(shape, float64, generator: Generator);

    /// <summary>Integers in [0, <paramref name="high"/>) (int64) from the case's generator, not added as an input.</summary>
    public Tensor Integers(long high, long[] shape) => randint(high, shape, int64, generator: Generator);

    void RequireNewName(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (_differentiable.Any(e => e.Name == name) || _constants.Any(e => e.Name == name))
            throw new ArgumentException($"OpGradientInputs: the input name '{name}' is used twice in one case.", nameof(name));
    }
}

/// <summary>
/// What a case's forward pass sees for one dtype: its inputs by name, in that dtype (differentiable ones as leaves that
/// require a gradient), and a way to use modules and compare their parameters' gradients too.
/// </summary>
public sealed class OpGradientContext : IDisposable
{
    readonly Dictionary<string, Tensor> _tensors = [];
    readonly List<(string Name, Tensor Leaf)> _leaves = [];
    readonly List<IDisposable> _modules = [];

    internal OpGradientContext(OpGradientInputs inputs, ScalarType dtype)
    {
        DType = dtype;
        foreach (var (name, value) in inputs.Differentiable)
        {
            var leaf = value.to(dtype).detach().requires_grad_(true);
            _tensors[name] = leaf;
            _leaves.Add((name, leaf));
        }
        foreach (var (name, value) in inputs.Constants)
            _tensors[name] = value.is_floating_point() ? value.to(dtype) : value;
    }

    /// <summary>The dtype of this evaluation: float64 (the reference) or float32.</summary>
    public ScalarType DType { get; }

    /// <summary>An input by name, in <see cref="DType"/> (integer constants unchanged).</summary>
    /// <exception cref="KeyNotFoundException">No input has that name.</exception>
    public Tensor this[string name] =>
        _tensors.TryGetValue(name, out var tensor) ? tensor
        : throw new KeyNotFoundException($"OpGradientContext: the case has no input '{name}'; it has {string.Join(", ", _tensors.Keys)}.");

    /// <summary>
    /// Uses <paramref name="module"/> in this evaluation: converts it to <see cref="DType"/> and disposes it when the case
    /// is done. Its parameters must start from the same values in every dtype (a fixed initial value, or values copied
    /// from an input); <see cref="Track"/> those whose gradients are to be compared.
    /// </summary>
    /// <param name="module">A module made for this evaluation.</param>
    /// <returns>The module, converted.</returns>
    public T Use<T>(T module) where T : nn.Module
    {
        ArgumentNullException.ThrowIfNull(module);
        _modules.Add(module);
        module.to(DType);
        return module;
    }

    /// <summary>
    /// Adds <paramref name="parameter"/> (a module's parameter, say) to the gradients compared, after the inputs', in the
    /// order tracked. Read it from the module after <see cref="Use"/>: the conversion replaces parameters.
    /// </summary>
    /// <param name="name">Its name in the report, e.g. <c>embedding.weight</c>.</param>
    /// <param name="parameter">A leaf that requires a gradient.</param>
    /// <returns><paramref name="parameter"/>.</returns>
    public Tensor Track(string name, Tensor parameter)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(parameter);
        if (!parameter.requires_grad)
            throw new ArgumentException($"OpGradientContext.Track: {name} does not require a gradient.", nameof(parameter));
        _leaves.Add((name, parameter));
        return parameter;
    }

    /// <summary>The leaves whose gradients are compared, in a fixed order: the differentiable inputs, then module parameters.</summary>
    internal IReadOnlyList<(string Name, Tensor Leaf)> Leaves => _leaves;

    /// <summary>Disposes the modules used.</summary>
    public void Dispose()
    {
        foreach (var module in _modules)
            module.Dispose();
        _modules.Clear();
    }
}

/// <summary>An operation the suite leaves out, and why.</summary>
/// <param name="Op">The operation, as a case would name it.</param>
/// <param name="Reason">Why it has no case.</param>
public sealed record OpGradientExclusion(string Op, string Reason);

/// <summary>The outcome of one case.</summary>
/// <param name="Op">The case's operation.</param>
/// <param name="Shape">The case's shapes and settings.</param>
/// <param name="Error">
/// The largest relative error over the compared gradients, <c>max|g32 − g64| / (max|g64| + tiny)</c>; positive infinity when
/// a float32 gradient holds NaN or ±∞, or the case could not run.
/// </param>
/// <param name="Tolerance">The largest error accepted.</param>
/// <param name="Passed">Whether <paramref name="Error"/> ≤ <paramref name="Tolerance"/>.</param>
public sealed record OpGradientResult(string Op, string Shape, double Error, double Tolerance, bool Passed)
{
    /// <summary>The gradient with the largest error (an input's or a module parameter's name), or null if the case did not run.</summary>
    public string? Gradient { get; init; }

    /// <summary>Why the case could not run (an exception's message, a non-finite float64 reference), or null.</summary>
    public string? Message { get; init; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var text = $"{Op} {Shape}: error {OpGradientReport.Format(Error)} (tolerance {OpGradientReport.Format(Tolerance)})";
        if (Gradient is not null)
            text += $" in the gradient of {Gradient}";
        if (Message is not null)
            text += $" ({Message})";
        else if (double.IsPositiveInfinity(Error))
            text += " (NaN or ±∞ in the float32 gradient)";
        return text + (Passed ? "" : " FAILED");
    }
}

/// <summary>The outcome of a run of the <see cref="OpGradientSuite"/>.</summary>
/// <param name="Results">One result per case, in the order run.</param>
/// <param name="Elapsed">The wall time of the run.</param>
/// <param name="Threads">libtorch's intra-op thread count during the run.</param>
public sealed record OpGradientReport(IReadOnlyList<OpGradientResult> Results, TimeSpan Elapsed, int Threads)
{
    /// <summary>The cases that failed, worst first (by error over tolerance).</summary>
    public IReadOnlyList<OpGradientResult> Failures => [.. Results.Where(r => !r.Passed).OrderByDescending(Severity)];

    /// <summary>Whether every case passed.</summary>
    public bool AllPassed => Failures.Count == 0;

    /// <summary>The case closest to (or furthest past) its tolerance, or null for an empty run.</summary>
    public OpGradientResult? Worst => Results.OrderByDescending(Severity).FirstOrDefault();

    /// <summary>
    /// A summary: how many cases passed, the worst one (op, shape, error), the time, and every failure on a line of
    /// its own.
    /// </summary>
    public override string ToString()
    {
        var text = new StringBuilder();
        var seconds = Elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture);
        var ops = Results.Select(r => r.Op).Distinct().Count();
        if (AllPassed)
        {
            text.Append($"Op gradient suite: all {Results.Count} cases ({ops} ops) passed in {seconds} s on {Threads} thread(s)");
            if (Worst is { } worst)
                text.Append($"; largest error {Format(worst.Error)} ({worst.Op} {worst.Shape}, tolerance {Format(worst.Tolerance)})");
            return text.Append('.').ToString();
        }
        var failures = Failures;
        var first = failures[0];
        text.AppendLine($"Op gradient suite: {failures.Count} of {Results.Count} cases failed in {seconds} s on {Threads} thread(s); " +
            $"worst: {first.Op} {first.Shape}, error {Format(first.Error)} (tolerance {Format(first.Tolerance)}). " +
            "float32 gradients disagree with float64 here; a known cause is oneDNN's float32 kernels on some AVX-512 CPUs, " +
            "which ONEDNN_MAX_CPU_ISA=SSE41, set before the process starts, avoids.");
        foreach (var failure in failures)
            text.AppendLine("  " + failure);
        return text.ToString().TrimEnd();
    }

    /// <summary>An error or tolerance for the report: three significant digits, or <c>inf</c>.</summary>
    internal static string Format(double value) =>
        double.IsPositiveInfinity(value) ? "inf" : value.ToString("G3", CultureInfo.InvariantCulture);

    static double Severity(OpGradientResult result) =>
        double.IsNaN(result.Error) ? double.PositiveInfinity : result.Error / result.Tolerance;
}
