using TorchBinding.IO;
using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>
/// The state-dict names of the course's models in their PyTorch definitions, so that a notebook's
/// <c>torch.save(model.state_dict(), ...)</c> loads here and weights saved here load there:
/// <list type="bullet">
/// <item><see cref="Cnn"/> ↔ <c>cnn_mnist_pytorch.ipynb</c>'s <c>ConvNet</c>: <c>layerI = Sequential(Conv2d, [BatchNorm2d], ReLU, MaxPool2d)</c>
/// and one <c>fc</c>, so <c>convI</c> ↔ <c>layerI.0</c>, <c>bnI</c> ↔ <c>layerI.1</c>, and (with no hidden layer) <c>fc1</c> ↔ <c>fc</c>.</item>
/// <item>The course's small <see cref="ResNet"/> ↔ <c>resnet_mnist.ipynb</c>'s <c>ResNet(ResidualBlock, [2, 2])</c>: its stem is
/// <c>conv</c> and <c>bn</c> (here torchvision's <c>conv1</c>, <c>bn1</c>); the blocks (<c>layerS.B.conv1, bn1, conv2, bn2, downsample.0/1</c>)
/// and <c>fc</c> have the same names. Other ResNets already have torchvision's names.</item>
/// <item><see cref="Mlp"/> ↔ <c>pytorch_mlp_mnist.ipynb</c>'s <c>Net</c> (<c>fc1</c>, <c>relu</c>, <c>fc2</c>): the same names.</item>
/// </list>
/// Our own module names are unchanged, so TorchBinding checkpoints keep loading.
/// </summary>
public static class PyTorchNames
{
    /// <summary>The names <paramref name="model"/> has in its PyTorch definition (identity for models whose names already agree).</summary>
    public static StateDictNames For(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model switch
        {
            Cnn cnn => Cnn(cnn.Options),
            ResNet resnet when IsCourse(resnet.Options) => CourseResNet,
            ResNet => new StateDictNames("torchvision's ResNet", []),
            Mlp => new StateDictNames("pytorch_mlp_mnist.ipynb's Net (fc1, relu, fc2)", []),
            _ => StateDictNames.Identity,
        };
    }

    /// <summary>The names of <c>cnn_mnist_pytorch.ipynb</c>'s <c>ConvNet</c> for a CNN built from <paramref name="options"/>.</summary>
    public static StateDictNames Cnn(CnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var renames = new List<(string, string)>();
        for (var i = 1; i <= options.Channels.Count; i++)
        {
            renames.Add(($"conv{i}", $"layer{i}.0"));
            if (options.BatchNorm)
                renames.Add(($"bn{i}", $"layer{i}.1"));
        }
        if (options.Hidden.Count == 0)
            renames.Add(("fc1", "fc"));
        return new StateDictNames("cnn_mnist_pytorch.ipynb's ConvNet", renames);
    }

    /// <summary>The names of <c>resnet_mnist.ipynb</c>'s <c>ResNet</c>: stem <c>conv</c>, <c>bn</c>; the rest as torchvision.</summary>
    public static StateDictNames CourseResNet { get; } = new("resnet_mnist.ipynb's ResNet", [("conv1", "conv"), ("bn1", "bn")]);

    static bool IsCourse(ResNetOptions o) =>
        o.Stem == ResNetStem.Cifar && o.Block == ResNetBlock.Basic && o.Residual
        && o.Widths.SequenceEqual([16, 32]) && o.Blocks.SequenceEqual([2, 2]) && (o.StemWidth ?? 16) == 16;
}

/// <summary>Loading and saving a model's weights under the names of its PyTorch definition (<see cref="PyTorchNames.For"/>).</summary>
public static class PyTorchWeightsExtensions
{
    /// <summary>
    /// Loads a PyTorch state dict (<c>.pt</c>/<c>.pth</c> zip format) or safetensors file written for the model's PyTorch
    /// definition (a course notebook's class) into this model, checking every key and shape first.
    /// </summary>
    /// <exception cref="InvalidDataException">The file is malformed or does not fit the model; the message lists the differences.</exception>
    public static WeightsLoadResult LoadPyTorchWeights(this nn.Module model, string path, bool strict = true) =>
        ModelWeights.Load(model, path, PyTorchNames.For(model), strict);

    /// <summary>Saves the model's weights under its PyTorch definition's names: safetensors for <c>.safetensors</c>, else <c>torch.load</c>'s zip format.</summary>
    public static void SavePyTorchWeights(this nn.Module model, string path) =>
        ModelWeights.Save(model, path, PyTorchNames.For(model));
}
