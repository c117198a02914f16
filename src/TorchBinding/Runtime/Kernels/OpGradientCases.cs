using TorchBinding.Activations;
using TorchBinding.Losses;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace TorchBinding.Runtime.Kernels;

public static partial class OpGradientSuite
{
    /// <summary>
    /// The catalogue: every operation the library's models and losses use, on a grid of small shapes (batch 1–4,
    /// channels 1–8, odd sizes, strides 1–2, padding 0–2), where the faulty float32 kernels were seen. Inputs avoid
    /// kinks and ties, where float32 and float64 could legitimately differ.
    /// </summary>
    public static IReadOnlyList<OpGradientCase> Cases { get; } =
    [
        .. Convolutions(), .. Pooling(), .. Normalisations(), .. LinearMaps(), .. Attention(),
        .. ActivationFunctions(), .. Resampling(), .. CatalogLosses(), .. TorchLosses(),
    ];

    /// <summary>Operations the library uses that have no case, and why.</summary>
    public static IReadOnlyList<OpGradientExclusion> Excluded { get; } =
    [
        new("dropout", "Random: the float32 and float64 passes would draw different masks. Its backward is a multiplication by the mask, which the other cases exercise."),
        new("dropout2d", "Random, as dropout."),
        new("one_hot", "Integer output: no gradient."),
    ];

