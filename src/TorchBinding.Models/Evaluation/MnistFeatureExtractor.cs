using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchBinding.Data;
using TorchBinding.Data.Files;
using TorchBinding.Metrics;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchBinding.Training.Callbacks;
using TorchBinding.Training.Schedules;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Evaluation;

/// <summary>
/// How the MNIST feature network is built and trained. Everything that changes the weights is here, and its
/// <see cref="Hash"/> names the cached weights, so a changed recipe trains (and caches) new ones.
/// </summary>
public sealed record MnistFeatureRecipe
{
    /// <summary>
    /// The network: the course's LeNet-style CNN (two 5x5 convolutions of 16 and 32 channels, max pooling) with batch
    /// norm and a hidden layer of 128 ReLU units, whose activations are the features.
    /// </summary>
    public CnnOptions Network { get; init; } = new() { Channels = [16, 32], KernelSize = 5, BatchNorm = true, Hidden = [128] };

    /// <summary>Training epochs over the 60,000 MNIST training images.</summary>
    public int Epochs { get; init; } = 2;

    /// <summary>Training batch size.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>The peak learning rate of Adam under a one-cycle schedule.</summary>
    public double LearningRate { get; init; } = 3e-3;

    /// <summary>The seed of the weights and of the shuffle.</summary>
    public int Seed { get; init; } = 20240917;

    /// <summary>The features' size: the hidden layer's width.</summary>
    public int FeatureSize => Network.Hidden[^1];

    /// <summary>The recipe as canonical text (what <see cref="Hash"/> hashes).</summary>
    public string Describe()
    {
        var n = Network;
        return string.Join(';',
            "mnist-features/1", "data=mnist-train", $"in={n.InChannels}", $"classes={n.Classes}", $"size={n.InputSize.Height}x{n.InputSize.Width}",
            $"channels={string.Join(',', n.Channels)}", $"kernel={n.KernelSize}", $"padding={n.EffectivePadding}", $"stride={n.Stride}",
            $"pool={n.Pooling}{n.PoolSize}", $"adaptive={n.AdaptivePoolSize}", $"bn={n.BatchNorm}", $"convdrop={n.ConvDropout:R}",
            $"hidden={string.Join(',', n.Hidden)}", $"drop={n.Dropout:R}", $"act={n.Activation}",
            $"epochs={Epochs}", $"batch={BatchSize}", $"adam-onecycle={LearningRate:R}", $"seed={Seed}");
    }

    /// <summary>The first 16 hex digits of the SHA-256 of <see cref="Describe"/>.</summary>
    public string Hash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Describe())))[..16];

    internal void Validate()
    {
        Network.Validate();
        if (Network.Hidden.Count == 0)
            throw new ArgumentException("MnistFeatureRecipe.Network needs a hidden fully connected layer: its activations are the features.");
        if (Network.Dropout > 0 || Network.InChannels != 1 || Network.InputSize != (28, 28))
            throw new ArgumentException("MnistFeatureRecipe.Network must take 28x28 grey images and have no head dropout.");
        if (Epochs < 1 || BatchSize < 1 || !(LearningRate > 0))
            throw new ArgumentException($"MnistFeatureRecipe: epochs ({Epochs}), batch size ({BatchSize}) and learning rate ({LearningRate}) must be positive.");
    }
}

/// <summary>Where and how <see cref="MnistFeatureExtractor.Load"/> finds or trains its network.</summary>
public sealed record MnistFeatureOptions
{
    /// <summary>The recipe (default: the library's).</summary>
    public MnistFeatureRecipe Recipe { get; init; } = new();

    /// <summary>The folder of cached weights (default: <c>models</c> in the TorchBinding cache, see <see cref="CacheDirectory"/>).</summary>
    public string? CacheFolder { get; init; }

    /// <summary>The device the network runs on (default: the CPU).</summary>
    public Device? Device { get; init; }

    /// <summary>Where training progress goes when the network is trained (default: standard output; <see cref="TextWriter.Null"/> silences it).</summary>
    public TextWriter? Progress { get; init; }

    /// <summary>Where MNIST is found or downloaded to (default: the data cache).</summary>
    public DataLocation? Data { get; init; }
}

/// <summary>
/// Features of MNIST-like digits for judging generated images: the 128 penultimate activations of a small CNN
/// trained on MNIST (about 99 % test accuracy), with the Fréchet distance and KID between two sets of images
/// computed on them. The recipe is in code (<see cref="MnistFeatureRecipe"/>); the weights are trained once (about
/// a minute on two CPU cores) and cached in the TorchBinding cache under the recipe's hash, written atomically.
/// </summary>
/// <remarks>
/// This is not the Inception FID. Its numbers measure distances in this network's feature space only: they rank
/// generators of MNIST-like digits against each other and against real test digits, and they do not compare with
/// the FID or KID values in papers (which use Inception-v3 features of natural images).
/// </remarks>
/// <example>
/// <code>
/// using var extractor = MnistFeatureExtractor.Load();
/// double fid = extractor.FrechetDistance(generated, realTestImages);   // images [N, 1, 28, 28] in [0, 1]
/// </code>
/// </example>
public sealed class MnistFeatureExtractor : IDisposable
{
    const string Magic = "torchbinding-mnist-features";
    readonly Cnn _network;
    readonly nn.Module<Tensor, Tensor> _hidden;
    readonly nn.Module<Tensor, Tensor> _activation;
    readonly nn.Module<Tensor, Tensor> _output;

