using TorchBinding.Analysis.Interpretability;
using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Analysis.Robustness;

/// <summary>Options of the <see cref="OnePixelAttack"/> (the defaults are Su et al.'s).</summary>
public sealed record OnePixelOptions
{
    /// <summary>Pixels the attack may change (default 1).</summary>
    public int Pixels { get; init; } = 1;

    /// <summary>Candidate solutions per generation (default 400).</summary>
    public int Population { get; init; } = 400;

    /// <summary>Generations of differential evolution at most (default 100).</summary>
    public int Generations { get; init; } = 100;

    /// <summary>The mutation's scale F (default 0.5).</summary>
    public double MutationScale { get; init; } = 0.5;

    /// <summary>The valid pixel range: new pixel values are drawn from and kept in it (default [0, 1]).</summary>
    public (double Min, double Max) ValidRange { get; init; } = (0, 1);

    /// <summary>The seed of the evolution (null: drawn from <see cref="Seeding.NextSeed"/>).</summary>
    public int? Seed { get; init; }

    /// <summary>Candidate images through the model at once (default 400).</summary>
    public int BatchSize { get; init; } = 400;
}

/// <summary>A pixel the attack changed: its place and its new value in each channel.</summary>
/// <param name="Row">The row (y).</param>
/// <param name="Column">The column (x).</param>
/// <param name="Values">The new value per channel.</param>
public sealed record PixelChange(int Row, int Column, IReadOnlyList<double> Values);

/// <summary>The outcome of a one-pixel attack on one image.</summary>
/// <param name="Success">Whether the model's prediction for the changed image is another class than the label.</param>
/// <param name="Label">The image's true class.</param>
/// <param name="PredictedClass">The model's prediction for the best changed image.</param>
/// <param name="LabelProbability">The true class's probability for the best changed image.</param>
/// <param name="Pixels">The changed pixels of the best candidate.</param>
/// <param name="Generations">Generations run (fewer than allowed when a success stopped the search).</param>
/// <param name="Image">The best changed image <c>[C, H, W]</c> (the caller owns the tensor).</param>
public sealed record OnePixelResult(bool Success, int Label, int PredictedClass, double LabelProbability, IReadOnlyList<PixelChange> Pixels, int Generations, Tensor Image);

