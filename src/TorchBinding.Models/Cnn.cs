using TorchBinding.Activations;
using TorchBinding.Models.Transfer;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>The pooling after each convolution block of a <see cref="Cnn"/>.</summary>
public enum Pooling
{
    /// <summary>No pooling (a stride above 1 can downsample instead).</summary>
    None,

    /// <summary>Max pooling: the strongest response in each window.</summary>
    Max,

    /// <summary>Average pooling: the mean response in each window.</summary>
    Average,
}

/// <summary>
/// Options of a <see cref="Cnn"/>: a stack of convolution blocks (conv, optional batch norm, activation, pooling,
/// optional dropout) and a fully connected head. The defaults are the course's LeNet-style network for 28x28 grey
/// images: Conv 1→16 k5 p2, ReLU, MaxPool 2, Conv 16→32 k5 p2, ReLU, MaxPool 2, Linear 7·7·32→10.
/// </summary>
public sealed record CnnOptions
{
    /// <summary>The course's LeNet-style network (the defaults).</summary>
    public static CnnOptions Course => new();

    /// <summary>
    /// A small CNN under 100,000 parameters for Fashion-MNIST (93,482 for 10 classes): three 3x3 blocks of 32, 64, 64
    /// channels with batch norm and max pooling (28→14→7→3), dropout 0.25, a hidden layer of 64 units. Networks of this
    /// size are listed at about 0.92-0.93 test accuracy in Fashion-MNIST's benchmark.
    /// </summary>
    public static CnnOptions Small => new()
    {
        Channels = [32, 64, 64], KernelSize = 3, BatchNorm = true, Hidden = [64], Dropout = 0.25,
    };

    /// <summary>Channels of the input images (1 grey, 3 colour).</summary>
    public int InChannels { get; init; } = 1;

    /// <summary>The number of classes (outputs, as logits).</summary>
    public int Classes { get; init; } = 10;

    /// <summary>The image size the head is sized for (any input whose feature map has the same size also works); ignored with <see cref="AdaptivePoolSize"/>.</summary>
    public (int Height, int Width) InputSize { get; init; } = (28, 28);

    /// <summary>Output channels of each convolution block, first block first.</summary>
    public IReadOnlyList<int> Channels { get; init; } = [16, 32];

    /// <summary>The (square) kernel size of every convolution.</summary>
    public int KernelSize { get; init; } = 5;

    /// <summary>Zero padding of every convolution; null: <c>KernelSize / 2</c>, which keeps the size at stride 1 ("same").</summary>
    public int? Padding { get; init; }

    /// <summary>The stride of every convolution.</summary>
    public int Stride { get; init; } = 1;

    /// <summary>The pooling after each block.</summary>
    public Pooling Pooling { get; init; } = Pooling.Max;

    /// <summary>The pooling window, also its stride (2 halves the size).</summary>
    public int PoolSize { get; init; } = 2;

    /// <summary>
    /// Adaptive average pooling of the last feature map to this size (1: global average pooling) before the head,
    /// so that any input size works; null: the feature map is flattened as it is, sized by <see cref="InputSize"/>.
    /// </summary>
    public int? AdaptivePoolSize { get; init; }

    /// <summary>Batch norm after every convolution (which then has no bias: β replaces it).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>Channel dropout (<c>Dropout2d</c>) probability at the end of every block (0: none).</summary>
    public double ConvDropout { get; init; }

    /// <summary>Sizes of hidden fully connected layers between the feature map and the output layer (none by default).</summary>
    public IReadOnlyList<int> Hidden { get; init; } = [];

    /// <summary>Dropout probability before every fully connected layer (0: none).</summary>
    public double Dropout { get; init; }

    /// <summary>The activation after every convolution and hidden fully connected layer.</summary>
    public Activation Activation { get; init; } = Activation.ReLU;

    /// <summary>
    /// How the feature maps lie in memory; <see cref="ActivationLayout.Auto"/> (the default): channels-last on the CPU,
    /// where it trains 1.3–1.8x faster here. The output's values do not depend on it.
    /// </summary>
    public ActivationLayout Layout { get; init; } = ActivationLayout.Auto;

    /// <summary>The padding actually used.</summary>
    internal int EffectivePadding => Padding ?? KernelSize / 2;

    internal void Validate()
    {
        static void Positive(int value, string name)
        {
            if (value < 1)
                throw new ArgumentException($"CnnOptions.{name} must be positive, got {value}.");
        }
        Positive(InChannels, nameof(InChannels));
        Positive(Classes, nameof(Classes));
        Positive(InputSize.Height, "InputSize.Height");
        Positive(InputSize.Width, "InputSize.Width");
        Positive(KernelSize, nameof(KernelSize));
        Positive(Stride, nameof(Stride));
        Positive(PoolSize, nameof(PoolSize));
        if (AdaptivePoolSize is { } adaptive)
            Positive(adaptive, nameof(AdaptivePoolSize));
        if (Channels is null || Channels.Count == 0 || Channels.Any(c => c < 1))
            throw new ArgumentException($"CnnOptions.Channels needs at least one block, all positive, got [{string.Join(", ", Channels ?? [])}].");
        if (Hidden is null || Hidden.Any(h => h < 1))
            throw new ArgumentException($"CnnOptions.Hidden sizes must be positive, got [{string.Join(", ", Hidden ?? [])}].");
        if (EffectivePadding < 0)
            throw new ArgumentException($"CnnOptions.Padding must not be negative, got {Padding}.");
        foreach (var (value, name) in new[] { (Dropout, nameof(Dropout)), (ConvDropout, nameof(ConvDropout)) })
        {
            if (value is < 0 or >= 1 || double.IsNaN(value))
                throw new ArgumentException($"CnnOptions.{name} must be in [0, 1), got {value}.");
        }
    }
}

