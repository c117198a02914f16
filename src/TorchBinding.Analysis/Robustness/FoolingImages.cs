using TorchBinding.Analysis.Interpretability;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Robustness;

/// <summary>Options of <see cref="FoolingImages.Generate"/>.</summary>
public sealed record FoolingImageOptions
{
    /// <summary>The confidence to reach: the target class's softmax probability (default 0.99).</summary>
    public double Threshold { get; init; } = 0.99;

    /// <summary>Gradient steps at most (default 1000).</summary>
    public int MaxSteps { get; init; } = 1000;

    /// <summary>The step size: each step moves every pixel by this much in the sign of the gradient (default 0.01).</summary>
    public double StepSize { get; init; } = 0.01;

    /// <summary>The valid pixel range: the noise is drawn from it and the images stay in it (default [0, 1]).</summary>
    public (double Min, double Max) ValidRange { get; init; } = (0, 1);

    /// <summary>The noise's seed (null: drawn from <see cref="Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }
}

/// <summary>Fooling images and how they ended.</summary>
/// <param name="Images">The images <c>[N, C, H, W]</c> (the caller owns the tensor).</param>
/// <param name="Classes">The class each image was made for.</param>
/// <param name="Probabilities">The model's probability of that class for the final image.</param>
/// <param name="Steps">The gradient steps each image took.</param>
public sealed record FoolingImagesResult(Tensor Images, IReadOnlyList<int> Classes, IReadOnlyList<double> Probabilities, IReadOnlyList<int> Steps);

/// <summary>
/// Fooling images ("deep neural networks are easily fooled", Nguyen, Yosinski &amp; Clune, 2015): start from uniform
/// noise and climb the gradient of the target class's log-probability until the model is more than 99 % sure — of an
/// image no person would recognise. Each image stops as soon as it reaches the threshold.
/// </summary>
public static class FoolingImages
{
    /// <summary>One fooling image per entry of <paramref name="classes"/>.</summary>
    /// <param name="model">The classifier; its training flags are restored afterwards.</param>
    /// <param name="classes">The class to fool the model into, per image.</param>
    /// <param name="imageShape">One image's shape, e.g. <c>[1, 28, 28]</c>.</param>
    /// <param name="options">Threshold, steps, step size, seed.</param>
    /// <exception cref="ArgumentException">No classes, a class out of the model's range, or an option out of range.</exception>
    public static FoolingImagesResult Generate(nn.Module<Tensor, Tensor> model, IReadOnlyList<int> classes, IReadOnlyList<long> imageShape, FoolingImageOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var section = Profiler.Measure("fooling images");
        ArgumentNullException.ThrowIfNull(classes);
        ArgumentNullException.ThrowIfNull(imageShape);
        options ??= new FoolingImageOptions();
        if (classes.Count == 0)
            throw new ArgumentException("FoolingImages: give at least one class.", nameof(classes));
        if (imageShape.Count == 0 || imageShape.Any(d => d < 1))
            throw new ArgumentException($"FoolingImages: the image shape must be positive sizes such as [1, 28, 28]; got [{string.Join(", ", imageShape)}].", nameof(imageShape));
        if (!(options.Threshold is > 0 and < 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.Threshold, "FoolingImages: Threshold must be a probability in (0, 1).");
        AttributionChecks.Positive(options.MaxSteps, nameof(options.MaxSteps), "FoolingImages");
        if (!(options.StepSize > 0) || !double.IsFinite(options.StepSize))
            throw new ArgumentOutOfRangeException(nameof(options), options.StepSize, "FoolingImages: StepSize must be a finite number > 0.");
        var (min, max) = options.ValidRange;
        if (!(min < max))
            throw new ArgumentException($"FoolingImages: ValidRange needs Min < Max, got [{min}, {max}].", nameof(options));

        var device = model.parameters().FirstOrDefault()?.device ?? CPU;
        var n = classes.Count;
        using var eval = new EvalMode(model);
        using var scope = NewDisposeScope();
        using var generator = new Generator((ulong)(options.Seed ?? Seeding.NextSeed()), CPU);
        var images = (rand([n, .. imageShape], generator: generator) * (max - min) + min).to(device);
        var targets = tensor(classes.Select(c => (long)c).ToArray(), device: device);
        var steps = new int[n];
        var probabilities = new double[n];
        var done = new bool[n];
        for (var step = 0; ; step++)
        {
            using var inner = NewDisposeScope();
            using var grad = enable_grad();
            var x = images.detach().requires_grad_(true);
            var output = model.call(x);
            ClassScores.CheckTargets(output, targets, "FoolingImages");
            var logProbability = ClassScores.LogProbability(output, targets);
            var current = logProbability.detach().exp().to(float64).cpu().data<double>().ToArray();
            for (var i = 0; i < n; i++)
            {
                if (done[i])
                    continue;
                probabilities[i] = current[i];
                if (current[i] > options.Threshold || step == options.MaxSteps)
                    done[i] = true;
                else
                    steps[i] = step + 1;
            }
            if (done.All(d => d))
                break;
            var gradient = torch.autograd.grad([logProbability.sum()], [x])[0];
            var active = tensor(done.Select(d => d ? 0f : 1f).ToArray(), device: device).to(images.dtype).view([n, .. Enumerable.Repeat(1L, imageShape.Count)]);
            images = (images + options.StepSize * active * gradient.sign()).clamp(min, max).detach().MoveToOuterDisposeScope();
        }
        return new FoolingImagesResult(images.MoveToOuterDisposeScope(), classes.ToArray(), probabilities, steps);
    }
}