    static IEnumerable<OpGradientCase> Convolutions()
    {
        // conv1d: batch, channels, length -> out channels, kernel, stride, padding.
        foreach (var (n, c, l, o, k, s, p) in new (long, long, long, long, long, long, long)[]
                 { (1, 1, 9, 2, 3, 1, 0), (2, 3, 11, 4, 3, 2, 1), (4, 8, 7, 8, 5, 1, 2), (3, 2, 10, 3, 1, 1, 0) })
        {
            yield return new("conv1d", $"{S(n, c, l)} -> {o}, k{k} s{s} p{p}",
                i => { i.Normal("input", [n, c, l]); i.Normal("weight", [o, c, k], Fan(c * k)); i.Normal("bias", [o], 0.1); },
                x => F.conv1d(x["input"], x["weight"], x["bias"], stride: s, padding: p));
        }

        // conv2d where the faulty kernels were measured: batch 1-4, 1-8 channels, small odd images.
        yield return Conv2d([1, 1, 7, 7], 1, kernel: 3, stride: 1, padding: 0);
        yield return Conv2d([2, 3, 8, 8], 4, kernel: 3, stride: 1, padding: 1);
        yield return Conv2d([2, 1, 9, 9], 8, kernel: 3, stride: 2, padding: 1);
        yield return Conv2d([3, 4, 8, 8], 8, kernel: 3, stride: 1, padding: 1);
        yield return Conv2d([4, 8, 7, 7], 8, kernel: 3, stride: 1, padding: 1);
        yield return Conv2d([4, 8, 9, 9], 4, kernel: 5, stride: 2, padding: 2);
        yield return Conv2d([2, 4, 6, 6], 6, kernel: 1, stride: 1, padding: 0);
        yield return Conv2d([1, 8, 5, 5], 8, kernel: 3, stride: 1, padding: 2);
        yield return Conv2d([2, 2, 10, 10], 3, kernel: 4, stride: 2, padding: 1);
        yield return Conv2d([4, 3, 16, 16], 8, kernel: 3, stride: 1, padding: 1);
        yield return Conv2d([2, 3, 7, 7], 4, kernel: 3, stride: 1, padding: 1, bias: false);
        yield return Conv2d([2, 4, 7, 7], 6, kernel: 3, stride: 1, padding: 1, groups: 2);
        yield return Conv2d([2, 8, 6, 6], 8, kernel: 3, stride: 2, padding: 1, groups: 4);
        yield return Conv2d([2, 4, 7, 7], 4, kernel: 3, stride: 1, padding: 1, groups: 4);
        yield return Conv2d([3, 8, 9, 9], 16, kernel: 3, stride: 2, padding: 1, groups: 8);
        yield return Conv2d([2, 3, 9, 9], 4, kernel: 3, stride: 1, padding: 2, dilation: 2);
        yield return Conv2d([1, 2, 11, 11], 3, kernel: 3, stride: 2, padding: 0, dilation: 3);
        yield return new("conv2d", "[3,2,11,7] -> 3, k3x5 s1x2 p1x0",
            i => { i.Normal("input", [3, 2, 11, 7]); i.Normal("weight", [3, 2, 3, 5], Fan(2 * 3 * 5)); i.Normal("bias", [3], 0.1); },
            x => F.conv2d(x["input"], x["weight"], x["bias"], strides: [1, 2], padding: [1, 0]));

        // Two layers, as in a small CNN: the first layer's weight gradient comes through the second's input gradient.
        // tanh between them rather than ReLU, which would add kinks.
        yield return new("conv2d+tanh+conv2d", "[2,1,9,9] -> 4, k3 s1 p1 -> 8, k3 s2 p1",
            i =>
            {
                i.Normal("input", [2, 1, 9, 9]);
                i.Normal("weight1", [4, 1, 3, 3], Fan(9)); i.Normal("bias1", [4], 0.1);
                i.Normal("weight2", [8, 4, 3, 3], Fan(36)); i.Normal("bias2", [8], 0.1);
            },
            x =>
            {
                var hidden = F.conv2d(x["input"], x["weight1"], x["bias1"], padding: [1, 1]).tanh();
                return F.conv2d(hidden, x["weight2"], x["bias2"], strides: [2, 2], padding: [1, 1]);
            });

        foreach (var (input, o, k, s, p) in new (long[], long, long, long, long)[]
                 { ([1, 2, 5, 5, 5], 3, 3, 1, 1), ([2, 1, 6, 6, 6], 2, 3, 2, 0) })
        {
            yield return new("conv3d", $"{S(input)} -> {o}, k{k} s{s} p{p}",
                i => { i.Normal("input", input); i.Normal("weight", [o, input[1], k, k, k], Fan(input[1] * k * k * k)); i.Normal("bias", [o], 0.1); },
                x => F.conv3d(x["input"], x["weight"], x["bias"], strides: [s, s, s], padding: [p, p, p]));
        }

        // Transposed convolutions: weight [in, out, k...]; stride 2 with output_padding is the decoders' upsampling.
        foreach (var (n, c, l, o, k, s, p, op) in new (long, long, long, long, long, long, long, long)[]
                 { (2, 3, 5, 4, 3, 2, 1, 1), (1, 2, 6, 2, 4, 2, 1, 0), (3, 4, 7, 2, 3, 1, 1, 0) })
        {
            yield return new("conv_transpose1d", $"{S(n, c, l)} -> {o}, k{k} s{s} p{p} op{op}",
                i => { i.Normal("input", [n, c, l]); i.Normal("weight", [c, o, k], Fan(c * k)); i.Normal("bias", [o], 0.1); },
                x => F.conv_transpose1d(x["input"], x["weight"], x["bias"], stride: s, padding: p, output_padding: op));
        }
        foreach (var (input, o, k, s, p, op) in new (long[], long, long, long, long, long)[]
                 { ([2, 4, 4, 4], 3, 3, 2, 1, 1), ([1, 8, 3, 5], 4, 4, 2, 1, 0), ([3, 2, 5, 5], 2, 3, 1, 1, 0), ([2, 3, 4, 4], 1, 2, 2, 0, 0), ([4, 8, 5, 5], 8, 3, 2, 1, 1) })
        {
            var c = input[1];
            yield return new("conv_transpose2d", $"{S(input)} -> {o}, k{k} s{s} p{p} op{op}",
                i => { i.Normal("input", input); i.Normal("weight", [c, o, k, k], Fan(c * k * k)); i.Normal("bias", [o], 0.1); },
                x => F.conv_transpose2d(x["input"], x["weight"], x["bias"], strides: [s, s], padding: [p, p], output_padding: [op, op]));
        }
    }

    static OpGradientCase Conv2d(long[] input, long outChannels, long kernel, long stride, long padding, long dilation = 1, long groups = 1, bool bias = true)
    {
        var c = input[1];
        var setting = $"{S(input)} -> {outChannels}, k{kernel} s{stride} p{padding}"
            + (dilation != 1 ? $" d{dilation}" : "")
            + (groups == 1 ? "" : groups == c ? " depthwise" : $" groups {groups}")
            + (bias ? "" : " no bias");
        return new("conv2d", setting,
            i =>
            {
                i.Normal("input", input);
                i.Normal("weight", [outChannels, c / groups, kernel, kernel], Fan(c / groups * kernel * kernel));
                if (bias)
                    i.Normal("bias", [outChannels], 0.1);
            },
            x => F.conv2d(x["input"], x["weight"], bias ? x["bias"] : null, strides: [stride, stride], padding: [padding, padding], dilation: [dilation, dilation], groups: groups));
    }