    MnistFeatureExtractor(Cnn network, MnistFeatureRecipe recipe, string cachePath, double testAccuracy, bool trained)
    {
        _network = network;
        _network.eval();
        _hidden = network.Layer<nn.Module<Tensor, Tensor>>("fc1");
        _activation = network.Layer<nn.Module<Tensor, Tensor>>("fc_act1");
        _output = network.Layer<nn.Module<Tensor, Tensor>>($"fc{recipe.Network.Hidden.Count + 1}");
        Recipe = recipe;
        CachePath = cachePath;
        TestAccuracy = testAccuracy;
        TrainedNow = trained;
        if (recipe.Network.Hidden.Count != 1)
            throw new ArgumentException("MnistFeatureRecipe.Network must have exactly one hidden fully connected layer.");
    }

    /// <summary>The recipe of the network.</summary>
    public MnistFeatureRecipe Recipe { get; }

    /// <summary>The cached weights' file.</summary>
    public string CachePath { get; }

    /// <summary>The network's accuracy on the 10,000 MNIST test images, measured after training (stored with the weights).</summary>
    public double TestAccuracy { get; }

    /// <summary>Whether this call trained the network (false: the weights came from the cache).</summary>
    public bool TrainedNow { get; }

    /// <summary>The size of a feature vector.</summary>
    public int FeatureSize => Recipe.FeatureSize;

    /// <summary>The device the network runs on.</summary>
    public Device Device => _network.parameters().First().device;

    /// <summary>
    /// The extractor of <paramref name="options"/>' recipe: from the cache if its weights are there, else trained on
    /// MNIST now (with progress) and cached. Libtorch's random state is the same afterwards as before, so loading
    /// (or training) does not change what a seeded program computes next.
    /// </summary>
    public static MnistFeatureExtractor Load(MnistFeatureOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= new MnistFeatureOptions();
        var recipe = options.Recipe ?? throw new ArgumentException("MnistFeatureOptions.Recipe must not be null.", nameof(options));
        recipe.Validate();
        var path = Path.Combine(options.CacheFolder ?? CacheDirectory.Sub("models"), $"mnist-features-{recipe.Hash}.bin");
        var device = options.Device ?? CPU;
        var progress = options.Progress ?? Console.Out;

        using var randomState = torch.random.get_rng_state();
        try
        {
            torch.manual_seed(recipe.Seed);
            var network = new Cnn(recipe.Network);
            if (TryRead(path, network, progress) is { } accuracy)
                return new MnistFeatureExtractor(network.to(device), recipe, path, accuracy, trained: false);
            network.to(device);
            accuracy = Train(network, recipe, options, progress, cancellation);
            Write(path, network, recipe, accuracy);
            progress.WriteLine($"  MNIST feature network: test accuracy {accuracy:P2}, cached at {path}");
            return new MnistFeatureExtractor(network, recipe, path, accuracy, trained: true);
        }
        finally
        {
            torch.random.set_rng_state(randomState);
        }
    }

    /// <summary>
    /// The feature vectors <c>[N, FeatureSize]</c> (float32, on the CPU) of images <c>[N, 1, 28, 28]</c>, <c>[N, 28, 28]</c>
    /// or <c>[N, 784]</c> with MNIST's scale: 0 background, 1 ink. Computed in eval mode, in batches, without gradients.
    /// </summary>
    /// <exception cref="ArgumentException">The images are not 28x28, not floating point, or hold non-finite values.</exception>
    public Tensor Features(Tensor images)
    {
        using var section = Profiler.Measure("judge");
        return Apply(images, logits: false);
    }

    /// <summary>The class logits <c>[N, 10]</c> of images (as for <see cref="Features"/>): which digit the network sees.</summary>
    public Tensor Logits(Tensor images)
    {
        using var section = Profiler.Measure("judge");
        return Apply(images, logits: true);
    }

    /// <summary>The Fréchet distance (a "classifier FID", not the Inception FID) between two sets of images' features.</summary>
    public double FrechetDistance(Tensor imagesX, Tensor imagesY)
    {
        using var scope = NewDisposeScope();
        return Metrics.FrechetDistance.Of(Features(imagesX), Features(imagesY));
    }

