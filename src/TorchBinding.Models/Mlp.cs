using TorchBinding.Activations;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models;

/// <summary>Options of an <see cref="Mlp"/>. The defaults are the quick start's 64-128-10 ReLU network on the 8x8 digits.</summary>
public sealed record MlpOptions
{
    /// <summary>The layer sizes, input first and output last: <c>[784, 256, 10]</c> is one hidden layer of 256 units.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [64, 128, 10];

    /// <summary>The activation of every hidden layer (unless <see cref="Activations"/> gives one per layer).</summary>
    public Activation Activation { get; init; } = Activation.ReLU;

    /// <summary>One activation per hidden layer (<c>Sizes.Count - 2</c> of them), first hidden layer first; null: <see cref="Activation"/> everywhere.</summary>
    public IReadOnlyList<Activation>? Activations { get; init; }

    /// <summary>
    /// The activation after the last layer. <see cref="Activation.Identity"/> (the default) gives logits, which
    /// <c>cross_entropy</c> and <c>binary_cross_entropy_with_logits</c> expect; Sigmoid or Softmax give probabilities.
    /// </summary>
    public Activation OutputActivation { get; init; } = Activation.Identity;

    /// <summary>The dropout probability after every hidden activation (0: no dropout layers).</summary>
    public double Dropout { get; init; }

    /// <summary>Batch norm between every hidden linear layer and its activation (the linear layer then has no bias: β replaces it).</summary>
    public bool BatchNorm { get; init; }

    /// <summary>The activation of hidden layer <paramref name="index"/> (0-based).</summary>
    internal Activation HiddenActivation(int index) => Activations is { } list ? list[index] : Activation;

    internal void Validate()
    {
        if (Sizes is null || Sizes.Count < 2)
            throw new ArgumentException($"MlpOptions.Sizes needs at least an input and an output size, got [{string.Join(", ", Sizes ?? [])}].");
        if (Sizes.Any(s => s < 1))
            throw new ArgumentException($"MlpOptions.Sizes must all be positive, got [{string.Join(", ", Sizes)}].");
        var hidden = Sizes.Count - 2;
        if (Activations is { } list && list.Count != hidden)
            throw new ArgumentException(
                $"MlpOptions.Activations gives {list.Count} activation(s) for {hidden} hidden layer(s) (sizes {string.Join("-", Sizes)}): " +
                $"give one per hidden layer; the last layer's is OutputActivation.");
        if (Dropout is < 0 or >= 1 || double.IsNaN(Dropout))
            throw new ArgumentException($"MlpOptions.Dropout must be in [0, 1), got {Dropout}.");
    }
}

/// <summary>
/// The multilayer perceptron of the first lectures: fully connected layers of any sizes, each hidden layer
/// followed by its activation (from the lecture's table), optionally batch norm and dropout. Layers are named
/// <c>fc1, bn1, act1, drop1, fc2, ...</c>; the last linear layer <c>fcL</c> is followed by <c>actL</c> only when
/// <see cref="MlpOptions.OutputActivation"/> is not the identity. Inputs of any shape <c>[N, ...]</c> are
/// flattened to <c>[N, features]</c>, so images go in as they are.
/// </summary>
/// <example>
/// <code>
/// var model = new Mlp(784, 256, 10);
/// var deep = new Mlp(new MlpOptions { Sizes = [784, 256, 128, 10], Activations = [Activation.Tanh, Activation.ReLU], Dropout = 0.2 });
/// </code>
/// </example>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    readonly List<nn.Module<Tensor, Tensor>> layers = [];
    readonly TorchSharp.Modules.Linear fc1;

    /// <summary>An MLP with these layer sizes, input first, ReLU hidden layers and a linear output.</summary>
    public Mlp(params int[] sizes) : this(new MlpOptions { Sizes = sizes })
    {
    }

    /// <summary>An MLP built from <paramref name="options"/>.</summary>
    /// <exception cref="ArgumentException">The options are inconsistent (e.g. one activation too many for the hidden layers).</exception>
    public Mlp(MlpOptions options) : base(ModuleName.AfterRuntimeStart("mlp"))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        var sizes = options.Sizes;
        var linears = sizes.Count - 1;
        for (var i = 1; i <= linears; i++)
        {
            var hidden = i < linears;
            var batchNorm = hidden && options.BatchNorm;
            Add($"fc{i}", nn.Linear(sizes[i - 1], sizes[i], hasBias: !batchNorm));
            if (batchNorm)
                Add($"bn{i}", nn.BatchNorm1d(sizes[i]));
            if (hidden)
            {
                Add($"act{i}", ActivationModules.Create(options.HiddenActivation(i - 1)));
                if (options.Dropout > 0)
                    Add($"drop{i}", nn.Dropout(options.Dropout));
            }
            else if (options.OutputActivation != Activation.Identity)
            {
                Add($"act{i}", ActivationModules.Create(options.OutputActivation));
            }
        }
        fc1 = (TorchSharp.Modules.Linear)layers[0];
        RegisterComponents();
    }

    /// <summary>The options the model was built from.</summary>
    public MlpOptions Options { get; }

    /// <summary>The number of input features.</summary>
    public int InputSize => Options.Sizes[0];

    /// <summary>The number of outputs.</summary>
    public int OutputSize => Options.Sizes[^1];

    /// <summary>Maps <c>[N, ...]</c> (flattened to <c>[N, InputSize]</c>) to <c>[N, OutputSize]</c>.</summary>
    /// <exception cref="ArgumentException">The input has no batch dimension or the wrong number of features.</exception>
    public override Tensor forward(Tensor input)
    {
        InputChecks.Alive(input, "mlp");
        if (input.dim() < 2)
            throw new ArgumentException(
                $"mlp expects a batch [N, {InputSize}], got {Shapes.Format(input)}: " +
                (InputSize == 1 ? "add the feature dimension (input.unsqueeze(1)) for N samples of one feature." : "add the batch dimension (input.unsqueeze(0)) for a single sample."),
                nameof(input));
        var features = input.numel() / Math.Max(1, input.shape[0]);
        if (input.shape[0] > 0 && features != InputSize)
            throw new ArgumentException($"mlp.fc1 expects {InputSize} input feature(s) per sample, got {features}: input {Shapes.Format(input)}.", nameof(input));
        InputChecks.LikeParameters(input, "mlp", fc1.weight!);
        var x = input.dim() == 2 ? input : input.reshape(input.shape[0], InputSize);
        if (Options.BatchNorm && Options.Sizes.Count > 2)
            InputChecks.BatchNormCanTrain(x, training, "mlp");
        foreach (var layer in layers)
            x = layer.call(x);
        return x;
    }

    void Add(string name, nn.Module<Tensor, Tensor> layer)
    {
        layers.Add(layer);
        register_module(name, layer);
    }
}