    static IEnumerable<OpGradientCase> Pooling()
    {
        // Distinct values: a tie inside a window could be broken differently by the two dtypes.
        yield return new("max_pool1d", "[2,3,11], k3 s2 p1", i => i.Distinct("input", [2, 3, 11]), x => F.max_pool1d(x["input"], 3, stride: 2, padding: 1));
        yield return new("max_pool1d", "[1,4,8], k2 s2", i => i.Distinct("input", [1, 4, 8]), x => F.max_pool1d(x["input"], 2, stride: 2));
        yield return new("max_pool2d", "[2,3,8,8], k2 s2", i => i.Distinct("input", [2, 3, 8, 8]), x => F.max_pool2d(x["input"], 2, stride: 2));
        yield return new("max_pool2d", "[1,4,9,9], k3 s2 p1", i => i.Distinct("input", [1, 4, 9, 9]), x => F.max_pool2d(x["input"], 3, stride: 2, padding: 1));
        yield return new("max_pool2d", "[3,2,7,7], k3 s1 (overlapping)", i => i.Distinct("input", [3, 2, 7, 7]), x => F.max_pool2d(x["input"], 3, stride: 1));
        yield return new("avg_pool2d", "[2,3,8,8], k2 s2", i => i.Normal("input", [2, 3, 8, 8]), x => F.avg_pool2d(x["input"], 2, stride: 2));
        yield return new("avg_pool2d", "[1,4,9,9], k3 s2 p1", i => i.Normal("input", [1, 4, 9, 9]), x => F.avg_pool2d(x["input"], 3, stride: 2, padding: 1));
        yield return new("avg_pool2d", "[2,2,7,7], k3 s1 p1, padding not counted", i => i.Normal("input", [2, 2, 7, 7]),
            x => F.avg_pool2d(x["input"], 3, stride: 1, padding: 1, count_include_pad: false));
        yield return new("adaptive_avg_pool2d", "[2,4,7,7] -> 1x1", i => i.Normal("input", [2, 4, 7, 7]), x => F.adaptive_avg_pool2d(x["input"], [1, 1]));
        yield return new("adaptive_avg_pool2d", "[1,3,9,9] -> 3x3", i => i.Normal("input", [1, 3, 9, 9]), x => F.adaptive_avg_pool2d(x["input"], [3, 3]));
        yield return new("adaptive_avg_pool2d", "[2,2,5,7] -> 2x3 (overlapping windows)", i => i.Normal("input", [2, 2, 5, 7]), x => F.adaptive_avg_pool2d(x["input"], [2, 3]));
        yield return new("adaptive_max_pool2d", "[2,4,7,7] -> 1x1", i => i.Distinct("input", [2, 4, 7, 7]), x => F.adaptive_max_pool2d(x["input"], [1, 1]));
        yield return new("adaptive_max_pool2d", "[1,3,9,9] -> 2x2", i => i.Distinct("input", [1, 3, 9, 9]), x => F.adaptive_max_pool2d(x["input"], [2, 2]));
    }

    static IEnumerable<OpGradientCase> Normalisations()
    {
        // Batch norm in training mode (batch statistics). A [2, C] batch is left out on purpose: with two samples the
        // normalised values are exactly ±1 and the input gradient is exactly 0, so any rounding is a 100 % error.
        foreach (var shape in new long[][] { [4, 3, 5, 5], [2, 8, 3, 3], [3, 1, 7, 7], [2, 4, 2, 2], [8, 5], [4, 3, 6] })
        {
            var c = shape[1];
            yield return new("batch_norm", $"{S(shape)}, training ({(shape.Length == 4 ? "2d" : "1d")})",
                i => AffineInputs(i, shape, c),
                x => F.batch_norm(x["input"], zeros(c, x.DType), ones(c, x.DType), x["weight"], x["bias"], training: true));
        }
        foreach (var (shape, normalized) in new (long[], long[])[] { ([4, 10], [10]), ([2, 5, 8], [8]), ([2, 3, 4, 4], [3, 4, 4]) })
        {
            yield return new("layer_norm", $"{S(shape)} over {S(normalized)}",
                i => AffineInputs(i, shape, normalized),
                x => F.layer_norm(x["input"], normalized, x["weight"], x["bias"]));
        }
        foreach (var (shape, groups) in new (long[], long)[] { ([2, 6, 5, 5], 3), ([3, 4, 7], 2), ([1, 8, 4, 4], 8), ([2, 4, 3, 3], 1) })
        {
            yield return new("group_norm", $"{S(shape)}, {groups} groups",
                i => AffineInputs(i, shape, shape[1]),
                x => F.group_norm(x["input"], groups, x["weight"], x["bias"]));
        }
        foreach (var shape in new long[][] { [2, 3, 6, 6], [3, 4, 9] })
        {
            yield return new("instance_norm", $"{S(shape)}, affine",
                i => AffineInputs(i, shape, shape[1]),
                x => F.instance_norm(x["input"], weight: x["weight"], bias: x["bias"]));
        }
    }

