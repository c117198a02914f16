using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Runtime.Kernels;

/// <summary>
/// A gradient check of every operation TorchBinding's models and losses use: each case runs forward and backward in
/// float64 and in float32 on the same small, seeded inputs, and compares the float32 gradients of every input and
/// parameter with the float64 ones.
/// </summary>
/// <remarks>
/// <para>Why: libtorch 2.10's float32 CPU kernels can compute wrong gradients on some processors (oneDNN's float32
/// convolution backward on an AMD EPYC with AVX-512 was measured 25–50 % off, or NaN, for small batches and channels),
/// while float64 takes libtorch's own kernels and is right. Training on such a machine silently goes nowhere; this suite
/// names the operation, the shape and the error instead. It runs through <see cref="TorchRuntime"/>, as users get it.</para>
/// <para>The error of one gradient is <c>max|g32 − g64| / (max|g64| + tiny)</c>, NaN or ±∞ in float32 counting as
/// infinite; a case passes when its largest error is at most its tolerance (<see cref="DefaultTolerance"/> unless
/// the case says otherwise).</para>
/// </remarks>
public static partial class OpGradientSuite
{
    /// <summary>The tolerance of a case that states none: float32 gradients of these small cases agree with float64 to about 1e-6.</summary>
    public const double DefaultTolerance = 1e-3;

    /// <summary>Keeps the relative error finite when the float64 gradient is exactly zero.</summary>
    const double Tiny = 1e-30;

    /// <summary>
    /// Perturbs a float32 gradient before it is compared: the test seam that shows a wrong kernel is caught.
    /// Returns the gradient to compare (the one given, or a replacement).
    /// </summary>
    /// <param name="testCase">The case.</param>
    /// <param name="gradient">The gradient's name: an input's (<c>input</c>, <c>weight</c>, ...) or a module parameter's.</param>
    /// <param name="float32Gradient">The float32 gradient as computed.</param>
    internal delegate Tensor GradientFault(OpGradientCase testCase, string gradient, Tensor float32Gradient);

    /// <summary>
    /// Runs <paramref name="cases"/> (default <see cref="Cases"/>), one after the other, and reports every result.
    /// A case that throws is reported as failed (infinite error) with the exception's message; the run goes on.
    /// </summary>
    /// <param name="cases">The cases to run; null for the whole catalogue.</param>
    /// <param name="threads">libtorch's intra-op threads during the run (restored afterwards); 0 keeps the current setting.
    /// Some kernel faults show only with several threads.</param>
    /// <param name="progress">Told each result as it is known.</param>
    /// <returns>The report; <see cref="OpGradientReport.ToString"/> names the worst failure.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threads"/> is negative.</exception>
    public static OpGradientReport Run(IEnumerable<OpGradientCase>? cases = null, int threads = 0, IProgress<OpGradientResult>? progress = null) =>
        Run(cases, threads, progress, fault: null);

