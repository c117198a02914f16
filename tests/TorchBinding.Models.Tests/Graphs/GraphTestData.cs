using TorchBinding.Models.Graphs;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Models.Tests.Graphs;

/// <summary>Seeded random graphs and every layer of the library, for the graph tests.</summary>
static class GraphTestData
{
    public const int Features = 4;

    /// <summary>
    /// A random directed graph in float64 with <paramref name="nodes"/> nodes, of which the last has no edges at all
    /// (isolated), and <paramref name="edges"/> random edges among the others (duplicates and self-loops allowed unless
    /// <paramref name="simple"/>).
    /// </summary>
    public static Graph Random(int seed, int nodes = 12, int edges = 30, bool simple = false, int features = Features)
    {
        var random = new Random(seed);
        var list = new List<(long, long)>();
        var seen = new HashSet<(long, long)>();
        while (list.Count < edges)
        {
            var (j, i) = ((long)random.Next(nodes - 1), (long)random.Next(nodes - 1));
            if (simple && (i == j || !seen.Add((j, i))))
                continue;
            list.Add((j, i));
        }
        var x = new double[nodes * features];
        for (var k = 0; k < x.Length; k++)
            x[k] = random.NextDouble() * 2 - 1;
        return Graph.FromEdges(tensor(x, [nodes, features], dtype: float64), list);
    }

    /// <summary>The dense adjacency A[i, j] = the number of edges j → i (rows are targets), float64.</summary>
    public static Tensor DenseAdjacency(Graph graph)
    {
        var n = graph.NodeCount;
        var a = new double[n * n];
        foreach (var (j, i) in graph.EdgeList())
            a[i * n + j] += 1;
        return tensor(a, [n, n], dtype: float64);
    }

    /// <summary>Same shape and exactly the same values (TorchSharp's <c>torch.equal</c> is element-wise).</summary>
    public static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && (a.numel() == 0 || a.eq(b).all().item<bool>());

    /// <summary>A random permutation of 0..n−1.</summary>
    public static long[] Permutation(int n, int seed)
    {
        var order = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    static nn.Module<Tensor, Tensor> Mlp(long input, long output) => nn.Sequential(nn.Linear(input, 8), nn.ReLU(), nn.Linear(8, output));

    /// <summary>Every layer (and its main variants), in float64, from <see cref="Features"/> inputs.</summary>
    public static IEnumerable<TestCaseData> Layers()
    {
        (string Name, Func<MessagePassing> Create)[] layers =
        [
            ("GcnConv", () => new GcnConv(Features, 5)),
            ("GcnConv without self-loops or normalisation", () => new GcnConv(Features, 5, addSelfLoops: false, normalize: false)),
            ("SageConv mean", () => new SageConv(Features, 5)),
            ("SageConv max", () => new SageConv(Features, 5, Aggregation.Max)),
            ("GinConv learned eps", () => new GinConv(Mlp(Features, 5), Features, epsilon: 0.3, trainEpsilon: true)),
            ("GatConv 3 heads", () => new GatConv(Features, 5, heads: 3)),
            ("GatConv 2 heads averaged, no self-loops", () => new GatConv(Features, 5, new GatOptions { Heads = 2, Concat = false, AddSelfLoops = false })),
            ("EdgeConv", () => new EdgeConv(Mlp(2 * Features, 5), Features)),
        ];
        foreach (var (name, create) in layers)
            yield return new TestCaseData(new Func<MessagePassing>(() => { torch.random.manual_seed(7); return (MessagePassing)create().to(float64); })).SetArgDisplayNames(name);
    }
}
