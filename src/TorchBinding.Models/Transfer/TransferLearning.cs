using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace TorchBinding.Models.Transfer;

/// <summary>What <see cref="TransferLearning.Freeze"/> did.</summary>
/// <param name="Frozen">The names of the parameters that no longer require gradients.</param>
/// <param name="Trainable">The names of the parameters left trainable.</param>
public sealed record FreezeSummary(IReadOnlyList<string> Frozen, IReadOnlyList<string> Trainable);

/// <summary>A set of parameters with its own learning rate (e.g. the pretrained body slow, the new head fast).</summary>
/// <param name="Name">The group's name: the layer prefix it was made from, or <c>rest</c>.</param>
/// <param name="Parameters">Its trainable parameters.</param>
/// <param name="LearningRate">Its learning rate.</param>
public sealed record LearningRateGroup(string Name, IReadOnlyList<Parameter> Parameters, double LearningRate);

/// <summary>
/// Transfer learning's three moves: <see cref="Freeze"/> the pretrained layers (features), <see cref="ReplaceHead(IReplaceableHead, int)"/>
/// for the new task's classes, and train with <see cref="LearningRateGroups"/>: a lower learning rate for the body than
/// for the head (fine-tuning). Layer names are those of <c>named_modules()</c> (e.g. <c>conv1</c>, <c>fc1</c>, <c>layer2</c>).
/// </summary>
/// <example><code>
/// var model = Cnn.Small();                                // pretrained on Fashion-MNIST
/// TransferLearning.ReplaceHead(model, classes: 10);       // a fresh output layer for MNIST
/// TransferLearning.Freeze(model, except: ["fc2"]);         // frozen features + new head ...
/// var groups = TransferLearning.LearningRateGroups(model, 1e-4, ("fc2", 1e-3));   // ... or fine-tuning: slow body, fast head
/// var optimizer = new FlatAdam(groups.ToParamGroups&lt;FlatAdam.Options&gt;());
/// </code></example>
public static class TransferLearning
{
    /// <summary>
    /// Stops gradients for every parameter except those of the layers in <paramref name="except"/> (and their sublayers):
    /// <c>requires_grad = false</c>, so backward computes nothing for them and the optimizers leave them as they are.
    /// Batch norm layers in the frozen part still update their running statistics in training mode; add
    /// <see cref="FrozenBatchNormCallback"/> to the trainer to keep them fixed too. Freeze before making the optimizer:
    /// the flat-buffer optimizers (<see cref="FlatOptimizer"/>, the default of <see cref="Optimizers.Create"/>) lay their
    /// buffers out once, leave out what is frozen then, and refuse a step after the set of frozen parameters changed.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="except">Layers to leave trainable (e.g. the new head).</param>
    /// <exception cref="ArgumentException">A layer in <paramref name="except"/> does not exist (the message lists the model's layers).</exception>
    public static FreezeSummary Freeze(nn.Module model, params string[] except)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(except);
        TorchRuntime.EnsureInitialized();
        CheckLayers(model, except, "Freeze");
        var frozen = new List<string>();
        var trainable = new List<string>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            var keep = except.Any(layer => InLayer(name, layer));
            parameter.requires_grad = keep;
            (keep ? trainable : frozen).Add(name);
        }
        return new FreezeSummary(frozen, trainable);
    }

    /// <summary>Makes every parameter trainable again.</summary>
    public static void Unfreeze(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        foreach (var parameter in model.parameters())
            parameter.requires_grad = true;
    }

    /// <summary>
    /// Replaces the model's head by a new linear layer from its features to <paramref name="classes"/> outputs (freshly
    /// initialised, on the old head's device and dtype) and returns the new layer.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="classes"/> &lt; 1.</exception>
    public static Linear ReplaceHead(IReplaceableHead model, int classes)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (classes < 1)
            throw new ArgumentOutOfRangeException(nameof(classes), classes, $"ReplaceHead: the new head needs at least one class, got {classes}.");
        var head = nn.Linear(model.HeadInputFeatures, classes);
        ReplaceHead(model, head);
        return head;
    }

    /// <summary>
    /// Puts <paramref name="head"/> in the place of the model's head (moved to the old head's device and dtype) and
    /// returns the old head. The new head must accept <see cref="IReplaceableHead.HeadInputFeatures"/> features.
    /// Make the optimizer afterwards: one made before still holds the old head's parameters, and the new head would never
    /// be trained — a flat optimizer (<see cref="FlatOptimizer"/>) refuses its next step, the <see cref="Trainer"/>
    /// refuses to fit with either kind, each with a message saying so.
    /// </summary>
    public static nn.Module<Tensor, Tensor> ReplaceHead(IReplaceableHead model, nn.Module<Tensor, Tensor> head)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(head);
        if (model.Head.parameters().FirstOrDefault() is { } reference)
            head.to(reference.dtype).to(reference.device);
        var old = model.SwapHead(head);
        FlatOptimizer.NoteReplaced(old.parameters(), head.parameters(), model.HeadName);
        return old;
    }

    /// <summary>
    /// Gives the named layers (and their sublayers) fresh initial weights, as a newly built layer would have them:
    /// linear and convolution layers PyTorch's default (Kaiming uniform with a = √5, bias uniform in ±1/√fan-in), batch
    /// norm γ = 1, β = 0 and fresh running statistics. For transfer learning, to start a deeper head afresh on top of
    /// pretrained features (e.g. both fully connected layers of the course's CNNs).
    /// </summary>
    /// <returns>The names of the re-initialised parameters.</returns>
    /// <exception cref="ArgumentException">A layer does not exist (the message lists the layers), or holds parameters of a kind without a known initialisation.</exception>
    public static IReadOnlyList<string> Reinitialize(nn.Module model, params string[] layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        CheckLayers(model, layers, "Reinitialize");
        var done = new List<string>();
        using var noGrad = no_grad();
        foreach (var (name, module) in model.named_modules())
        {
            if (!layers.Any(l => name == l || name.StartsWith(l + ".", StringComparison.Ordinal)))
                continue;
            switch (module)
            {
                case Linear linear:
                    DefaultInit(linear.weight!, linear.bias);
                    break;
                case Conv1d conv:
                    DefaultInit(conv.weight!, conv.bias);
                    break;
                case Conv2d conv:
                    DefaultInit(conv.weight!, conv.bias);
                    break;
                case Conv3d conv:
                    DefaultInit(conv.weight!, conv.bias);
                    break;
                case BatchNorm1d or BatchNorm2d or BatchNorm3d:
                    foreach (var (parameterName, parameter) in module.named_parameters(recurse: false))
                        parameter.fill_(parameterName == "weight" ? 1 : 0);
                    foreach (var (bufferName, buffer) in module.named_buffers(recurse: false))
                        buffer.fill_(bufferName == "running_var" ? 1 : 0);
                    break;
                default:
                    if (module.named_parameters(recurse: false).Any())
                        throw new ArgumentException($"Reinitialize: layer '{name}' is a {module.GetType().Name}, whose initialisation is not known; re-initialise it yourself.", nameof(layers));
                    continue;
            }
            done.AddRange(module.named_parameters(recurse: false).Select(p => name + "." + p.name));
        }
        return done;
    }

    /// <summary>PyTorch's default initialisation of linear and convolution layers.</summary>
    static void DefaultInit(Tensor weight, Tensor? bias)
    {
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (bias is null)
            return;
        var fanIn = weight.numel() / weight.shape[0];
        var bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        nn.init.uniform_(bias, -bound, bound);
    }

    /// <summary>
    /// The model's trainable parameters in groups with their own learning rates: one group per entry of
    /// <paramref name="layers"/> (a layer and its sublayers; a parameter goes to the first entry that names it), and the
    /// rest at <paramref name="rest"/>. Frozen parameters and empty groups are left out.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="rest">The learning rate of every parameter not in <paramref name="layers"/> (e.g. the pretrained body).</param>
    /// <param name="layers">Layers with their own rate, e.g. <c>("fc2", 1e-3)</c>.</param>
    /// <exception cref="ArgumentException">A layer does not exist, or a learning rate is negative or not finite.</exception>
    public static IReadOnlyList<LearningRateGroup> LearningRateGroups(nn.Module model, double rest, params (string Layer, double LearningRate)[] layers)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(layers);
        CheckLayers(model, layers.Select(l => l.Layer), "LearningRateGroups");
        foreach (var rate in layers.Select(l => l.LearningRate).Append(rest))
        {
            if (!double.IsFinite(rate) || rate < 0)
                throw new ArgumentOutOfRangeException(nameof(layers), rate, $"LearningRateGroups: learning rates must be finite and ≥ 0, got {rate}.");
        }
        var members = layers.Select(_ => new List<Parameter>()).ToList();
        var others = new List<Parameter>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            if (!parameter.requires_grad)
                continue;
            var index = Array.FindIndex(layers, l => InLayer(name, l.Layer));
            (index >= 0 ? members[index] : others).Add(parameter);
        }
        return layers.Select((l, i) => new LearningRateGroup(l.Layer, members[i], l.LearningRate))
            .Append(new LearningRateGroup("rest", others, rest))
            .Where(g => g.Parameters.Count > 0)
            .ToList();
    }

    /// <summary>
    /// The groups as optimizer parameter groups of any options type with a learning rate, e.g.
    /// <c>new FlatAdam(groups.ToParamGroups&lt;FlatAdam.Options&gt;())</c> or
    /// <c>optim.SGD(groups.ToParamGroups&lt;SGD.Options&gt;().Select(g =&gt; new SGD.ParamGroup(g.Parameters, g.Options)))</c>;
    /// <paramref name="configure"/> sets the other hyperparameters of each group.
    /// </summary>
    public static IEnumerable<ParamGroup<TOptions>> ToParamGroups<TOptions>(this IEnumerable<LearningRateGroup> groups, Action<TOptions>? configure = null)
        where TOptions : OptimizerOptions, new()
    {
        ArgumentNullException.ThrowIfNull(groups);
        return groups.Select(g =>
        {
            var options = new TOptions { LearningRate = g.LearningRate };
            configure?.Invoke(options);
            return new ParamGroup<TOptions>(g.Parameters, options);
        }).ToList();
    }

    /// <summary>The groups as parameter groups of TorchSharp's Adam: <c>optim.Adam(groups.ToAdamGroups())</c>.</summary>
    public static IEnumerable<Adam.ParamGroup> ToAdamGroups(this IEnumerable<LearningRateGroup> groups)
    {
        ArgumentNullException.ThrowIfNull(groups);
        return groups.Select(g => new Adam.ParamGroup(g.Parameters, lr: g.LearningRate)).ToList();
    }

    /// <summary>Whether parameter <paramref name="parameter"/> belongs to layer <paramref name="layer"/> or one of its sublayers.</summary>
    static bool InLayer(string parameter, string layer) => parameter.StartsWith(layer + ".", StringComparison.Ordinal);

    static void CheckLayers(nn.Module model, IEnumerable<string> layers, string who)
    {
        var names = model.named_modules().Select(m => m.name).Where(n => n.Length > 0).ToList();
        foreach (var layer in layers)
        {
            ArgumentNullException.ThrowIfNull(layer);
            if (!names.Contains(layer))
                throw new ArgumentException($"{who}: {model.GetName()} has no layer '{layer}'; its layers are: {string.Join(", ", names)}.", nameof(layers));
        }
    }
}

/// <summary>
/// Keeps the batch norm layers whose parameters are all frozen in eval mode during training (the trainer puts the whole
/// model in training mode at each epoch's start): they normalise with their pretrained running statistics and do not
/// update them, so a frozen feature extractor stays exactly what it was — as Keras does for frozen layers.
/// </summary>
public sealed class FrozenBatchNormCallback : TrainingCallback
{
    readonly List<nn.Module> _layers;

    /// <summary>Finds the frozen batch norm layers of <paramref name="model"/> (call after <see cref="TransferLearning.Freeze"/>).</summary>
    public FrozenBatchNormCallback(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _layers = model.modules()
            .Where(m => m is BatchNorm1d or BatchNorm2d or BatchNorm3d)
            .Where(m => m.parameters().All(p => !p.requires_grad))
            .ToList();
    }

    /// <summary>The batch norm layers kept in eval mode.</summary>
    public int LayerCount => _layers.Count;

    /// <inheritdoc/>
    public override void OnEpochStart(TrainingContext context)
    {
        foreach (var layer in _layers)
            layer.eval();
    }
}