    /// <summary>An input, a scale near 1 and a shift: a normalisation layer's arguments.</summary>
    static void AffineInputs(OpGradientInputs inputs, long[] shape, params long[] parameterShape)
    {
        inputs.Normal("input", shape, 2.0);
        inputs.Add("weight", 1 + 0.2 * inputs.NormalValues(parameterShape));
        inputs.Normal("bias", parameterShape, 0.1);
    }

    static IEnumerable<OpGradientCase> LinearMaps()
    {
        foreach (var (input, o, bias) in new (long[], long, bool)[]
                 { ([4, 10], 6, true), ([4, 10], 6, false), ([2, 5, 8], 3, true), ([2, 5, 8], 3, false), ([1, 3, 4, 7], 5, true) })
        {
            var inFeatures = input[^1];
            yield return new("linear", $"{S(input)} -> {o}{(bias ? "" : ", no bias")}",
                i =>
                {
                    i.Normal("input", input);
                    i.Normal("weight", [o, inFeatures], Fan(inFeatures));
                    if (bias)
                        i.Normal("bias", [o], 0.1);
                },
                x => F.linear(x["input"], x["weight"], bias ? x["bias"] : null));
        }

        // The embedding module's own kernel (a gather forward, a scatter-add backward); repeated indices accumulate.
        foreach (var (rows, dim, indices) in new (long, long, long[])[] { (10, 4, [2, 5]), (16, 8, [3, 7]) })
        {
            yield return new("embedding", $"{rows}x{dim} table, indices {S(indices)}",
                i => { i.Constant("table", i.NormalValues([rows, dim])); i.Constant("indices", i.Integers(rows, indices)); },
                x =>
                {
                    // from_pretrained rather than a fresh module: it draws nothing from libtorch's global generator.
                    // Its weight is read from the property: named_parameters() returns a stale copy for this module.
                    var embedding = x.Use(nn.Embedding_from_pretrained(x["table"].clone(), freeze: false, dtype: x.DType));
                    x.Track("embedding.weight", embedding.weight!);
                    return embedding.call(x["indices"]);
                });
        }

        yield return new("bilinear", "[4,3] x [4,5] -> 6",
            i => { i.Normal("input1", [4, 3]); i.Normal("input2", [4, 5]); i.Normal("weight", [6, 3, 5], Fan(15)); i.Normal("bias", [6], 0.1); },
            x => F.bilinear(x["input1"], x["input2"], x["weight"], x["bias"]));
        yield return new("bilinear", "[2,3,3] x [2,3,4] -> 2, no bias",
            i => { i.Normal("input1", [2, 3, 3]); i.Normal("input2", [2, 3, 4]); i.Normal("weight", [2, 3, 4], Fan(12)); },
            x => F.bilinear(x["input1"], x["input2"], x["weight"]));
        yield return new("matmul", "[2,3,4] @ [4,5]",
            i => { i.Normal("input", [2, 3, 4]); i.Normal("other", [4, 5]); },
            x => x["input"].matmul(x["other"]));
        yield return new("matmul", "[2,2,5,4] @ [2,2,4,5]",
            i => { i.Normal("input", [2, 2, 5, 4]); i.Normal("other", [2, 2, 4, 5]); },
            x => x["input"].matmul(x["other"]));
        yield return new("bmm", "[3,4,5] @ [3,5,2]",
            i => { i.Normal("input", [3, 4, 5]); i.Normal("other", [3, 5, 2]); },
            x => x["input"].bmm(x["other"]));
        yield return new("bmm", "[1,7,3] @ [1,3,7]",
            i => { i.Normal("input", [1, 7, 3]); i.Normal("other", [1, 3, 7]); },
            x => x["input"].bmm(x["other"]));
    }

