using TorchBinding.Data;
using TorchBinding.Metrics;
using TorchBinding.Models.Graphs;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Graphs;

/// <summary>Graph data sets through the trainer, and the synthetic structure tasks.</summary>
public class GraphTrainingTests
{
    [Test]
    public void The_trainer_teaches_gin_to_tell_rings_from_chains_on_held_out_graphs()
    {
        using var graphs = SyntheticGraphs.CyclesAndPaths(60, minNodes: 6, maxNodes: 16, seed: 1);
        using var all = graphs.AsIndexDataset();
        var (train, test) = DatasetSplits.TrainTest(all, 0.3, seed: 1);
        using (train)
        using (test)
        {
            random.manual_seed(1);
            var model = new GraphClassifier(new GraphClassifierOptions { InFeatures = 1, Layer = GraphLayerKind.Gin, Hidden = 16, Layers = 2 });
            var trainer = new Trainer(new GraphClassificationStep(model, graphs, (o, y) => nn.functional.cross_entropy(o, y)), Optim.Adam(0.01),
                new TrainerOptions { Epochs = 15, BatchSize = 16, Seed = 1, Metrics = [() => new Accuracy()], Progress = false });
            var history = trainer.Fit(train, test);
            // Measured 1.0 from epoch 6 on; the ends of a chain (degree 1) are one sum away, so this is no near miss.
            Assert.That(trainer.Evaluate(test)["accuracy"], Is.GreaterThanOrEqualTo(0.95));
            Assert.That(history.Epochs, Has.Count.EqualTo(15));
            using var logits = graphs.Predict(model);
            Assert.That(logits.shape, Is.EqualTo(new long[] { graphs.Count, 2 }));
        }
    }

    [Test]
    public void A_one_node_graph_alone_in_a_training_batch_leaves_gins_batch_norm_statistics_finite()
    {
        // Batch size 1 over graphs of 1 to 4 nodes: one batch in every epoch is a single node. Batch norm's unbiased
        // running variance of one value is 0/0, which used to turn every later prediction into NaN while the
        // training losses stayed finite.
        var graphs = new GraphDataset(Enumerable.Range(1, 4).Select(n =>
            Graph.FromEdges(ones(n, 1), Enumerable.Range(1, n - 1).Select(i => ((long)i - 1, (long)i)), undirected: true, labels: tensor((long)(n % 2)))));
        using (graphs)
        using (var all = graphs.AsIndexDataset())
        {
            random.manual_seed(3);
            var model = new GraphClassifier(new GraphClassifierOptions { InFeatures = 1, Layer = GraphLayerKind.Gin, Hidden = 8, Layers = 2 });
            var trainer = new Trainer(new GraphClassificationStep(model, graphs, (o, y) => nn.functional.cross_entropy(o, y)), Optim.Adam(0.01),
                new TrainerOptions { Epochs = 3, BatchSize = 1, Seed = 3, Progress = false });
            var history = trainer.Fit(all);
            Assert.That(history.StopReason, Is.Null);
            var norms = model.modules().OfType<TorchSharp.Modules.BatchNorm>().ToList();
            Assert.That(norms, Has.Count.EqualTo(2), "one batch norm per GIN layer");
            foreach (var norm in norms)
            {
                Assert.That(norm.running_mean!.isfinite().all().item<bool>() && norm.running_var!.isfinite().all().item<bool>(), Is.True, "running statistics stay finite");
                Assert.That(norm.num_batches_tracked!.item<long>(), Is.EqualTo(9), "3 epochs of the 3 batches with more than one node");
            }
            using var logits = graphs.Predict(model);
            Assert.That(logits.isfinite().all().item<bool>(), Is.True, "predictions after training are finite");
        }
    }

