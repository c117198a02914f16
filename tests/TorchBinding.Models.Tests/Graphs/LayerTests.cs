using TorchBinding.Models.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Graphs;

/// <summary>What every message-passing layer must satisfy, and each layer's formula checked against a dense or looped reference.</summary>
public class LayerTests
{
    [TestCaseSource(typeof(GraphTestData), nameof(GraphTestData.Layers))]
    public void Every_layer_is_permutation_equivariant(Func<MessagePassing> create)
    {
        using var scope = NewDisposeScope();
        var layer = create();
        using var graph = GraphTestData.Random(seed: 1);
        var order = GraphTestData.Permutation((int)graph.NodeCount, seed: 2);
        using var permuted = graph.PermuteNodes(order);
        var output = layer.call(graph.NodeFeatures, graph.EdgeIndex);
        var permutedOutput = layer.call(permuted.NodeFeatures, permuted.EdgeIndex);
        // New node k is old node order[k]: its output must be old node order[k]'s output.
        var expected = output.index_select(0, tensor(order));
        Assert.That((permutedOutput - expected).abs().max().item<double>(), Is.LessThan(1e-12));
        Assert.That(output.abs().sum().item<double>(), Is.GreaterThan(0), "a non-trivial output");
    }

    [TestCaseSource(typeof(GraphTestData), nameof(GraphTestData.Layers))]
    public void Every_layer_passes_gradients_to_its_parameters_and_inputs(Func<MessagePassing> create)
    {
        using var scope = NewDisposeScope();
        var layer = create();
        using var graph = GraphTestData.Random(seed: 3);
        var x = graph.NodeFeatures.detach().requires_grad_(true);
        layer.call(x, graph.EdgeIndex).square().sum().backward();
        Assert.Multiple(() =>
        {
            Assert.That(x.grad, Is.Not.Null);
            Assert.That(x.grad!.isfinite().all().item<bool>(), Is.True);
            foreach (var (name, p) in layer.named_parameters())
            {
                // A GAT bias before averaging heads, GIN's ε and every weight: each must be reached.
                Assert.That(p.grad, Is.Not.Null, name);
                Assert.That(p.grad!.abs().sum().item<double>(), Is.GreaterThan(0), $"{name} gets a gradient");
            }
        });
    }

    [TestCaseSource(typeof(GraphTestData), nameof(GraphTestData.Layers))]
    public void Every_layer_takes_a_graph_without_edges_and_isolated_nodes(Func<MessagePassing> create)
    {
        using var scope = NewDisposeScope();
        var layer = create();
        var x = randn(5, GraphTestData.Features, dtype: float64);
        var none = zeros(2, 0, dtype: int64);
        var output = layer.call(x, none);
        Assert.That(output.shape[0], Is.EqualTo(5));
        Assert.That(output.isfinite().all().item<bool>(), Is.True);
        // No nodes at all is a graph too.
        var empty = layer.call(zeros(0, GraphTestData.Features, dtype: float64), none);
        Assert.That(empty.shape[0], Is.Zero);
    }

