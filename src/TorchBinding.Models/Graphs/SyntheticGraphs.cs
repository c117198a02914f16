using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Models.Graphs;

/// <summary>
/// Small graphs whose class is their structure, for showing what message passing can and cannot tell apart:
/// cycles, paths, stars, random regular graphs, all undirected (each edge stored both ways) with constant node
/// features <c>[N, 1]</c> of ones unless given, so that nothing but the edges distinguishes them. Seeded and deterministic.
/// </summary>
public static class SyntheticGraphs
{
    /// <summary>The cycle C_n: 0 – 1 – … – (n−1) – 0 (n ≥ 3).</summary>
    public static Graph Cycle(int nodes, Tensor? nodeFeatures = null, long? label = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 3);
        return Undirected(nodes, Enumerable.Range(0, nodes).Select(i => ((long)i, (long)((i + 1) % nodes))), nodeFeatures, label);
    }

    /// <summary>The path P_n: 0 – 1 – … – (n−1) (n ≥ 1).</summary>
    public static Graph Path(int nodes, Tensor? nodeFeatures = null, long? label = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(nodes);
        return Undirected(nodes, Enumerable.Range(0, nodes - 1).Select(i => ((long)i, (long)(i + 1))), nodeFeatures, label);
    }

    /// <summary>The star: node 0 joined to each of the other n − 1 nodes (n ≥ 2).</summary>
    public static Graph Star(int nodes, Tensor? nodeFeatures = null, long? label = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 2);
        return Undirected(nodes, Enumerable.Range(1, nodes - 1).Select(i => (0L, (long)i)), nodeFeatures, label);
    }

    /// <summary>A graph from undirected edges (each stored both ways), with ones as node features unless given.</summary>
    public static Graph Undirected(int nodes, IEnumerable<(long A, long B)> edges, Tensor? nodeFeatures = null, long? label = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(nodes);
        TorchRuntime.EnsureInitialized();
        var x = nodeFeatures ?? ones(nodes, 1);
        return Graph.FromEdges(x, edges, undirected: true, labels: label is { } y ? tensor(y) : null);
    }

    /// <summary>
    /// A uniformly random simple d-regular graph on n nodes (every node has exactly d neighbours), by the pairing
    /// model with restarts; n·d must be even and d &lt; n.
    /// </summary>
    public static Graph RandomRegular(int nodes, int degree, Random random, Tensor? nodeFeatures = null, long? label = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (degree < 0 || degree >= nodes || nodes * degree % 2 != 0)
            throw new ArgumentException($"SyntheticGraphs.RandomRegular: no simple {degree}-regular graph on {nodes} nodes (need degree < nodes and an even nodes·degree).");
        for (var attempt = 0; attempt < 10_000; attempt++)
        {
            var stubs = Enumerable.Range(0, nodes).SelectMany(i => Enumerable.Repeat(i, degree)).ToArray();
            random.Shuffle(stubs);
            var edges = new HashSet<(long, long)>();
            var ok = true;
            for (var k = 0; k < stubs.Length && ok; k += 2)
            {
                var (a, b) = (Math.Min(stubs[k], stubs[k + 1]), Math.Max(stubs[k], stubs[k + 1]));
                ok = a != b && edges.Add((a, b));
            }
            if (ok)
                return Undirected(nodes, edges.Order(), nodeFeatures, label);
        }
        throw new InvalidOperationException($"SyntheticGraphs.RandomRegular: no simple {degree}-regular graph on {nodes} nodes found in 10000 pairings.");
    }

    /// <summary>
    /// Cycles (label 0) and paths (label 1) of the same sizes: each size in <c>minNodes..maxNodes</c> is drawn
    /// once per pair, so the node count says nothing about the class; node features are ones. Only the structure
    /// (two ends of degree 1, or none) separates the classes.
    /// </summary>
    public static GraphDataset CyclesAndPaths(int pairs, int minNodes, int maxNodes, int seed, int nodeTypes = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairs);
        if (minNodes < 3 || maxNodes < minNodes)
            throw new ArgumentException($"SyntheticGraphs.CyclesAndPaths: sizes must satisfy 3 ≤ minNodes ≤ maxNodes, got {minNodes}..{maxNodes}.");
        TorchRuntime.EnsureInitialized();
        var random = new Random(seed);
        using var scope = NewDisposeScope();
        var graphs = new List<Graph>();
        for (var p = 0; p < pairs; p++)
        {
            var n = random.Next(minNodes, maxNodes + 1);
            graphs.Add(Cycle(n, RandomTypes(n, nodeTypes, random), label: 0));
            graphs.Add(Path(n, RandomTypes(n, nodeTypes, random), label: 1));
        }
        return new GraphDataset(graphs, "cycles and paths", ["cycle", "path"]);
    }

    /// <summary>Ones <c>[n, 1]</c> for 0 types, else a random one-hot type per node <c>[n, types]</c>.</summary>
    static Tensor? RandomTypes(int nodes, int types, Random random)
    {
        if (types <= 0)
            return null;
        var x = new float[nodes * types];
        for (var i = 0; i < nodes; i++)
            x[i * types + random.Next(types)] = 1;
        return tensor(x, [nodes, types]);
    }

    /// <summary>
    /// Random d₀-regular graphs (label 0) and d₁-regular graphs (label 1) on the same node counts: every node of a
    /// graph looks like every other, so aggregators that average (mean, GCN's normalised sum, attention) see the same
    /// thing in both classes; only a sum can count the neighbours.
    /// </summary>
    public static GraphDataset RegularGraphs(int pairs, int minNodes, int maxNodes, int degree0, int degree1, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(pairs);
        TorchRuntime.EnsureInitialized();
        var random = new Random(seed);
        using var scope = NewDisposeScope();
        var graphs = new List<Graph>();
        for (var p = 0; p < pairs; p++)
        {
            int n;
            do
                n = random.Next(minNodes, maxNodes + 1);
            while (n * degree0 % 2 != 0 || n * degree1 % 2 != 0);
            graphs.Add(RandomRegular(n, degree0, random, label: 0));
            graphs.Add(RandomRegular(n, degree1, random, label: 1));
        }
        return new GraphDataset(graphs, $"{degree0}- and {degree1}-regular graphs", [$"{degree0}-regular", $"{degree1}-regular"]);
    }
}