    [Test]
    public void Gin_normalises_a_one_node_training_batch_by_the_running_statistics_and_leaves_them_alone()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        var norm = nn.BatchNorm1d(4);
        var gin = new GinConv(nn.Sequential(nn.Linear(3, 4), norm, nn.ReLU(), nn.Linear(4, 2)), 3);
        gin.train();
        gin.call(randn(6, 3), tensor(new long[,] { { 0, 1, 2 }, { 1, 2, 3 } })); // statistics of a real batch
        var (mean, variance, count) = (norm.running_mean!.clone(), norm.running_var!.clone(), norm.num_batches_tracked!.item<long>());
        var node = randn(1, 3);
        var noEdges = zeros(2, 0, dtype: int64);
        var trained = gin.call(node, noEdges);
        Assert.Multiple(() =>
        {
            Assert.That(GraphTestData.Same(norm.running_mean!, mean) && GraphTestData.Same(norm.running_var!, variance), Is.True, "running statistics untouched");
            Assert.That(norm.num_batches_tracked!.item<long>(), Is.EqualTo(count));
            Assert.That(norm.training && gin.training, Is.True, "training mode is restored");
            Assert.That(trained.isfinite().all().item<bool>(), Is.True);
        });
        gin.eval();
        Assert.That(GraphTestData.Same(trained, gin.call(node, noEdges)), Is.True, "the same output as prediction gives");
        gin.train();
        trained.sum().backward();
        Assert.That(norm.weight.grad is { } g && g.abs().sum().item<float>() > 0, Is.True, "gradients reach the layers before and in the batch norm");
    }

    [Test]
    public void A_mean_aggregator_gives_a_ring_and_a_chain_of_the_same_size_the_same_logits()
    {
        // Constant node features: every node's neighbourhood mean is the same vector, in rings and chains alike.
        using var scope = NewDisposeScope();
        using var graphs = SyntheticGraphs.CyclesAndPaths(10, minNodes: 5, maxNodes: 12, seed: 2);
        random.manual_seed(2);
        var sage = new GraphClassifier(new GraphClassifierOptions { InFeatures = 1, Layer = GraphLayerKind.Sage, Hidden = 8 });
        var gin = new GraphClassifier(new GraphClassifierOptions { InFeatures = 1, Layer = GraphLayerKind.Gin, Hidden = 8 });
        var sageLogits = graphs.Predict(sage);
        var ginLogits = graphs.Predict(gin);
        for (var pair = 0; pair < 10; pair++)
        {
            Assert.That(graphs.NodeCountOf(2 * pair), Is.EqualTo(graphs.NodeCountOf(2 * pair + 1)), "a ring and a chain of one size");
            Assert.That((sageLogits[2 * pair] - sageLogits[2 * pair + 1]).abs().max().item<float>(), Is.LessThan(1e-6), $"pair {pair}, SAGE");
            Assert.That((ginLogits[2 * pair] - ginLogits[2 * pair + 1]).abs().max().item<float>(), Is.GreaterThan(1e-4), $"pair {pair}, GIN");
        }
    }

    [Test]
    public void Synthetic_graphs_have_the_structure_they_are_named_after()
    {
        using var scope = NewDisposeScope();
        using var cycle = SyntheticGraphs.Cycle(5);
        using var path = SyntheticGraphs.Path(5);
        using var star = SyntheticGraphs.Star(5);
        Assert.Multiple(() =>
        {
            Assert.That(cycle.EdgeCount, Is.EqualTo(10), "5 edges both ways");
            Assert.That(path.EdgeCount, Is.EqualTo(8));
            Assert.That(star.EdgeCount, Is.EqualTo(8));
            Assert.That(cycle.IsUndirected() && path.IsUndirected() && star.IsUndirected(), Is.True);
            Assert.That(Edges.InDegree(path.EdgeIndex, 5).data<float>().ToArray(), Is.EqualTo(new float[] { 1, 2, 2, 2, 1 }));
            Assert.That(Edges.InDegree(star.EdgeIndex, 5).data<float>().ToArray(), Is.EqualTo(new float[] { 4, 1, 1, 1, 1 }));
        });
        var random = new Random(3);
        using var regular = SyntheticGraphs.RandomRegular(10, 3, random);
        Assert.That(Edges.InDegree(regular.EdgeIndex, 10).data<float>().ToArray(), Has.All.EqualTo(3f));
        Assert.That(regular.EdgeList().Any(e => e.Source == e.Target), Is.False, "simple: no self-loops");
        Assert.That(regular.EdgeList().Distinct().Count(), Is.EqualTo(30), "simple: no repeated edges");
        Assert.That(() => SyntheticGraphs.RandomRegular(5, 3, random), Throws.ArgumentException.With.Message.Contain("even"));

        using var data = SyntheticGraphs.RegularGraphs(4, minNodes: 6, maxNodes: 10, degree0: 2, degree1: 3, seed: 4);
        Assert.That(data.ClassLabels(), Is.EqualTo(new long[] { 0, 1, 0, 1, 0, 1, 0, 1 }));
        using var typed = SyntheticGraphs.CyclesAndPaths(3, 6, 8, seed: 5, nodeTypes: 5);
        Assert.That(typed.FeatureCount, Is.EqualTo(5));
        using var first = typed[0];
        Assert.That(first.NodeFeatures.sum(dim: 1).data<float>().ToArray(), Has.All.EqualTo(1f), "one-hot types");
    }
}
