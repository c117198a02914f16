using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>The layers of a <see cref="GraphClassifier"/>.</summary>
public enum GraphLayerKind
{
    /// <summary><see cref="GcnConv"/>: symmetrically normalised sums with self-loops.</summary>
    Gcn,

    /// <summary><see cref="SageConv"/> with the mean aggregator.</summary>
    Sage,

    /// <summary><see cref="GinConv"/> with a learned ε around Linear, BatchNorm, ReLU, Linear (Xu et al., 2019).</summary>
    Gin,

    /// <summary><see cref="GatConv"/>, heads concatenated (hidden = heads × hidden / heads).</summary>
    Gat,

    /// <summary>
    /// No message passing: the same width of node-wise Linear + ReLU layers, then the pooling, so the model sees
    /// the node features (as a multiset) but not a single edge: the baseline for "does the structure matter".
    /// </summary>
    Mlp,
}

/// <summary>Options of a <see cref="GraphClassifier"/>.</summary>
public sealed record GraphClassifierOptions
{
    /// <summary>F, the node features per node (required).</summary>
    public int InFeatures { get; init; }

    /// <summary>The number of classes (default 2).</summary>
    public int Classes { get; init; } = 2;

    /// <summary>The layer type (default GIN).</summary>
    public GraphLayerKind Layer { get; init; } = GraphLayerKind.Gin;

    /// <summary>Features per node after every layer (default 32).</summary>
    public int Hidden { get; init; } = 32;

    /// <summary>How many layers (default 3).</summary>
    public int Layers { get; init; } = 3;

    /// <summary>The read-out (default the sum, which GIN's analysis asks for).</summary>
    public GraphPooling Pooling { get; init; } = GraphPooling.Sum;

    /// <summary>GAT heads (default 4; <see cref="Hidden"/> must be a multiple).</summary>
    public int GatHeads { get; init; } = 4;

    internal void Validate()
    {
        if (InFeatures < 1)
            throw new ArgumentOutOfRangeException(nameof(InFeatures), InFeatures, "GraphClassifierOptions.InFeatures must be set to the node feature width.");
        if (Classes < 2)
            throw new ArgumentOutOfRangeException(nameof(Classes), Classes, "A classifier needs at least 2 classes.");
        if (Hidden < 1 || Layers < 1)
            throw new ArgumentOutOfRangeException(nameof(Layers), $"Hidden ({Hidden}) and Layers ({Layers}) must be positive.");
        if (Layer == GraphLayerKind.Gat && (GatHeads < 1 || Hidden % GatHeads != 0))
            throw new ArgumentException($"GraphClassifierOptions: Hidden ({Hidden}) must be a multiple of GatHeads ({GatHeads}).");
    }
}

/// <summary>
/// A graph classifier of the lecture's shape: <see cref="GraphClassifierOptions.Layers"/> message-passing layers
/// (each followed by ReLU), a global pooling per graph, and a two-layer head to class logits <c>[G, classes]</c>.
/// Takes a <see cref="Graph"/> (one graph, or many combined with a batch vector).
/// </summary>
public sealed class GraphClassifier : nn.Module<Graph, Tensor>
{
    readonly ModuleList<nn.Module<Tensor, Tensor, Tensor>> convs = new();
    readonly ModuleList<nn.Module<Tensor, Tensor>> nodewise = new();
    readonly Sequential head;

    /// <summary>A classifier built from <paramref name="options"/>.</summary>
    public GraphClassifier(GraphClassifierOptions options) : base(AfterRuntimeStart("GraphClassifier"))
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        long width = options.InFeatures;
        for (var l = 0; l < options.Layers; l++)
        {
            var hidden = options.Hidden;
            switch (options.Layer)
            {
                case GraphLayerKind.Gcn:
                    convs.Add(new GcnConv(width, hidden));
                    break;
                case GraphLayerKind.Sage:
                    convs.Add(new SageConv(width, hidden));
                    break;
                case GraphLayerKind.Gin:
                    convs.Add(new GinConv(nn.Sequential(nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ReLU(), nn.Linear(hidden, hidden)), width, trainEpsilon: true));
                    break;
                case GraphLayerKind.Gat:
                    convs.Add(new GatConv(width, hidden / options.GatHeads, options.GatHeads));
                    break;
                case GraphLayerKind.Mlp:
                    nodewise.Add(nn.Linear(width, hidden));
                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(options), options.Layer, "Unknown layer kind.");
            }
            width = hidden;
        }
        head = nn.Sequential(nn.Linear(width, options.Hidden), nn.ReLU(), nn.Linear(options.Hidden, options.Classes));
        RegisterComponents();
    }

    /// <summary>The options the model was built from.</summary>
    public GraphClassifierOptions Options { get; }

    /// <summary>The message-passing layers (none for <see cref="GraphLayerKind.Mlp"/>).</summary>
    public IReadOnlyList<nn.Module<Tensor, Tensor, Tensor>> Convolutions => convs.ToList();

    /// <summary>The graph embeddings <c>[G, hidden]</c> the head classifies: the pooled output of the last layer.</summary>
    public Tensor Embed(Graph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        using var scope = NewDisposeScope();
        var h = graph.NodeFeatures;
        foreach (var conv in convs)
            h = nn.functional.relu(conv.call(h, graph.EdgeIndex));
        foreach (var layer in nodewise)
        {
            GraphChecks.NodeFeatures("GraphClassifier (MLP)", h, ((Linear)layer).in_features, ((Linear)layer).weight!);
            h = nn.functional.relu(layer.call(h));
        }
        return GlobalPool.Apply(Options.Pooling, h, graph).MoveToOuterDisposeScope();
    }

    /// <summary>Class logits <c>[G, classes]</c> for the <see cref="Graph.GraphCount"/> graphs of <paramref name="graph"/>.</summary>
    public override Tensor forward(Graph graph)
    {
        using var scope = NewDisposeScope();
        return head.call(Embed(graph)).MoveToOuterDisposeScope();
    }

    static string AfterRuntimeStart(string name)
    {
        TorchRuntime.EnsureInitialized();
        return name;
    }
}