/// <summary>
/// The convolutional network of the CNN lecture: local receptive fields and weight sharing (convolutions), pooling
/// for translation tolerance and a shrinking feature map, and a fully connected classifier on top. <c>new Cnn()</c>
/// is the course's LeNet-style network (28,938 parameters); <see cref="CnnOptions"/> configures a stack for other
/// image sizes. Layers are named <c>conv1, bn1, act1, pool1, drop1, conv2, ...</c>, then <c>adaptive_pool</c>,
/// <c>flatten</c> and the head <c>fc_drop1, fc1, fc_act1, ...</c>, the output layer last.
/// </summary>
/// <example>
/// <code>
/// var lenet = new Cnn();                                                          // 28x28 grey, 10 classes
/// var small = Cnn.Small();                                                        // &lt; 100K parameters, Fashion-MNIST
/// var cifar = new Cnn(new CnnOptions { InChannels = 3, InputSize = (32, 32), Channels = [32, 64, 128], KernelSize = 3, BatchNorm = true });
/// </code>
/// </example>
public sealed class Cnn : nn.Module<Tensor, Tensor>, IReplaceableHead
{
    readonly List<nn.Module<Tensor, Tensor>> features = [];
    readonly List<nn.Module<Tensor, Tensor>> head = [];
    readonly TorchSharp.Modules.Conv2d conv1;
    readonly (int Height, int Width) featureSize;

    /// <summary>A CNN built from <paramref name="options"/> (default: the course's LeNet-style network).</summary>
    /// <exception cref="ArgumentException">The options are inconsistent, e.g. the input shrinks to nothing before the head.</exception>
    public Cnn(CnnOptions? options = null) : base(ModuleName.AfterRuntimeStart("cnn"))
    {
        options ??= new CnnOptions();
        options.Validate();
        Options = options;
        var inChannels = options.InChannels;
        for (var i = 1; i <= options.Channels.Count; i++)
        {
            var channels = options.Channels[i - 1];
            Add(features, $"conv{i}", nn.Conv2d(inChannels, channels, options.KernelSize, stride: options.Stride, padding: options.EffectivePadding, bias: !options.BatchNorm));
            if (options.BatchNorm)
                Add(features, $"bn{i}", nn.BatchNorm2d(channels));
            Add(features, $"act{i}", ActivationModules.Create(options.Activation));
            switch (options.Pooling)
            {
                case Pooling.Max:
                    Add(features, $"pool{i}", nn.MaxPool2d(options.PoolSize));
                    break;
                case Pooling.Average:
                    Add(features, $"pool{i}", nn.AvgPool2d(options.PoolSize));
                    break;
            }
            if (options.ConvDropout > 0)
                Add(features, $"drop{i}", nn.Dropout2d(options.ConvDropout));
            inChannels = channels;
        }

        if (options.AdaptivePoolSize is { } size)
        {
            Add(head, "adaptive_pool", nn.AdaptiveAvgPool2d(size));
            featureSize = (size, size);
        }
        else
        {
            featureSize = FeatureMapSize(options.InputSize.Height, options.InputSize.Width, out var vanished);
            if (vanished is not null)
                throw new ArgumentException($"CnnOptions: a {options.InputSize.Height}x{options.InputSize.Width} input shrinks to nothing at {vanished}; use fewer blocks, more padding, a larger InputSize, or AdaptivePoolSize.");
        }
        Add(head, "flatten", nn.Flatten());
        var width = (long)inChannels * featureSize.Height * featureSize.Width;
        var sizes = options.Hidden.Select(h => (long)h).Append(options.Classes).ToList();
        for (var j = 1; j <= sizes.Count; j++)
        {
            if (options.Dropout > 0)
                Add(head, $"fc_drop{j}", nn.Dropout(options.Dropout));
            HeadInputFeatures = width;
            Add(head, $"fc{j}", nn.Linear(width, sizes[j - 1]));
            if (j < sizes.Count)
                Add(head, $"fc_act{j}", ActivationModules.Create(options.Activation));
            width = sizes[j - 1];
        }
        HeadName = $"fc{sizes.Count}";
        conv1 = (TorchSharp.Modules.Conv2d)features[0];
        RegisterComponents();
    }

    /// <summary>The course's LeNet-style network (the same as <c>new Cnn()</c>) for other channel or class counts.</summary>
    public static Cnn Course(int inChannels = 1, int classes = 10) =>
        new(CnnOptions.Course with { InChannels = inChannels, Classes = classes });