    static IEnumerable<OpGradientCase> Attention()
    {
        // batch, heads, query length, key length, head dim.
        foreach (var (b, h, lq, lk, d) in new (long, long, long, long, long)[] { (2, 2, 5, 5, 4), (1, 4, 7, 7, 8) })
        {
            foreach (var causal in new[] { false, true })
            {
                var setting = $"q,k,v {S(b, h, lq, d)}{(causal ? ", causal" : "")}";
                yield return new("attention", "softmax(QKᵀ/√d)V, " + setting, i => AttentionInputs(i, b, h, lq, lk, d),
                    x => ExplicitAttention(x["query"], x["key"], x["value"], causal));
                yield return new("scaled_dot_product_attention", setting, i => AttentionInputs(i, b, h, lq, lk, d),
                    x => F.scaled_dot_product_attention(x["query"], x["key"], x["value"], is_casual: causal));
            }
        }
        yield return new("scaled_dot_product_attention", "q [2,2,3,4], k,v [2,2,6,4] (cross-attention)", i => AttentionInputs(i, 2, 2, 3, 6, 4),
            x => F.scaled_dot_product_attention(x["query"], x["key"], x["value"]));
    }

    static void AttentionInputs(OpGradientInputs inputs, long batch, long heads, long queries, long keys, long dim)
    {
        inputs.Normal("query", [batch, heads, queries, dim]);
        inputs.Normal("key", [batch, heads, keys, dim]);
        inputs.Normal("value", [batch, heads, keys, dim]);
    }

    /// <summary>Attention written out, as the lecture's transformer does it.</summary>
    static Tensor ExplicitAttention(Tensor query, Tensor key, Tensor value, bool causal)
    {
        var scores = query.matmul(key.transpose(-2, -1)) / Math.Sqrt(query.shape[^1]);
        if (causal)
        {
            var future = ones(query.shape[^2], key.shape[^2], ScalarType.Bool).triu(1);
            scores = scores.masked_fill(future, double.NegativeInfinity);
        }
        return scores.softmax(-1).matmul(value);
    }

    static IEnumerable<OpGradientCase> ActivationFunctions()
    {
        foreach (var activation in Enum.GetValues<Activation>())
        {
            if (activation == Activation.BinaryStep)
            {
                // The step's true derivative is 0 everywhere: nothing to compare. What trains through a step is a
                // straight-through estimator (StepSurrogate): the step forward, a surrogate's derivative backward.
                foreach (var surrogate in new[] { StepSurrogate.Identity, StepSurrogate.SigmoidDerivative })
                {
                    yield return new($"activation:{activation}", $"[3,7], straight-through ({surrogate})", i => i.AwayFromZero("input", [3, 7]),
                        x => StraightThroughStep(x, surrogate));
                }
                continue;
            }
            // Inputs away from 0, where the ReLU family has its kink.
            foreach (var shape in new long[][] { [3, 7], [2, 3, 5, 5] })
            {
                yield return new($"activation:{activation}", S(shape), i => i.AwayFromZero("input", shape, 0.05),
                    x =>
                    {
                        var module = x.Use(ActivationModules.Create(activation));
                        foreach (var (name, parameter) in module.named_parameters())
                            x.Track($"activation.{name}", parameter); // PReLU's α
                        return module.call(x["input"]);
                    });
            }
        }
        foreach (var (shape, dim) in new (long[], long)[] { ([4, 10], 1), ([2, 3, 6], -1) })
        {
            yield return new("softmax", $"{S(shape)}, dim {dim}", i => i.Normal("input", shape, 3.0), x => F.softmax(x["input"], dim));
            yield return new("log_softmax", $"{S(shape)}, dim {dim}", i => i.Normal("input", shape, 3.0), x => F.log_softmax(x["input"], dim));
        }
    }

    /// <summary>The binary step forward, the surrogate's derivative backward: <c>g(x) + (step(x) − g(x))</c> with the bracket detached.</summary>
    static Tensor StraightThroughStep(OpGradientContext context, StepSurrogate surrogate)
    {
        var input = context["input"];
        var step = context.Use(ActivationModules.Create(Activation.BinaryStep)).call(input);
        var smooth = surrogate == StepSurrogate.Identity ? input : input.sigmoid();
        return smooth + (step - smooth).detach();
    }