/// <summary>
/// The one-pixel attack (Su, Vargas &amp; Sakurai, 2019): change a single pixel (or a few) so that the prediction flips,
/// found by differential evolution, which needs only the model's probabilities, no gradients. Each candidate is (row,
/// column, value per channel); a generation makes for each candidate a trial x_r1 + F·(x_r2 − x_r3) from three others
/// (no crossover) and keeps it if it lowers the true class's probability; the search stops at the first misclassification.
/// </summary>
public static class OnePixelAttack
{
    /// <summary>Attacks one image.</summary>
    /// <param name="model">The classifier; its training flags are restored afterwards.</param>
    /// <param name="image">The image <c>[C, H, W]</c> in the valid range.</param>
    /// <param name="label">Its true class.</param>
    /// <param name="options">Population, generations, F, seed.</param>
    /// <exception cref="ArgumentException">The image is not <c>[C, H, W]</c>, lies outside the valid range, or an option is out of range.</exception>
    public static OnePixelResult Attack(nn.Module<Tensor, Tensor> model, Tensor image, int label, OnePixelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(image);
        using var section = Profiler.Measure("one-pixel attack");
        options ??= new OnePixelOptions();
        if (image.dim() != 3)
            throw new ArgumentException($"OnePixelAttack: the image must be [C, H, W]; got {Shapes.Format(image)}.", nameof(image));
        AttributionChecks.Positive(options.Pixels, nameof(options.Pixels), "OnePixelAttack");
        AttributionChecks.Positive(options.Generations, nameof(options.Generations), "OnePixelAttack");
        AttributionChecks.Positive(options.BatchSize, nameof(options.BatchSize), "OnePixelAttack");
        if (options.Population < 4)
            throw new ArgumentOutOfRangeException(nameof(options), options.Population, $"OnePixelAttack: differential evolution needs a Population of at least 4, got {options.Population}.");
        if (!(options.MutationScale > 0) || !double.IsFinite(options.MutationScale))
            throw new ArgumentOutOfRangeException(nameof(options), options.MutationScale, "OnePixelAttack: MutationScale must be a finite number > 0.");
        Attacks.Check(image.unsqueeze(0), tensor(new long[] { label }), new AttackOptions { ValidRange = options.ValidRange }, "OnePixelAttack");

        var (channels, height, width) = ((int)image.shape[0], (int)image.shape[1], (int)image.shape[2]);
        var (min, max) = options.ValidRange;
        var genes = 2 + channels;
        var dimensions = options.Pixels * genes;
        var random = new Random(options.Seed ?? Seeding.NextSeed());
        var size = options.Population;
        using var eval = new EvalMode(model);
        using var scope = NewDisposeScope();
        var baseImage = image.detach().unsqueeze(0);

        double[] Clip(double[] candidate)
        {
            for (var p = 0; p < options.Pixels; p++)
            {
                candidate[p * genes] = Math.Clamp(candidate[p * genes], 0, height - 1);
                candidate[p * genes + 1] = Math.Clamp(candidate[p * genes + 1], 0, width - 1);
                for (var c = 0; c < channels; c++)
                    candidate[p * genes + 2 + c] = Math.Clamp(candidate[p * genes + 2 + c], min, max);
            }
            return candidate;
        }

        // Candidate images [P, C, H, W]: the image with each candidate's pixels written in.
        Tensor Images(double[][] candidates)
        {
            var flat = baseImage.expand(candidates.Length, channels, height, width).reshape(candidates.Length, channels, height * width).clone();
            for (var p = 0; p < options.Pixels; p++)
            {
                var index = candidates.Select(c => (long)Math.Round(c[p * genes]) * width + (long)Math.Round(c[p * genes + 1])).ToArray();
                var values = candidates.SelectMany(c => Enumerable.Range(0, channels).Select(k => c[p * genes + 2 + k])).ToArray();
                var indexTensor = tensor(index, device: image.device).view(-1, 1, 1).expand(candidates.Length, channels, 1);
                var valueTensor = tensor(values, dtype: image.dtype, device: image.device).view(candidates.Length, channels, 1);
                flat.scatter_(2, indexTensor, valueTensor);
            }
            return flat.view(candidates.Length, channels, height, width);
        }

        // The true class's probability and the predicted class of each candidate.
        (double[] Probability, int[] Predicted) Evaluate(double[][] candidates)
        {
            using var step = NewDisposeScope();
            using var noGrad = no_grad();
            var images = Images(candidates);
            var probabilities = new List<double>();
            var predicted = new List<int>();
            for (var start = 0; start < candidates.Length; start += options.BatchSize)
            {
                using var batch = NewDisposeScope();
                var n = Math.Min(options.BatchSize, candidates.Length - start);
                var output = model.call(images.narrow(0, start, n));
                if (output.dim() != 2 || label >= output.shape[1] || label < 0)
                    throw new ArgumentException($"OnePixelAttack: the model must output class scores [N, K] with the label {label} < K; got {Shapes.Format(output)}.", nameof(label));
                probabilities.AddRange(output.to(float32).softmax(1)[.., label].to(float64).cpu().data<double>().ToArray());
                predicted.AddRange(output.argmax(1).cpu().data<long>().ToArray().Select(v => (int)v));
            }
            return (probabilities.ToArray(), predicted.ToArray());
        }

        var population = Enumerable.Range(0, size).Select(_ =>
        {
            var candidate = new double[dimensions];
            for (var p = 0; p < options.Pixels; p++)
            {
                candidate[p * genes] = random.NextDouble() * height;
                candidate[p * genes + 1] = random.NextDouble() * width;
                for (var c = 0; c < channels; c++)
                    candidate[p * genes + 2 + c] = min + random.NextDouble() * (max - min);
            }
            return Clip(candidate);
        }).ToArray();
        var (fitness, predictions) = Evaluate(population);
        var generations = 0;
        while (generations < options.Generations && !predictions.Any(p => p != label))
        {
            generations++;
            var trials = new double[size][];
            for (var i = 0; i < size; i++)
            {
                int r1, r2, r3;
                do r1 = random.Next(size); while (r1 == i);
                do r2 = random.Next(size); while (r2 == i || r2 == r1);
                do r3 = random.Next(size); while (r3 == i || r3 == r1 || r3 == r2);
                var trial = new double[dimensions];
                for (var d = 0; d < dimensions; d++)
                    trial[d] = population[r1][d] + options.MutationScale * (population[r2][d] - population[r3][d]);
                trials[i] = Clip(trial);
            }
            var (trialFitness, trialPredictions) = Evaluate(trials);
            for (var i = 0; i < size; i++)
            {
                if (trialFitness[i] <= fitness[i])
                {
                    population[i] = trials[i];
                    fitness[i] = trialFitness[i];
                    predictions[i] = trialPredictions[i];
                }
            }
        }

        // The best candidate: a misclassified one if any (the lowest true-class probability among them), else the lowest.
        var best = Enumerable.Range(0, size).OrderBy(i => predictions[i] == label ? 1 : 0).ThenBy(i => fitness[i]).First();
        var pixels = Enumerable.Range(0, options.Pixels).Select(p => new PixelChange(
            (int)Math.Round(population[best][p * genes]), (int)Math.Round(population[best][p * genes + 1]),
            Enumerable.Range(0, channels).Select(c => population[best][p * genes + 2 + c]).ToArray())).ToList();
        var adversarial = Images([population[best]])[0].detach().MoveToOuterDisposeScope();
        return new OnePixelResult(predictions[best] != label, label, predictions[best], fitness[best], pixels, generations, adversarial);
    }
}