    /// <summary>The small CNN under 100,000 parameters of <see cref="CnnOptions.Small"/> (for 28x28 images such as Fashion-MNIST).</summary>
    public static Cnn Small(int inChannels = 1, int classes = 10) =>
        new(CnnOptions.Small with { InChannels = inChannels, Classes = classes });

    /// <summary>The options the model was built from.</summary>
    public CnnOptions Options { get; }

    /// <summary>The output layer's name, <c>fc1</c> for the course CNN (<c>fc{k}</c> after k − 1 hidden layers).</summary>
    public string HeadName { get; }

    /// <summary>The output layer (a <c>Linear</c> unless replaced).</summary>
    public nn.Module<Tensor, Tensor> Head => head[^1];

    /// <summary>The features the output layer receives (7·7·32 = 1568 for the course CNN, 64 for the small CNN).</summary>
    public long HeadInputFeatures { get; }

    /// <summary>Puts <paramref name="newHead"/> in the output layer's place (registered under <see cref="HeadName"/>) and returns the old one; see <c>TransferLearning.ReplaceHead</c>.</summary>
    public nn.Module<Tensor, Tensor> SwapHead(nn.Module<Tensor, Tensor> newHead)
    {
        ArgumentNullException.ThrowIfNull(newHead);
        var old = head[^1];
        head[^1] = newHead;
        register_module(HeadName, null!);
        register_module(HeadName, newHead);
        return old;
    }

    /// <summary>Class logits <c>[N, Classes]</c> of images <c>[N, InChannels, H, W]</c>.</summary>
    /// <exception cref="ArgumentException">The input is not such a batch, or its size does not fit the head (the message says which size does).</exception>
    public override Tensor forward(Tensor input)
    {
        var x = Features(input);
        if (Options.AdaptivePoolSize is null && (x.shape[2] != featureSize.Height || x.shape[3] != featureSize.Width))
        {
            var (h, w) = Options.InputSize;
            var expected = (long)x.shape[1] * featureSize.Height * featureSize.Width;
            throw new ArgumentException(
                $"cnn.fc1 expects {expected} features ({x.shape[1]}x{featureSize.Height}x{featureSize.Width}, from {h}x{w} images), got {x.shape[1]}x{x.shape[2]}x{x.shape[3]} = {x.shape[1] * x.shape[2] * x.shape[3]}: " +
                $"input {Shapes.Format(input)}; build the model with InputSize = ({input.shape[2]}, {input.shape[3]}), or set AdaptivePoolSize to accept any size.",
                nameof(input));
        }
        foreach (var layer in head)
            x = layer.call(x);
        return x;
    }

    /// <summary>
    /// The feature map of the last convolution block, <c>[N, C, h, w]</c>, before pooling to the head: what the
    /// network "sees", for feature-map pictures.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not a batch of images with <see cref="CnnOptions.InChannels"/> channels, or is too small.</exception>
    public Tensor Features(Tensor input)
    {
        InputChecks.Images(input, "cnn", "conv1", Options.InChannels, conv1.weight!);
        FeatureMapSize(input.shape[2], input.shape[3], out var vanished);
        if (vanished is not null)
            throw new ArgumentException($"cnn: input {Shapes.Format(input)} is too small, its feature map shrinks to nothing at {vanished}.", nameof(input));
        if (Options.BatchNorm)
            InputChecks.BatchNormCanTrain(input, training, "cnn");
        var x = MemoryLayout.Arrange(input, Options.Layout);
        foreach (var layer in features)
            x = layer.call(x);
        return x;
    }

    /// <summary>The size of the last block's feature map for an input of <paramref name="height"/> x <paramref name="width"/>; <paramref name="vanished"/> names the first layer whose output would be empty.</summary>
    (int Height, int Width) FeatureMapSize(long height, long width, out string? vanished)
    {
        var o = Options;
        vanished = null;
        for (var i = 1; i <= o.Channels.Count; i++)
        {
            // Conv: floor((n + 2p - k) / s) + 1; pooling with window = stride = P: floor(n / P).
            var (paddedHeight, paddedWidth) = (height + 2 * o.EffectivePadding, width + 2 * o.EffectivePadding);
            if (paddedHeight < o.KernelSize || paddedWidth < o.KernelSize)
            {
                vanished = $"conv{i}";
                return (0, 0);
            }
            (height, width) = ((paddedHeight - o.KernelSize) / o.Stride + 1, (paddedWidth - o.KernelSize) / o.Stride + 1);
            if (o.Pooling != Pooling.None)
            {
                (height, width) = (height / o.PoolSize, width / o.PoolSize);
                if (height < 1 || width < 1)
                {
                    vanished = $"pool{i}";
                    return (0, 0);
                }
            }
        }
        return ((int)height, (int)width);
    }

    void Add(List<nn.Module<Tensor, Tensor>> list, string name, nn.Module<Tensor, Tensor> layer)
    {
        list.Add(layer);
        register_module(name, layer);
    }
}