    /// <inheritdoc cref="Run(IEnumerable{OpGradientCase}?, int, IProgress{OpGradientResult}?)"/>
    /// <param name="cases">The cases to run; null for the whole catalogue.</param>
    /// <param name="threads">libtorch's intra-op threads during the run; 0 keeps the current setting.</param>
    /// <param name="progress">Told each result as it is known.</param>
    /// <param name="fault">Applied to every float32 gradient before comparison (tests only).</param>
    internal static OpGradientReport Run(IEnumerable<OpGradientCase>? cases, int threads, IProgress<OpGradientResult>? progress, GradientFault? fault)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threads);
        TorchRuntime.EnsureInitialized();
        var previousThreads = get_num_threads();
        if (threads > 0)
            set_num_threads(threads);
        try
        {
            var stopwatch = Stopwatch.StartNew();
            var results = new List<OpGradientResult>();
            foreach (var testCase in cases ?? Cases)
            {
                var result = Check(testCase, fault);
                results.Add(result);
                progress?.Report(result);
            }
            return new OpGradientReport(results, stopwatch.Elapsed, get_num_threads());
        }
        finally
        {
            if (threads > 0)
                set_num_threads(previousThreads);
        }
    }

    /// <summary>Checks one case: float32 gradients of every input and parameter against float64.</summary>
    /// <param name="testCase">The case.</param>
    /// <returns>Its result; a case that throws is a failure with infinite error and the exception's message.</returns>
    public static OpGradientResult Check(OpGradientCase testCase)
    {
        TorchRuntime.EnsureInitialized();
        return Check(testCase, fault: null);
    }

    /// <summary>
    /// The relative error of a gradient: <c>max|actual − reference| / (max|reference| + tiny)</c>, computed in float64;
    /// positive infinity when either holds NaN or ±∞. Zero for identical gradients (and for two empty ones).
    /// </summary>
    /// <param name="actual">The gradient under test (float32, say).</param>
    /// <param name="reference">The reference gradient (float64), of the same shape.</param>
    /// <exception cref="ArgumentException">The shapes differ.</exception>
    public static double RelativeError(Tensor actual, Tensor reference)
    {
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(reference);
        if (!actual.shape.SequenceEqual(reference.shape))
            throw new ArgumentException($"OpGradientSuite.RelativeError: the gradients' shapes differ, {Shapes.Format(actual)} and {Shapes.Format(reference)}.", nameof(actual));
        if (actual.numel() == 0)
            return 0;
        using var scope = NewDisposeScope();
        var a = actual.detach().to(float64);
        var r = reference.detach().to(float64);
        if (!a.isfinite().all().item<bool>() || !r.isfinite().all().item<bool>())
            return double.PositiveInfinity;
        var difference = (a - r).abs().max().item<double>();
        var scale = r.abs().max().item<double>();
        return difference / (scale + Tiny);
    }

    internal static OpGradientResult Check(OpGradientCase testCase, GradientFault? fault)
    {
        ArgumentNullException.ThrowIfNull(testCase);
        // One scope per case: inputs, outputs, graphs and gradients of both dtypes are freed before the next case.
        using var scope = NewDisposeScope();
        using var gradients = enable_grad(); // also when called inside a no_grad block
        try
        {
            using var generator = new Generator(testCase.Seed, CPU);
            var inputs = new OpGradientInputs(generator);
            testCase.CreateInputs(inputs);
            Tensor? gradOutput = null;
            // The upstream gradient is drawn once, in float64, after the reference forward pass has given its shape.
            var reference = Gradients(testCase, inputs, float64, shape => gradOutput = randn(shape, float64, generator: generator), fault: null);
            var tested = Gradients(testCase, inputs, float32, _ => gradOutput!, fault);
            if (reference.Count == 0)
                throw new InvalidOperationException("the case has no gradient to compare (no differentiable input, no tracked parameter).");
            if (tested.Count != reference.Count)
                throw new InvalidOperationException($"the float32 pass tracked {tested.Count} gradients, the float64 pass {reference.Count}.");

            var worst = double.NegativeInfinity;
            string? worstName = null;
            for (var k = 0; k < reference.Count; k++)
            {
                if (!reference[k].Gradient.isfinite().all().item<bool>())
                    return Failed(testCase, $"the float64 reference gradient of {reference[k].Name} is not finite: the case itself is ill-posed", reference[k].Name);
                // An all-zero reference would let any float32 gradient of zeros pass: the case would check nothing.
                if (reference[k].Gradient.numel() > 0 && !reference[k].Gradient.ne(0).any().item<bool>())
                    return Failed(testCase, $"the float64 reference gradient of {reference[k].Name} is zero everywhere: the case checks nothing", reference[k].Name);
                var error = RelativeError(tested[k].Gradient, reference[k].Gradient);
                if (error > worst)
                {
                    worst = error;
                    worstName = reference[k].Name;
                }
            }
            return new OpGradientResult(testCase.Op, testCase.Shape, worst, testCase.Tolerance, worst <= testCase.Tolerance) { Gradient = worstName };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Failed(testCase, $"{e.GetType().Name}: {e.Message}", null);
        }
    }

    static OpGradientResult Failed(OpGradientCase testCase, string message, string? gradient) =>
        new(testCase.Op, testCase.Shape, double.PositiveInfinity, testCase.Tolerance, false) { Message = message, Gradient = gradient };

    /// <summary>Forward and backward in <paramref name="dtype"/>; the gradients of every leaf, in float64 (zeros for a leaf the output does not reach).</summary>
    static List<(string Name, Tensor Gradient)> Gradients(OpGradientCase testCase, OpGradientInputs inputs, ScalarType dtype, Func<long[], Tensor> gradOutput, GradientFault? fault)
    {
        using var context = new OpGradientContext(inputs, dtype);
        var output = testCase.Forward(context);
        if (output.dtype != dtype)
            throw new InvalidOperationException($"the forward pass returned {output.dtype} {Shapes.Format(output)} from {dtype} inputs: it must compute in its inputs' dtype, or float32 would not be tested.");
        if (!output.requires_grad)
            throw new InvalidOperationException($"the forward pass's output {Shapes.Format(output)} does not depend on any differentiable input.");
        output.backward([gradOutput(output.shape).to(dtype)]);
        var gradients = new List<(string, Tensor)>();
        foreach (var (name, leaf) in context.Leaves)
        {
            var gradient = leaf.grad is { } g ? g.detach() : zeros(leaf.shape, dtype);
            if (fault is not null)
                gradient = fault(testCase, name, gradient);
            gradients.Add((name, gradient.to(float64)));
        }
        return gradients;
    }
}
