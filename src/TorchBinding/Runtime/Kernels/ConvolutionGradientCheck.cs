using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Runtime.Kernels;

/// <summary>One convolution the self-check differentiates: its kind and shape.</summary>
/// <param name="Op">conv1d, conv2d, conv_transpose2d, or "two conv2d" (a chain, whose first weight gradient depends on the second's input gradient).</param>
/// <param name="Input">The input's shape (batch, channels, spatial sizes).</param>
/// <param name="OutChannels">Output channels.</param>
/// <param name="Kernel">Kernel size (square in 2-D).</param>
/// <param name="Stride">Stride.</param>
/// <param name="Padding">Padding.</param>
/// <param name="ChannelsLast">Whether the input is channels-last (<see cref="MemoryLayout"/>), which takes oneDNN kernels of its own.</param>
public sealed record ConvolutionCase(string Op, long[] Input, long OutChannels, long Kernel, long Stride = 1, long Padding = 0, bool ChannelsLast = false)
{
    /// <summary>E.g. <c>conv2d [3,4,8,8] -> 8 channels, kernel 3, stride 1, padding 1</c>, then <c>, channels-last</c> where it is.</summary>
    public override string ToString() =>
        $"{Op} [{string.Join(',', Input)}] -> {OutChannels} channels, kernel {Kernel}, stride {Stride}, padding {Padding}{(ChannelsLast ? ", channels-last" : "")}";
}

/// <summary>The self-check's worst case: which convolution, and how far its float32 gradients were from float64's.</summary>
/// <param name="Case">The convolution.</param>
/// <param name="Gradient">"input" or "weight" (of the first layer for a chain).</param>
/// <param name="RelativeError">max |g32 − g64| / max |g64|; infinity for NaN or infinite gradients.</param>
/// <param name="Threads">The intra-op thread count it ran with.</param>
public sealed record ConvolutionGradientError(ConvolutionCase Case, string Gradient, double RelativeError, int Threads)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Case}: {Gradient} gradient off by {(double.IsInfinity(RelativeError) ? "NaN/inf" : RelativeError.ToString("G3", System.Globalization.CultureInfo.InvariantCulture))} (relative to float64) with {Threads} thread(s)";
}

/// <summary>What one run of the self-check found.</summary>
/// <param name="Passed">Whether every gradient was within <see cref="ConvolutionGradientCheck.Tolerance"/>.</param>
/// <param name="Worst">The largest error seen (the first failure's op and shape when several fail).</param>
/// <param name="Evaluations">How many convolution gradients were compared.</param>
/// <param name="Milliseconds">Wall time of the check.</param>
public sealed record ConvolutionCheckResult(bool Passed, ConvolutionGradientError Worst, int Evaluations, double Milliseconds);

/// <summary>
/// Compares libtorch's float32 convolution gradients with float64's on small shapes, the kind on which libtorch 2.10's
/// oneDNN backward kernels were measured wrong (AMD EPYC with AVX-512; see DESIGN.md). float64 never takes oneDNN, so it
/// is the reference. The fault shows nondeterministically with several threads and consistently with one, so every shape
/// is repeated with fresh data at the running thread count and once more with one thread.
/// </summary>
public static class ConvolutionGradientCheck
{
    /// <summary>The largest relative error accepted: float32 rounding gives about 1e-6 here; the fault gives 0.25 to NaN.</summary>
    public const double Tolerance = 1e-3;

    /// <summary>The convolutions checked: the shapes measured wrong, 1x1 and strided ones, a transposed one and a two-layer chain.</summary>
    public static IReadOnlyList<ConvolutionCase> Cases { get; } =
    [
        new("conv2d", [3, 4, 8, 8], 8, 3, Padding: 1),
        new("conv2d", [3, 1, 16, 16], 4, 3, Padding: 1),
        new("conv1d", [4, 3, 20], 5, 5),
        new("conv2d", [2, 8, 9, 9], 6, 3, Stride: 2, Padding: 1),
        // 1x1 convolutions take kernels of their own (a residual block's shortcut where the width changes).
        new("conv2d", [2, 4, 6, 6], 8, 1, Stride: 2),
        new("conv2d", [3, 6, 5, 5], 3, 1),
        new("conv_transpose2d", [2, 4, 5, 5], 3, 3, Stride: 2, Padding: 1),
        new("two conv2d", [4, 1, 12, 12], 4, 3, Padding: 1),
        // The models lay feature maps out channels-last on the CPU (ActivationLayout.Auto), where oneDNN runs other kernels.
        new("conv2d", [3, 4, 8, 8], 8, 3, Padding: 1, ChannelsLast: true),
        new("conv2d", [3, 1, 16, 16], 4, 3, Padding: 1, ChannelsLast: true),
        new("conv2d", [2, 8, 9, 9], 6, 3, Stride: 2, Padding: 1, ChannelsLast: true),
        new("conv2d", [2, 4, 6, 6], 8, 1, Stride: 2, ChannelsLast: true),
        new("conv_transpose2d", [2, 4, 5, 5], 3, 3, Stride: 2, Padding: 1, ChannelsLast: true),
        new("two conv2d", [4, 1, 12, 12], 4, 3, Padding: 1, ChannelsLast: true),
    ];

