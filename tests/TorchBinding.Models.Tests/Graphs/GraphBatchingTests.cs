using TorchBinding.Data;
using TorchBinding.Models.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Graphs;

/// <summary>Several graphs as one disjoint graph: layers, pooling and models give what they give the graphs one by one.</summary>
public class GraphBatchingTests
{
    /// <summary>Four graphs: random ones, one without edges, and one without nodes.</summary>
    static List<Graph> Graphs() =>
    [
        GraphTestData.Random(seed: 11, nodes: 7, edges: 15),
        Graph.FromEdges(randn(3, GraphTestData.Features, dtype: float64), []),
        GraphTestData.Random(seed: 12, nodes: 5, edges: 9),
        new Graph(zeros(0, GraphTestData.Features, dtype: float64), zeros(2, 0, dtype: int64)),
        GraphTestData.Random(seed: 13, nodes: 9, edges: 20),
    ];

    [Test]
    public void Combine_shifts_the_edges_and_numbers_the_graphs()
    {
        using var scope = NewDisposeScope();
        var a = Graph.FromEdges(ones(2, 1), [(0, 1)], labels: tensor(0L));
        var b = Graph.FromEdges(ones(3, 1), [(2, 0), (1, 1)], labels: tensor(1L));
        using var both = Graph.Combine([a, b]);
        Assert.Multiple(() =>
        {
            Assert.That(both.GraphCount, Is.EqualTo(2));
            Assert.That(both.NodeCount, Is.EqualTo(5));
            Assert.That(both.EdgeList(), Is.EqualTo(new (long, long)[] { (0, 1), (4, 2), (3, 3) }));
            Assert.That(both.Batch!.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 0, 1, 1, 1 }));
            Assert.That(both.Labels!.data<long>().ToArray(), Is.EqualTo(new long[] { 0, 1 }));
            Assert.That(both.ToString(), Is.EqualTo("Graph(x=[5, 1], edge_index=[2, 3], y=[2], batch=[5], graphs=2)"));
        });
    }

    [TestCaseSource(typeof(GraphTestData), nameof(GraphTestData.Layers))]
    public void A_batch_of_graphs_gives_each_graph_what_it_gives_alone(Func<MessagePassing> create)
    {
        using var scope = NewDisposeScope();
        var layer = create();
        var graphs = Graphs();
        using var batch = Graph.Combine(graphs);
        var together = layer.call(batch.NodeFeatures, batch.EdgeIndex);
        var alone = cat(graphs.Select(g => layer.call(g.NodeFeatures, g.EdgeIndex)).ToList(), 0);
        Assert.That((together - alone).abs().max().item<double>(), Is.LessThan(1e-12));
    }

    [TestCase(GraphPooling.Sum)]
    [TestCase(GraphPooling.Mean)]
    [TestCase(GraphPooling.Max)]
    public void Pooling_a_batch_gives_each_graphs_pooling_and_zero_for_an_empty_graph(GraphPooling pooling)
    {
        using var scope = NewDisposeScope();
        var graphs = Graphs();
        using var batch = Graph.Combine(graphs);
        var pooled = GlobalPool.Apply(pooling, batch.NodeFeatures, batch);
        Assert.That(pooled.shape, Is.EqualTo(new long[] { graphs.Count, GraphTestData.Features }));
        for (var g = 0; g < graphs.Count; g++)
        {
            var x = graphs[g].NodeFeatures;
            var expected = x.shape[0] == 0 ? zeros(GraphTestData.Features, dtype: float64) : pooling switch
            {
                GraphPooling.Sum => x.sum(dim: 0),
                GraphPooling.Mean => x.mean([0]),
                _ => x.amax([0]),
            };
            Assert.That((pooled[g] - expected).abs().max().item<double>(), Is.LessThan(1e-12), $"graph {g}");
        }
    }

    [TestCase(GraphLayerKind.Gcn)]
    [TestCase(GraphLayerKind.Sage)]
    [TestCase(GraphLayerKind.Gin)]
    [TestCase(GraphLayerKind.Gat)]
    [TestCase(GraphLayerKind.Mlp)]
    public void A_classifier_gives_a_batch_the_logits_of_its_graphs_one_by_one(GraphLayerKind kind)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var model = new GraphClassifier(new GraphClassifierOptions { InFeatures = GraphTestData.Features, Layer = kind, Hidden = 8, Classes = 3 }).to(float64);
        model.eval(); // batch norm (GIN) uses its running statistics, so graphs do not see each other
        var graphs = Graphs();
        using var batch = Graph.Combine(graphs);
        var together = model.call(batch);
        var alone = cat(graphs.Select(g => model.call(g)).ToList(), 0);
        Assert.That(together.shape, Is.EqualTo(new long[] { graphs.Count, 3 }));
        Assert.That((together - alone).abs().max().item<double>(), Is.LessThan(1e-12));
    }

    [Test]
    public void A_data_set_collates_the_batch_that_combine_makes()
    {
        using var scope = NewDisposeScope();
        var graphs = Graphs().Select((g, k) => new Graph(g.NodeFeatures, g.EdgeIndex, labels: tensor((long)k))).ToList();
        using var data = new GraphDataset(graphs, "five graphs");
        long[] order = [4, 1, 3, 0];
        using var collated = data.Collate(order);
        using var combined = Graph.Combine(order.Select(k => graphs[(int)k]).ToList());
        Assert.Multiple(() =>
        {
            Assert.That(data.Count, Is.EqualTo(5));
            Assert.That(GraphTestData.Same(collated.NodeFeatures, combined.NodeFeatures), Is.True);
            Assert.That(GraphTestData.Same(collated.EdgeIndex, combined.EdgeIndex), Is.True);
            Assert.That(GraphTestData.Same(collated.Batch!, combined.Batch!), Is.True);
            Assert.That(collated.Labels!.data<long>().ToArray(), Is.EqualTo(order));
            Assert.That(collated.GraphCount, Is.EqualTo(4));
        });
        using var third = data[2];
        Assert.That(GraphTestData.Same(third.EdgeIndex, graphs[2].EdgeIndex), Is.True, "a graph taken out keeps its own numbering");
        using var subset = data.Subset([3, 2]);
        using var fromSubset = subset.Collate([1]);
        Assert.That(GraphTestData.Same(fromSubset.NodeFeatures, graphs[2].NodeFeatures), Is.True);
    }

    [Test]
    public void Data_set_batches_visit_every_graph_once_per_epoch()
    {
        using var scope = NewDisposeScope();
        var graphs = Enumerable.Range(0, 10).Select(k => Graph.FromEdges(full(new long[] { k + 1, 1 }, (double)k, dtype: float64), [(0, k)], labels: tensor((long)(k % 2)))).ToList();
        using var data = new GraphDataset(graphs);
        var seen = new List<double>();
        foreach (var batch in data.Batches(4, new BatchOptions { Seed = 3 }))
        {
            // Each graph's features are its index: the pooled mean names the graph.
            seen.AddRange(GlobalPool.Mean(batch.NodeFeatures, batch.Batch, batch.GraphCount).flatten().data<double>().ToArray());
            Assert.That(batch.GraphCount, Is.LessThanOrEqualTo(4));
        }
        Assert.That(seen.Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(k => (double)k)));
    }

    [Test]
    public void Permuting_nodes_keeps_the_graph()
    {
        using var scope = NewDisposeScope();
        using var graph = GraphTestData.Random(seed: 14, nodes: 6, edges: 10);
        var order = GraphTestData.Permutation(6, seed: 1);
        using var permuted = graph.PermuteNodes(order);
        var original = graph.EdgeList().Select(e => (e.Source, e.Target)).ToList();
        var renamed = permuted.EdgeList().Select(e => (order[e.Source], order[e.Target])).ToList();
        Assert.That(renamed, Is.EqualTo(original));
        Assert.That(GraphTestData.Same(permuted.NodeFeatures, graph.NodeFeatures.index_select(0, tensor(order))), Is.True);
    }
}
