using TorchBinding.Models.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Graphs;

/// <summary>
/// Bad graphs are ArgumentExceptions that say what is wrong, raised before libtorch indexes anything: an
/// out-of-range index must never reach <c>index_select</c> / <c>index_add</c>.
/// </summary>
public class GraphInputValidationTests
{
    static Tensor X() => randn(4, 3);

    static IEnumerable<TestCaseData> BadEdgeIndices()
    {
        yield return new TestCaseData(new Func<Tensor>(() => tensor(new long[,] { { 0, 1 }, { 1, 4 } })), "holds 4 but there are only 4 nodes").SetArgDisplayNames("index = N");
        yield return new TestCaseData(new Func<Tensor>(() => tensor(new long[,] { { 0, 99 }, { 1, 2 } })), "holds 99").SetArgDisplayNames("index > N");
        yield return new TestCaseData(new Func<Tensor>(() => tensor(new long[,] { { 0, -1 }, { 1, 2 } })), "negative").SetArgDisplayNames("negative index");
        yield return new TestCaseData(new Func<Tensor>(() => tensor(new int[,] { { 0, 1 }, { 1, 2 } })), "must be int64, got Int32").SetArgDisplayNames("int32");
        yield return new TestCaseData(new Func<Tensor>(() => tensor(new float[,] { { 0, 1 }, { 1, 2 } })), "must be int64, got Float32").SetArgDisplayNames("float");
        yield return new TestCaseData(new Func<Tensor>(() => tensor(new long[,] { { 0, 1 }, { 1, 2 }, { 2, 3 } })), "use edge_index.t()").SetArgDisplayNames("[E, 2]");
        yield return new TestCaseData(new Func<Tensor>(() => tensor(new long[] { 0, 1, 2 })), "must be [2, E]").SetArgDisplayNames("1-D");
        yield return new TestCaseData(new Func<Tensor>(() => zeros(3, 5, dtype: int64)), "got [3, 5]").SetArgDisplayNames("[3, E]");
    }

    [TestCaseSource(nameof(BadEdgeIndices))]
    public void A_bad_edge_index_is_refused_by_graphs_and_by_every_layer(Func<Tensor> edges, string message)
    {
        using var scope = NewDisposeScope();
        var edgeIndex = edges();
        Assert.Multiple(() =>
        {
            Assert.That(() => new Graph(X(), edgeIndex), Throws.ArgumentException.With.Message.Contain(message).And.Message.Contain("Graph"));
            foreach (var layer in Layers())
                Assert.That(() => layer.call(X(), edgeIndex), Throws.ArgumentException.With.Message.Contain(message).And.Message.Contain(layer.Description), layer.Description);
        });
    }

    [Test]
    public void Node_features_of_the_wrong_width_dtype_rank_or_precision_are_refused()
    {
        using var scope = NewDisposeScope();
        var edges = tensor(new long[,] { { 0, 1 }, { 1, 2 } });
        Assert.Multiple(() =>
        {
            foreach (var layer in Layers())
            {
                Assert.That(() => layer.call(randn(4, 5), edges), Throws.ArgumentException.With.Message.Contain("expects 3 feature(s) per node, got 5"), layer.Description);
                Assert.That(() => layer.call(ones(4, 3, dtype: int64), edges), Throws.ArgumentException.With.Message.Contain("floating-point"), layer.Description);
                Assert.That(() => layer.call(randn(4), edges), Throws.ArgumentException.With.Message.Contain("x.unsqueeze(1)"), layer.Description);
                Assert.That(() => layer.call(randn(4, 3, dtype: float64), edges), Throws.ArgumentException.With.Message.Contain("Float32").And.Message.Contain("Float64"), layer.Description);
            }
            Assert.That(() => new Graph(randn(4), edges), Throws.ArgumentException.With.Message.Contain("[N, F]"));
        });
    }

    [Test]
    public void Optional_parts_of_a_graph_must_fit_it()
    {
        using var scope = NewDisposeScope();
        var edges = tensor(new long[,] { { 0, 1 }, { 1, 2 } });
        Assert.Multiple(() =>
        {
            Assert.That(() => new Graph(X(), edges, edgeFeatures: zeros(3, 2)), Throws.ArgumentException.With.Message.Contain("E = 2"));
            Assert.That(() => new Graph(X(), edges, nodeLabels: zeros(5, dtype: int64)), Throws.ArgumentException.With.Message.Contain("N = 4"));
            Assert.That(() => new Graph(X(), edges, labels: zeros(2, dtype: int64)), Throws.ArgumentException.With.Message.Contain("graph labels"));
            Assert.That(() => Graph.Combine([new Graph(X(), edges), new Graph(randn(2, 5), zeros(2, 0, dtype: int64))]),
                Throws.ArgumentException.With.Message.Contain("graph 1 has 5"));
            Assert.That(() => Graph.Combine([new Graph(X(), edges, labels: tensor(1L)), new Graph(X(), edges)]),
                Throws.ArgumentException.With.Message.Contain("graph labels"));
        });
    }