    /// <summary>The kernel distance (a "classifier KID") between two sets of images' features; see <see cref="Metrics.KernelDistance.Of"/>.</summary>
    public KernelDistanceResult KernelDistance(Tensor imagesX, Tensor imagesY, int subsets = 100, int subsetSize = 1000, int seed = 0)
    {
        using var scope = NewDisposeScope();
        return Metrics.KernelDistance.Of(Features(imagesX), Features(imagesY), subsets, subsetSize, seed);
    }

    Tensor Apply(Tensor images, bool logits)
    {
        ArgumentNullException.ThrowIfNull(images);
        var n = images.dim() == 0 ? 0 : images.shape[0];
        var pixels = n == 0 ? 0 : images.numel() / n;
        if (images.dim() is < 2 or > 4 || pixels != 784 || (images.dim() == 4 && images.shape[1] != 1))
            throw new ArgumentException($"MnistFeatureExtractor expects 28x28 grey images [N, 1, 28, 28], [N, 28, 28] or [N, 784]; got {Shapes.Format(images)}.", nameof(images));
        if (!images.is_floating_point())
            throw new ArgumentException($"MnistFeatureExtractor expects floating-point pixels in [0, 1]; got {images.dtype} {Shapes.Format(images)} (divide bytes by 255).", nameof(images));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        if (!images.isfinite().all().item<bool>())
            throw new ArgumentException($"MnistFeatureExtractor: the images {Shapes.Format(images)} hold NaN or infinite values.", nameof(images));
        var parameter = _network.parameters().First();
        var batches = new List<Tensor>();
        for (long start = 0; start < n; start += 1000)
        {
            // Each chunk's activations go with its own scope (kept to the end they held 3 GB for the 10,000 test digits).
            using var chunk = NewDisposeScope();
            var x = images.narrow(0, start, Math.Min(1000, n - start)).detach().reshape(-1, 1, 28, 28).to(parameter.dtype, parameter.device);
            var hidden = _activation.call(_hidden.call(_network.Features(x).flatten(1)));
            batches.Add((logits ? _output.call(hidden) : hidden).to(float32).cpu().MoveToOuterDisposeScope());
        }
        return (batches.Count == 0 ? zeros(0, logits ? Recipe.Network.Classes : FeatureSize) : cat(batches, 0)).MoveToOuterDisposeScope();
    }

    static double Train(Cnn network, MnistFeatureRecipe recipe, MnistFeatureOptions options, TextWriter progress, CancellationToken cancellation)
    {
        progress.WriteLine($"  Training the MNIST feature network once (recipe {recipe.Hash}: {recipe.Epochs} epochs, about a minute on two CPU cores); " +
            "its weights are then cached.");
        using var train = Mnist.Load(DatasetPart.Train, options.Data, cancellation);
        using var test = Mnist.Load(DatasetPart.Test, options.Data, cancellation);
        var trainer = new Trainer(network, (o, y) => nn.functional.cross_entropy(o, y), Optim.Adam(recipe.LearningRate),
            new TrainerOptions
            {
                Epochs = recipe.Epochs,
                BatchSize = recipe.BatchSize,
                Seed = recipe.Seed,
                Metrics = [() => new Accuracy()],
                Callbacks = [new LearningRateScheduler(new OneCycle(), ScheduleInterval.Step)],
                ProgressWriter = progress,
            });
        trainer.Fit(train, cancellation: cancellation);
        var accuracy = trainer.Evaluate(test)["accuracy"];
        network.eval();
        return accuracy;
    }

    static void Write(string path, Cnn network, MnistFeatureRecipe recipe, double accuracy)
    {
        var header = new JsonObject
        {
            ["format"] = Magic,
            ["recipe"] = recipe.Describe(),
            ["hash"] = recipe.Hash,
            ["test_accuracy"] = accuracy,
            ["created"] = DateTime.UtcNow.ToString("O"),
        }.ToJsonString();
        using var weights = new MemoryStream();
        network.save(weights);
        AtomicFile.Write(path, stream =>
        {
            using var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            writer.Write(header);
            writer.Write(weights.ToArray());
        });
    }

    /// <summary>The stored test accuracy after loading the weights into <paramref name="network"/>, or null when there is no usable file (a damaged one is deleted).</summary>
    static double? TryRead(string path, Cnn network, TextWriter progress)
    {
        if (!File.Exists(path))
            return null;
        try
        {
            using var stream = File.OpenRead(path);
            using var reader = new BinaryReader(stream, Encoding.UTF8);
            var header = JsonNode.Parse(reader.ReadString())!.AsObject();
            if ((string?)header["format"] != Magic)
                throw new InvalidDataException("not a feature network file");
            var accuracy = header["test_accuracy"]?.GetValue<double>() ?? throw new InvalidDataException("no test accuracy in the header");
            network.load(stream, strict: true);
            return accuracy;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            progress.WriteLine($"  The cached MNIST feature network {path} is unreadable ({e.Message}); training it again.");
            try { File.Delete(path); }
            catch (IOException) { }
            return null;
        }
    }

    /// <summary>Releases the network.</summary>
    public void Dispose() => _network.Dispose();
}