    static IEnumerable<OpGradientCase> Resampling()
    {
        yield return new("interpolate", "nearest, [2,3,5,5] -> 10x10", i => i.Normal("input", [2, 3, 5, 5]),
            x => F.interpolate(x["input"], size: [10, 10], mode: InterpolationMode.Nearest));
        yield return new("interpolate", "nearest, [1,2,5,7] -> 8x9", i => i.Normal("input", [1, 2, 5, 7]),
            x => F.interpolate(x["input"], size: [8, 9], mode: InterpolationMode.Nearest));
        yield return new("interpolate", "bilinear, [2,3,5,5] -> 9x9", i => i.Normal("input", [2, 3, 5, 5]),
            x => F.interpolate(x["input"], size: [9, 9], mode: InterpolationMode.Bilinear, align_corners: false));
        yield return new("interpolate", "bilinear, [1,2,4,6] x2", i => i.Normal("input", [1, 2, 4, 6]),
            x => F.interpolate(x["input"], scale_factor: [2.0, 2.0], mode: InterpolationMode.Bilinear, align_corners: false));
        yield return new("interpolate", "bilinear align_corners, [2,3,5,5] -> 9x9", i => i.Normal("input", [2, 3, 5, 5]),
            x => F.interpolate(x["input"], size: [9, 9], mode: InterpolationMode.Bilinear, align_corners: true));
        yield return new("interpolate", "bilinear align_corners, [1,2,4,6] -> 7x11", i => i.Normal("input", [1, 2, 4, 6]),
            x => F.interpolate(x["input"], size: [7, 11], mode: InterpolationMode.Bilinear, align_corners: true));
        // The module the U-Net's decoder uses.
        yield return new("upsample", "nearest x2, [2,3,4,4]", i => i.Normal("input", [2, 3, 4, 4]),
            x => x.Use(nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Nearest)).call(x["input"]));
        yield return new("upsample", "bilinear x2, [2,4,5,5]", i => i.Normal("input", [2, 4, 5, 5]),
            x => x.Use(nn.Upsample(scale_factor: [2.0, 2.0], mode: UpsampleMode.Bilinear, align_corners: false)).call(x["input"]));
        foreach (var mode in new[] { PaddingModes.Constant, PaddingModes.Reflect, PaddingModes.Replicate })
        {
            yield return new("pad", $"{mode}, [2,3,5,5] by (1,1,2,2)", i => i.Normal("input", [2, 3, 5, 5]),
                x => F.pad(x["input"], [1, 1, 2, 2], mode));
        }
    }

    static IEnumerable<OpGradientCase> CatalogLosses()
    {
        foreach (var loss in LossCatalog.All)
        {
            var op = $"loss:{loss.Name}";
            if (loss == LossCatalog.SvmHinge)
            {
                // Margins y·f kept at least 0.1 from 1, the hinge's kink.
                foreach (var shape in new long[][] { [6], [6, 1] })
                {
                    yield return new(op, $"scores {S(shape)}, ±1 labels",
                        i =>
                        {
                            var labels = i.NormalValues(shape).sign();
                            var offset = i.NormalValues(shape).sign() * (0.1 + i.UniformValues(shape));
                            i.Constant("labels", labels);
                            i.Add("scores", labels * (1 + offset));
                        },
                        x => loss.Create()(x["scores"], x["labels"]));
                }
                continue;
            }
            // With σ = softmax or sigmoid the hinge family's margins are never reached (σ ∈ (0, 1)), and |σ(o) − y| never
            // vanishes for one-hot y: no kinks. L1 and L2 on raw scores meet y = o with probability 0.
            yield return new(op, $"scores [4,5], class indices{(loss.UsesSquash ? ", softmax" : "")}",
                i => { i.Normal("scores", [4, 5], 2.0); i.Constant("target", i.Integers(5, [4])); },
                x => loss.Create()(x["scores"], x["target"]));
            if (loss.UsesSquash)
            {
                yield return new(op, "scores [3,6], one-hot targets, sigmoid",
                    i => { i.Normal("scores", [3, 6], 2.0); i.Constant("target", F.one_hot(i.Integers(6, [3]), 6).to(float64)); },
                    x => loss.Create(Squash.Sigmoid)(x["scores"], x["target"]));
            }
            else
            {
                yield return new(op, "scores [3,6], soft targets",
                    i => { i.Normal("scores", [3, 6], 2.0); i.Constant("target", i.UniformValues([3, 6])); },
                    x => loss.Create()(x["scores"], x["target"]));
            }
        }
    }

    static IEnumerable<OpGradientCase> TorchLosses()
    {
        yield return new("cross_entropy", "[4,5], class indices",
            i => { i.Normal("input", [4, 5], 2.0); i.Constant("target", i.Integers(5, [4])); },
            x => F.cross_entropy(x["input"], x["target"]));
        yield return new("cross_entropy", "[4,5], class indices, label smoothing 0.1",
            i => { i.Normal("input", [4, 5], 2.0); i.Constant("target", i.Integers(5, [4])); },
            x => F.cross_entropy(x["input"], x["target"], label_smoothing: 0.1));
        yield return new("cross_entropy", "[4,5], probability targets",
            i => { i.Normal("input", [4, 5], 2.0); i.Constant("target", i.NormalValues([4, 5]).softmax(1)); },
            x => F.cross_entropy(x["input"], x["target"]));
        yield return new("cross_entropy", "[2,5,3,3], per-pixel class indices",
            i => { i.Normal("input", [2, 5, 3, 3], 2.0); i.Constant("target", i.Integers(5, [2, 3, 3])); },
            x => F.cross_entropy(x["input"], x["target"]));
        yield return new("binary_cross_entropy_with_logits", "[4,3], soft targets",
            i => { i.Normal("input", [4, 3], 2.0); i.Constant("target", i.UniformValues([4, 3])); },
            x => F.binary_cross_entropy_with_logits(x["input"], x["target"]));
        yield return new("binary_cross_entropy_with_logits", "[8], 0/1 targets",
            i => { i.Normal("input", [8], 2.0); i.Constant("target", i.Integers(2, [8]).to(float64)); },
            x => F.binary_cross_entropy_with_logits(x["input"], x["target"]));
        yield return new("binary_cross_entropy_with_logits", "[4,3], 0/1 targets, positive weights",
            i => { i.Normal("input", [4, 3], 2.0); i.Constant("target", i.Integers(2, [4, 3]).to(float64)); i.Constant("pos_weight", 0.5 + i.UniformValues([3])); },
            x => F.binary_cross_entropy_with_logits(x["input"], x["target"], pos_weights: x["pos_weight"]));
        yield return new("mse_loss", "[4,6]",
            i => { i.Normal("input", [4, 6]); i.Constant("target", i.NormalValues([4, 6])); },
            x => F.mse_loss(x["input"], x["target"]));
        yield return new("mse_loss", "[2,3,5,5], both differentiable",
            i => { i.Normal("input", [2, 3, 5, 5]); i.Normal("target", [2, 3, 5, 5]); },
            x => F.mse_loss(x["input"], x["target"]));
        // log_target is always given: TorchSharp's default is true, PyTorch's false. Summed, since libtorch warns about
        // the mean reduction of kl_div at every call.
        yield return new("kl_div", "[4,5], log-probabilities vs probabilities",
            i => { i.Normal("input", [4, 5], 2.0); i.Constant("target", i.NormalValues([4, 5]).softmax(1)); },
            x => F.kl_div(x["input"].log_softmax(1), x["target"], log_target: false, reduction: nn.Reduction.Sum));
        yield return new("kl_div", "[4,5], log-probabilities vs log-probabilities, both differentiable",
            i => { i.Normal("input", [4, 5], 2.0); i.Normal("target", [4, 5], 2.0); },
            x => F.kl_div(x["input"].log_softmax(1), x["target"].log_softmax(1), log_target: true, reduction: nn.Reduction.Sum));
        // The RL agents' Huber loss; differences kept away from 0 and from β = 1, its two kinks.
        yield return new("smooth_l1_loss", "[4,6], beta 1",
            i =>
            {
                var target = i.NormalValues([4, 6]);
                var size = i.UniformValues([4, 6]);
                var magnitude = where(size.lt(0.5), 0.1 + size, 1.2 + size); // in [0.1, 0.6) or [1.7, 2.2)
                i.Constant("target", target);
                i.Add("input", target + i.NormalValues([4, 6]).sign() * magnitude);
            },
            x => F.smooth_l1_loss(x["input"], x["target"]));
    }

    /// <summary>A shape as the report writes it: <c>[2,3,8,8]</c>.</summary>
    static string S(params long[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>The scale of weights with this fan-in, so that outputs stay of order 1.</summary>
    static double Fan(long fanIn) => 1 / Math.Sqrt(fanIn);
}
