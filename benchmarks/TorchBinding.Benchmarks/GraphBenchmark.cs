using System.Diagnostics;
using TorchBinding.Models.Graphs;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Benchmarks;

/// <summary>
/// Edges per second of a GCN layer (64 → 64 features) forward and backward on the CPU: message passing
/// (<see cref="GcnConv"/>: gather by edge_index, <c>index_add</c>, normalisation recomputed every call) against the
/// same layer as a dense matrix product <c>Â (X W) + b</c> with <c>Â = D^−½ (A + I) D^−½</c> built once. Both run on
/// one random graph of 4096 nodes and 40,960 edges (in-degree 10 on average); then message passing alone on
/// 100,000 nodes and 1,000,000 edges, where Â would take 40 GB, against the dense layer's rate at 4096 nodes.
/// </summary>
static class GraphBenchmark
{
    const int Features = 64;

    public static IEnumerable<BenchmarkResult> Run(bool quick)
    {
        TorchRuntime.Initialize();
        var rounds = quick ? 2 : 5;
        random.manual_seed(1);
        var layer = new GcnConv(Features, Features);
        var weight = layer.Weight;
        var bias = layer.Bias!;

        // 1. One graph, both ways.
        const int nodes = 4096, edges = 40_960;
        using var x = randn(nodes, Features);
        using var edgeIndex = randint(0, nodes, [2, edges], dtype: int64);
        using var dense = DenseNormalizedAdjacency(edgeIndex, nodes);
        double Dense() => Time(() => dense.matmul(x.matmul(weight.t())) + bias, edges);
        double Sparse() => Time(() => layer.call(x, edgeIndex), edges);
        AssertSameOutput(layer, x, edgeIndex, dense);
        Dense(); // warm-up both
        Sparse();
        var (baseline, candidate) = SideBySide.Alternate(rounds, Dense, Sparse);
        yield return new BenchmarkResult("gcn-4096", $"edges/s, GCN layer {Features}→{Features} forward+backward, {nodes} nodes, {edges:N0} edges (CPU)",
            "dense Â (X W) + b, Â precomputed", baseline, "GcnConv message passing", candidate, LowerIsBetter: false,
            $"same random graph and weights (outputs checked equal), alternating, median of {rounds}");

        // 2. The large graph: message passing only.
        const int largeNodes = 100_000, largeEdges = 1_000_000;
        using var largeX = randn(largeNodes, Features);
        using var largeEdgeIndex = randint(0, largeNodes, [2, largeEdges], dtype: int64);
        double Large() => Time(() => layer.call(largeX, largeEdgeIndex), largeEdges);
        Large(); // warm-up
        var large = SideBySide.Median(Enumerable.Range(0, rounds).Select(_ => Large()));
        yield return new BenchmarkResult("gcn-100k", $"edges/s, GCN layer {Features}→{Features} forward+backward, {largeNodes:N0} nodes, {largeEdges:N0} edges (CPU)",
            $"dense layer at {nodes} nodes (Â at 100,000 nodes: 40 GB)", baseline, "GcnConv message passing", large, LowerIsBetter: false,
            $"median of {rounds} forward+backward passes; the baseline is gcn-4096's");
    }

    /// <summary>Seconds per forward+backward of <paramref name="forward"/>, as edges per second.</summary>
    static double Time(Func<Tensor> forward, long edges)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var output = forward();
        output.sum().backward();
        var seconds = clock.Elapsed.TotalSeconds;
        return edges / seconds;
    }

    /// <summary>D^−½ (A + I) D^−½ as a dense [N, N] matrix, A[i, j] = the edges j → i (GcnConv's Â for a graph without self-loops or with them).</summary>
    static Tensor DenseNormalizedAdjacency(Tensor edgeIndex, int nodes)
    {
        using var scope = NewDisposeScope();
        var (edges, weights) = GcnConv.NormalizedEdges(edgeIndex, null, nodes);
        var flat = edges[1] * nodes + edges[0];
        var matrix = zeros(nodes * (long)nodes).index_add(0, flat, weights, 1).view(nodes, nodes);
        return matrix.MoveToOuterDisposeScope();
    }

    static void AssertSameOutput(GcnConv layer, Tensor x, Tensor edgeIndex, Tensor dense)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var difference = (layer.call(x, edgeIndex) - (dense.matmul(x.matmul(layer.Weight.t())) + layer.Bias!)).abs().max().item<float>();
        if (difference > 1e-3)
            throw new InvalidOperationException($"The dense and message-passing GCN layers disagree by {difference}.");
    }
}