    /// <summary>
    /// Runs the check: <paramref name="repeats"/> times every case at the current thread count, and once with one thread
    /// if that differs. Uses its own random generator, so the user's seeded streams are untouched.
    /// </summary>
    /// <param name="repeats">Repeats at the current thread count (at least 1).</param>
    /// <param name="fault">Test seam: changes the float32 gradients before they are compared (null: none).</param>
    public static ConvolutionCheckResult Run(int repeats = 3, Func<ConvolutionCase, Tensor, Tensor>? fault = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var clock = Stopwatch.StartNew();
        var threads = get_num_threads();
        ConvolutionGradientError? worst = null, firstFailure = null;
        var evaluations = 0;
        var generator = new Generator(20231);
        void Measure(int times)
        {
            for (var round = 0; round < times; round++)
            {
                foreach (var convolution in Cases)
                {
                    foreach (var error in Compare(convolution, generator, fault))
                    {
                        evaluations++;
                        if (worst is null || !(error.RelativeError <= worst.RelativeError))
                            worst = error;
                        if (firstFailure is null && !(error.RelativeError <= Tolerance))
                            firstFailure = error;
                    }
                }
            }
        }
        try
        {
            Measure(repeats);
            if (threads > 1)
            {
                set_num_threads(1);
                Measure(1);
            }
        }
        finally
        {
            if (get_num_threads() != threads)
                set_num_threads(threads);
            generator.Dispose();
        }
        return new ConvolutionCheckResult(firstFailure is null, firstFailure ?? worst!, evaluations, clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>The input and weight gradients of one case, float32 against float64 on the same data.</summary>
    static IEnumerable<ConvolutionGradientError> Compare(ConvolutionCase convolution, Generator generator, Func<ConvolutionCase, Tensor, Tensor>? fault)
    {
        using var scope = NewDisposeScope();
        // The runtime may start inside a user's no_grad block; the check differentiates all the same.
        using var gradients = enable_grad();
        var threads = get_num_threads();
        var channels = convolution.Input[1];
        var spatial = convolution.Input.Length - 2;
        long[] weightShape = convolution.Op == "conv_transpose2d"
            ? [channels, convolution.OutChannels, convolution.Kernel, convolution.Kernel]
            : [convolution.OutChannels, channels, .. Enumerable.Repeat(convolution.Kernel, spatial)];
        var input = randn(convolution.Input, float64, generator: generator);
        var weight = randn(weightShape, float64, generator: generator) / Math.Sqrt(channels * Math.Pow(convolution.Kernel, spatial));
        var second = randn([8, convolution.OutChannels, 3, 3], float64, generator: generator) / Math.Sqrt(convolution.OutChannels * 9);

        Tensor? outputGradient = null;
        (Tensor Input, Tensor Weight) Gradients(ScalarType dtype)
        {
            using var converted = input.to(dtype);
            var x = (convolution.ChannelsLast ? converted.ToChannelsLast() : converted).detach().requires_grad_();
            var w = weight.to(dtype).detach().requires_grad_();
            var y = Apply(convolution, x, w, second.to(dtype));
            // The same random output gradient for both dtypes: a ones gradient would sum away errors that cancel.
            outputGradient ??= randn(y.shape, float64, generator: generator);
            y.backward([outputGradient.to(dtype)]);
            return (x.grad!, w.grad!);
        }
        var exact = Gradients(float64);
        var single = Gradients(float32);
        var (inputGradient, weightGradient) = fault is null ? single : (fault(convolution, single.Input), fault(convolution, single.Weight));
        return
        [
            new(convolution, convolution.Op == "two conv2d" ? "first layer's input" : "input", OpGradientSuite.RelativeError(inputGradient, exact.Input), threads),
            new(convolution, convolution.Op == "two conv2d" ? "first layer's weight" : "weight", OpGradientSuite.RelativeError(weightGradient, exact.Weight), threads),
        ];
    }

    static Tensor Apply(ConvolutionCase c, Tensor x, Tensor w, Tensor second)
    {
        var (stride, padding) = (c.Stride, c.Padding);
        return c.Op switch
        {
            "conv1d" => nn.functional.conv1d(x, w, stride: stride, padding: padding),
            "conv2d" => nn.functional.conv2d(x, w, strides: [stride, stride], padding: [padding, padding]),
            "conv_transpose2d" => nn.functional.conv_transpose2d(x, w, strides: [stride, stride], padding: [padding, padding], output_padding: [stride - 1, stride - 1]),
            "two conv2d" => nn.functional.conv2d(nn.functional.conv2d(x, w, padding: [padding, padding]).tanh(), second, padding: [1, 1]),
            _ => throw new InvalidOperationException($"Unknown convolution '{c.Op}'."),
        };
    }
}
