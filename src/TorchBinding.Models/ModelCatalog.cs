using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>What a classifier is built for: one input's shape and the number of classes, plus optional hidden sizes.</summary>
/// <param name="InputShape">One input's shape, e.g. <c>[1, 28, 28]</c> for grey images or <c>[64]</c> for features.</param>
/// <param name="Classes">The number of classes (outputs, as logits).</param>
/// <param name="Hidden">Hidden layer sizes for models that take them (null: the model's default).</param>
public sealed record ModelRequest(IReadOnlyList<long> InputShape, int Classes, IReadOnlyList<int>? Hidden = null)
{
    /// <summary>The number of input features (the product of the input shape).</summary>
    public long Features => InputShape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The image's channels, height and width, or an <see cref="ArgumentException"/> naming the model when the inputs are not images.</summary>
    public (int Channels, int Height, int Width) Image(string model) => InputShape.Count == 3
        ? ((int)InputShape[0], (int)InputShape[1], (int)InputShape[2])
        : throw new ArgumentException($"Model '{model}' needs images [C, H, W]; these inputs are [{string.Join(", ", InputShape)}]. Use 'mlp' for feature vectors.");
}

/// <summary>A model known by name: a description and a factory from a <see cref="ModelRequest"/>.</summary>
/// <param name="Name">The name, e.g. <c>cnn-course</c>.</param>
/// <param name="Description">One line on what it is.</param>
/// <param name="Create">Builds the model for the data's input shape and classes; throws <see cref="ArgumentException"/> for data it cannot take.</param>
public sealed record ModelEntry(string Name, string Description, Func<ModelRequest, nn.Module<Tensor, Tensor>> Create);

/// <summary>
/// The classifiers by name, for configurations and the command line (<c>torchbinding train --model cnn-course</c>).
/// A new model becomes available everywhere by one more entry in <see cref="All"/> (or <see cref="Register"/> at run time):
/// <code>new("vit-mnist", "the course's ViT for 28x28 images", r => new Vit(...)),</code>
/// </summary>
public static class ModelCatalog
{
    static readonly List<ModelEntry> Entries =
    [
        new("mlp", "multilayer perceptron: flattened inputs, ReLU hidden layers (default one of 128; --hidden 500 is the course's MNIST MLP)",
            r => new Mlp([(int)r.Features, .. r.Hidden ?? [128], r.Classes])),
        new("cnn-course", "the course's LeNet-style CNN: conv 5x5 16, pool, conv 5x5 32, pool, linear (cnn_mnist_pytorch.ipynb)",
            r =>
            {
                var (c, h, w) = r.Image("cnn-course");
                return new Cnn(CnnOptions.Course with { InChannels = c, Classes = r.Classes, InputSize = (h, w) });
            }),
        new("cnn-small", "a small CNN under 100K parameters: three 3x3 conv blocks with batch norm, dropout, hidden 64",
            r =>
            {
                var (c, h, w) = r.Image("cnn-small");
                return new Cnn(CnnOptions.Small with { InChannels = c, Classes = r.Classes, InputSize = (h, w), Hidden = r.Hidden ?? CnnOptions.Small.Hidden });
            }),
        new("resnet-course", "the course's small ResNet: 3x3 stem of 16, two stages of two basic blocks (16, 32), global pool (resnet_mnist.ipynb)",
            r => ResNet.Course(r.Image("resnet-course").Channels, r.Classes)),
        new("resnet18", "ResNet-18 with the small-image (CIFAR) stem: stages of 64, 128, 256, 512 channels",
            r => ResNet.ResNet18(r.Classes, r.Image("resnet18").Channels, ResNetStem.Cifar)),
    ];

    /// <summary>Every model, in catalog order.</summary>
    public static IReadOnlyList<ModelEntry> All => Entries;

    /// <summary>The names, in catalog order.</summary>
    public static IReadOnlyList<string> Names => Entries.Select(e => e.Name).ToList();

    /// <summary>A model by name (case-insensitive; <c>_</c> and <c>-</c> alike).</summary>
    /// <exception cref="ArgumentException">No model has that name; the message lists the names.</exception>
    public static ModelEntry Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().Replace('_', '-');
        return Entries.FirstOrDefault(e => e.Name.Equals(key, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"Unknown model '{name}'; the models are: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>Builds the named model for <paramref name="request"/>.</summary>
    /// <exception cref="ArgumentException">Unknown name, or data the model cannot take.</exception>
    public static nn.Module<Tensor, Tensor> Create(string name, ModelRequest request) => Get(name).Create(request);

    /// <summary>Adds a model (e.g. from an application's own code) under a new name.</summary>
    /// <exception cref="ArgumentException">The name is taken.</exception>
    public static void Register(ModelEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (Entries)
        {
            if (Entries.Any(e => e.Name.Equals(entry.Name, StringComparison.OrdinalIgnoreCase)))
                throw new ArgumentException($"A model named '{entry.Name}' is already in the catalog.", nameof(entry));
            Entries.Add(entry);
        }
    }
}