    [Test]
    public void Without_edges_each_layer_reduces_to_its_node_wise_part()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(1);
        var x = randn(5, 3, dtype: float64);
        var none = zeros(2, 0, dtype: int64);
        var gcn = new GcnConv(3, 4).to(float64);
        var sage = new SageConv(3, 4).to(float64);
        var mlp = nn.Sequential(nn.Linear(3, 4)).to(float64);
        var gin = new GinConv(mlp, 3, epsilon: 0.5).to(float64);
        var gat = new GatConv(3, 4, heads: 2).to(float64);
        var gatNoLoops = new GatConv(3, 4, new GatOptions { Heads = 2, AddSelfLoops = false }).to(float64);
        var edgeConv = new EdgeConv(nn.Sequential(nn.Linear(6, 4)).to(float64), 3);
        var gcnParameters = gcn.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var sageParameters = sage.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var gatParameters = gat.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Assert.Multiple(() =>
        {
            // GCN: the added self-loop is the only edge, degree 1: x W + b.
            AssertClose(gcn.call(x, none), x.matmul(gcnParameters["lin.weight"].t()) + gcnParameters["bias"]);
            // SAGE: the mean of no neighbours is 0, so W₁·0 + b + W₂ x.
            AssertClose(sage.call(x, none), sageParameters["lin_l.bias"] + x.matmul(sageParameters["lin_r.weight"].t()));
            // GIN: h((1 + ε) x).
            AssertClose(gin.call(x, none), mlp.call(1.5 * x));
            // GAT with self-loops: each node attends only to itself (α = 1): W x + b.
            AssertClose(gat.call(x, none), x.matmul(gatParameters["lin.weight"].t()) + gatParameters["bias"]);
            // GAT without self-loops and EdgeConv: no incoming edges, so the aggregate is 0.
            AssertClose(gatNoLoops.call(x, none), gatNoLoops.named_parameters().Single(p => p.name == "bias").parameter.expand(5, 8));
            AssertClose(edgeConv.call(x, none), zeros(5, 4, dtype: float64));
        });
    }

    [TestCase(false)]
    [TestCase(true)]
    public void Gcn_equals_the_dense_formula(bool withSelfLoops)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(2);
        using var graph = GraphTestData.Random(seed: 4, simple: !withSelfLoops);
        var layer = new GcnConv(GraphTestData.Features, 6).to(float64);
        var a = GraphTestData.DenseAdjacency(graph);
        // Â = A + I for the nodes without a self-loop; a node's existing loop is kept as it is (PyG's add_remaining_self_loops).
        var diagonal = a.diagonal();
        var aHat = a + diag(diagonal.eq(0).to(float64));
        if (withSelfLoops)
            Assert.That(diagonal.gt(0).any().item<bool>(), Is.True, "the graph has self-loops to keep");
        var dInverseRoot = diag(aHat.sum(dim: 1).pow(-0.5));
        var parameters = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var expected = dInverseRoot.matmul(aHat).matmul(dInverseRoot).matmul(graph.NodeFeatures).matmul(parameters["lin.weight"].t()) + parameters["bias"];
        AssertClose(layer.call(graph.NodeFeatures, graph.EdgeIndex), expected);
    }

    [Test]
    public void Gcn_with_edge_weights_equals_the_dense_weighted_formula()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        using var graph = GraphTestData.Random(seed: 5, simple: true);
        var weights = rand(graph.EdgeCount, dtype: float64) + 0.5;
        var layer = new GcnConv(GraphTestData.Features, 3).to(float64);
        var n = graph.NodeCount;
        var a = zeros(n, n, dtype: float64);
        var edges = graph.EdgeList();
        var w = weights.data<double>().ToArray();
        for (var k = 0; k < edges.Count; k++)
            a[edges[k].Target, edges[k].Source] += w[k];
        var aHat = a + eye(n, dtype: float64);
        var dInverseRoot = diag(aHat.sum(dim: 1).pow(-0.5));
        var parameters = layer.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var expected = dInverseRoot.matmul(aHat).matmul(dInverseRoot).matmul(graph.NodeFeatures).matmul(parameters["lin.weight"].t()) + parameters["bias"];
        AssertClose(layer.Forward(graph.NodeFeatures, graph.EdgeIndex, weights), expected);
    }

    [Test]
    public void Sage_and_gin_equal_their_dense_formulas()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(4);
        using var graph = GraphTestData.Random(seed: 6);
        var (x, a) = (graph.NodeFeatures, GraphTestData.DenseAdjacency(graph));
        var sage = new SageConv(GraphTestData.Features, 3).to(float64);
        var p = sage.named_parameters().ToDictionary(q => q.name, q => q.parameter);
        var degree = a.sum(dim: 1, keepdim: true);
        var mean = a.matmul(x) / degree.clamp_min(1);
        AssertClose(sage.call(x, graph.EdgeIndex), mean.matmul(p["lin_l.weight"].t()) + p["lin_l.bias"] + x.matmul(p["lin_r.weight"].t()));

        var mlp = nn.Sequential(nn.Linear(GraphTestData.Features, 3), nn.Tanh()).to(float64);
        var gin = new GinConv(mlp, GraphTestData.Features, epsilon: -0.25, trainEpsilon: true).to(float64);
        AssertClose(gin.call(x, graph.EdgeIndex), mlp.call(0.75 * x + a.matmul(x)));
        Assert.That(gin.Epsilon, Is.EqualTo(-0.25));
        Assert.That(gin.named_parameters().Select(q => q.name), Does.Contain("eps"), "ε is learned");
    }

    [Test]
    public void Edge_conv_is_the_maximum_of_the_edge_mlp_over_incoming_edges_and_zero_without_any()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(5);
        using var graph = GraphTestData.Random(seed: 7);
        var mlp = nn.Sequential(nn.Linear(2 * GraphTestData.Features, 6), nn.ReLU(), nn.Linear(6, 3)).to(float64);
        var layer = new EdgeConv(mlp, GraphTestData.Features);
        var x = graph.NodeFeatures;
        var output = layer.call(x, graph.EdgeIndex);
        var n = (int)graph.NodeCount;
        var edges = graph.EdgeList();
        for (var i = 0; i < n; i++)
        {
            var incoming = edges.Where(e => e.Target == i).ToList();
            var expected = incoming.Count == 0
                ? zeros(3, dtype: float64)
                : stack(incoming.Select(e => mlp.call(cat([x[i], x[e.Source] - x[i]]).unsqueeze(0)).squeeze(0)).ToList()).amax([0]);
            AssertClose(output[i], expected, $"node {i} ({incoming.Count} incoming edges)");
        }
        Assert.That(edges.Any(e => e.Target == n - 1), Is.False, "the last node is isolated");
    }

    [TestCase(true)]
    [TestCase(false)]
    public void Gat_attention_sums_to_one_over_each_nodes_incoming_edges(bool addSelfLoops)
    {
        using var scope = NewDisposeScope();
        random.manual_seed(6);
        using var graph = GraphTestData.Random(seed: 8);
        var layer = new GatConv(GraphTestData.Features, 4, new GatOptions { Heads = 3, AddSelfLoops = addSelfLoops }).to(float64);
        using var result = layer.ForwardWithAttention(graph.NodeFeatures, graph.EdgeIndex);
        var n = graph.NodeCount;
        var sums = Scatter.Sum(result.Attention, result.EdgeIndex[1], n);                        // [N, heads]
        var hasIncoming = Scatter.Sum(ones(result.EdgeIndex.shape[1], dtype: float64), result.EdgeIndex[1], n).gt(0);
        Assert.Multiple(() =>
        {
            Assert.That(result.Attention.shape, Is.EqualTo(new long[] { result.EdgeIndex.shape[1], 3 }));
            Assert.That(result.Attention.ge(0).all().item<bool>(), Is.True);
            AssertClose(sums, hasIncoming.to(float64).unsqueeze(1).expand(n, 3), "α sums to 1 per node with incoming edges, 0 otherwise");
            if (addSelfLoops)
            {
                // PyG removes the graph's own self-loops and adds exactly one per node.
                var loops = result.EdgeIndex[0].eq(result.EdgeIndex[1]);
                Assert.That(loops.sum().item<long>(), Is.EqualTo(n));
                Assert.That(result.EdgeIndex.shape[1], Is.EqualTo(Edges.RemoveSelfLoops(graph.EdgeIndex).shape[1] + n));
                Assert.That(hasIncoming.all().item<bool>(), Is.True, "every node attends at least to itself");
            }
            else
            {
                Assert.That(hasIncoming[n - 1].item<bool>(), Is.False, "the isolated node has nothing to attend to");
            }
        });
    }

    [Test]
    public void Gat_equals_the_dense_attention_formula()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(7);
        using var graph = GraphTestData.Random(seed: 9, simple: true);
        const int heads = 2, channels = 3;
        var layer = new GatConv(GraphTestData.Features, channels, heads).to(float64);
        var p = layer.named_parameters().ToDictionary(q => q.name, q => q.parameter);
        var n = graph.NodeCount;
        var h = graph.NodeFeatures.matmul(p["lin.weight"].t()).view(n, heads, channels);
        var mask = GraphTestData.DenseAdjacency(graph).gt(0).logical_or(eye(n, dtype: ScalarType.Bool)); // [target, source] with self-loops
        var outputs = new List<Tensor>();
        for (var head = 0; head < heads; head++)
        {
            var hk = h[.., head];                                                    // [N, C]
            var source = hk.matmul(p["att_src"][0, head]);                           // aₛᵀ h_j
            var target = hk.matmul(p["att_dst"][0, head]);                           // a_dᵀ h_i
            var scores = nn.functional.leaky_relu(target.unsqueeze(1) + source.unsqueeze(0), 0.2);  // [i, j]
            var alpha = scores.masked_fill(mask.logical_not(), double.NegativeInfinity).softmax(1);
            outputs.Add(alpha.matmul(hk));
        }
        AssertClose(layer.call(graph.NodeFeatures, graph.EdgeIndex), cat(outputs, 1) + p["bias"]);
    }

    [Test]
    public void Gat_parameter_counts_match_pyg()
    {
        // The course's GAT (GATConv(1, 4, heads=2), GATConv(8, 4, heads=2)): lin, att_src, att_dst, bias.
        Assert.That(new GatConv(1, 4, heads: 2).parameters().Sum(q => q.numel()), Is.EqualTo(8 + 8 + 8 + 8));
        Assert.That(new GatConv(8, 4, heads: 2).parameters().Sum(q => q.numel()), Is.EqualTo(64 + 8 + 8 + 8));
        Assert.That(new GatConv(8, 4, new GatOptions { Heads = 2, Concat = false }).parameters().Sum(q => q.numel()), Is.EqualTo(64 + 8 + 8 + 4));
    }

    static void AssertClose(Tensor actual, Tensor expected, string? message = null)
    {
        Assert.That(actual.shape, Is.EqualTo(expected.shape), message);
        Assert.That((actual - expected).abs().max().item<double>(), Is.LessThan(1e-10), message);
    }
}