    [Test]
    public void Scatter_pooling_and_data_sets_check_their_indices()
    {
        using var scope = NewDisposeScope();
        Assert.Multiple(() =>
        {
            Assert.That(() => Scatter.Sum(ones(3, 2), tensor(new long[] { 0, 5, 1 }), 3), Throws.ArgumentException.With.Message.Contain("holds 5"));
            Assert.That(() => Scatter.Max(ones(3, 2), tensor(new long[] { 0, 1 }), 3), Throws.ArgumentException.With.Message.Contain("[3]"));
            Assert.That(() => Scatter.Softmax(ones(3), tensor(new long[] { 0, -2, 1 }), 3), Throws.ArgumentException.With.Message.Contain("negative"));
            Assert.That(() => GlobalPool.Mean(ones(3, 2), tensor(new long[] { 0, 0, 2 }), 2), Throws.ArgumentException.With.Message.Contain("only 2 graphs"));
            Assert.That(() => GlobalPool.Sum(ones(3, 2), tensor(new int[] { 0, 0, 1 }), 2), Throws.ArgumentException.With.Message.Contain("int64"));
            Assert.That(() => GlobalPool.Sum(ones(3, 2), null, 2), Throws.ArgumentException.With.Message.Contain("one graph"));
            using var data = new GraphDataset([new Graph(X(), tensor(new long[,] { { 0 }, { 1 } }), labels: tensor(0L))]);
            Assert.That(() => data.Collate([1]), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("outside 0..0"));
            Assert.That(() => new GraphDataset([]), Throws.ArgumentException.With.Message.Contain("at least one graph"));
        });
    }

    [Test]
    public void Negative_or_non_finite_edge_weights_are_refused_by_gcns_normalisation_naming_the_edge()
    {
        using var scope = NewDisposeScope();
        var edges = tensor(new long[,] { { 0, 1, 2 }, { 1, 2, 3 } });
        var gcn = new GcnConv(3, 2);
        var x = X();
        Assert.Multiple(() =>
        {
            Assert.That(() => gcn.Forward(x, edges, tensor(new[] { 1f, -0.5f, 1f })),
                Throws.ArgumentException.With.Message.Contain("edge 1 (1 → 2) has weight -0.5, which is negative").And.Message.Contain(gcn.Description));
            Assert.That(() => GcnConv.NormalizedEdges(edges, tensor(new[] { 1f, 1f, float.NaN }), 4),
                Throws.ArgumentException.With.Message.Contain("edge 2 (2 → 3) has weight NaN, which is not finite"));
            Assert.That(() => GcnConv.NormalizedEdges(edges, tensor(new[] { -2.0, 1, 1 }), 4, dtype: float64),
                Throws.ArgumentException.With.Message.Contain("edge 0 (0 → 1) has weight -2"));
            // Without the normalisation nothing is square-rooted: signed weights are a weighted sum, as given.
            var plain = new GcnConv(3, 2, normalize: false);
            Assert.That(plain.Forward(x, edges, tensor(new[] { 1f, -0.5f, 1f })).isfinite().all().item<bool>(), Is.True);
            Assert.That(gcn.Forward(x, edges, tensor(new[] { 1f, 0f, 2f })).isfinite().all().item<bool>(), Is.True, "zero weights are fine");
        });
    }

    [Test]
    public void Layer_options_are_checked()
    {
        Assert.Multiple(() =>
        {
            Assert.That(() => new GatConv(3, 4, new GatOptions { Heads = 0 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new GatConv(3, 4, new GatOptions { Dropout = 1 }), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new GcnConv(0, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => new GraphClassifier(new GraphClassifierOptions { Layer = GraphLayerKind.Gin }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contain("InFeatures"));
            Assert.That(() => new GraphClassifier(new GraphClassifierOptions { InFeatures = 3, Layer = GraphLayerKind.Gat, Hidden = 10, GatHeads = 4 }),
                Throws.ArgumentException.With.Message.Contain("multiple"));
        });
    }

    static IEnumerable<MessagePassing> Layers()
    {
        yield return new GcnConv(3, 2);
        yield return new SageConv(3, 2);
        yield return new GinConv(nn.Sequential(nn.Linear(3, 2)), 3);
        yield return new GatConv(3, 2, heads: 2);
        yield return new EdgeConv(nn.Sequential(nn.Linear(6, 2)), 3);
    }
}
