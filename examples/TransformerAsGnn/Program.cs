// The transformer as a graph neural network (the lecture's claim, made numeric). Self-attention over T tokens is
// message passing on the complete graph with self-loops: every token is a node; node i makes its query q_i, node j
// its key k_j and value v_j (node-wise linear maps); the message along edge j → i is α_ji v_j with the attention
// weight α_ji = softmax over i's incoming edges of q_i·k_j / √d as the edge weight; the messages are summed, the
// heads joined, and the output projection is the node update. With the weights of the library's own
// MultiHeadAttention, both give the same numbers. Masking attention is removing edges: a causal mask is the graph of
// edges j → i with j ≤ i; a mask from an adjacency matrix is that graph, which is what a GNN attends over.
using TorchBinding.Models.Graphs;
using TorchBinding.Models.Transformers;
using TorchBinding.Plots.Diagrams;
using TorchBinding.Plots.Images;

var run = ExperimentRun.Start(args, "transformer_as_gnn", "self-attention equals message passing on the complete graph; masks are missing edges",
    new ExtraOption("tokens", "tokens per sequence", "7"),
    new ExtraOption("dim", "model dimension", "16"),
    new ExtraOption("heads", "attention heads", "4"));
if (run is null)
    return;

// The sizes are small in every mode (it is a check of an identity, not a training run); fast mode uses the same.
var (tokens, dim, heads, sequences) = (run.Options.GetInt("tokens"), run.Options.GetInt("dim"), run.Options.GetInt("heads"), 3);

// Self-attention written as message passing, from a MultiHeadAttention's own projections.
double Difference(Tensor a, Tensor b) => (a - b).abs().max().ToDouble();

// Sequences as graphs: sequence n's tokens are nodes n·T .. n·T + T − 1 of one disjoint union, with the edges
// allowed by mask[n] ([T, T], [query i, key j]: edge j → i).
Graph AsGraphs(Tensor x, Tensor allowed)
{
    var graphs = new List<Graph>();
    for (var n = 0; n < x.shape[0]; n++)
        graphs.Add(new Graph(x[n], Edges.FromMask(allowed[n])));
    return Graph.Combine(graphs);
}

torch.random.manual_seed(run.Seed);
var attention = new MultiHeadAttention(dim, heads).to(float64).to(run.Device);
var asGnn = new AttentionAsMessagePassing(attention);
attention.eval();
var x = randn(sequences, tokens, dim, dtype: float64, device: run.Device);
Console.WriteLine($"  {sequences} sequences of {tokens} tokens, D = {dim}, {heads} heads; attention {attention.parameters().Sum(p => p.numel())} parameters, shared by the message-passing layer");

using (no_grad())
{
    // 1. Full self-attention = message passing on the complete graph with self-loops (T² edges per sequence).
    var everything = ones(sequences, tokens, tokens, dtype: ScalarType.Bool, device: run.Device);
    using var complete = AsGraphs(x, everything);
    var (attended, weights) = attention.ForwardWithWeights(x);                                 // [N, T, D], [N, H, T, T]
    var (passed, alpha) = asGnn.ForwardWithWeights(complete.NodeFeatures, complete.EdgeIndex);  // [N·T, D], [E, H]
    Console.WriteLine($"  complete graphs with self-loops: {complete} ({tokens}² = {tokens * tokens} edges per sequence)");
    var maxDifference = run.Report("max_difference", Difference(attended, passed.view(sequences, tokens, dim)), "self-attention vs message passing on the complete graph, largest difference", "E2");

    // The attention weights are the edge weights: α on edge j → i of sequence n is weights[n, h, i, j].
    var (sources, targets) = (complete.EdgeIndex[0], complete.EdgeIndex[1]);
    var sequence = complete.Batch!.index_select(0, targets);                                   // each edge's sequence
    var asEdges = weights.permute(0, 2, 3, 1)[sequence, targets - sequence * tokens, sources - sequence * tokens];   // [E, H]
    run.Report("weights_max_difference", Difference(asEdges, alpha), "attention weights vs edge weights α, largest difference", "E2");
    run.Report("edge_weight_sum_error", Difference(Scatter.Sum(alpha, targets, complete.NodeCount), ones(complete.NodeCount, heads, dtype: float64, device: run.Device)),
        "largest |Σ α over a node's incoming edges − 1|", "E2");

    // 2. A causal mask is the graph of edges j → i with j ≤ i.
    var causalMask = ones(tokens, tokens, dtype: ScalarType.Bool, device: run.Device).tril().expand(sequences, tokens, tokens);
    using var causal = AsGraphs(x, causalMask);
    var causalAttention = attention.Forward(x, AttentionMask.CausalMask);
    run.Report("causal_max_difference", Difference(causalAttention, asGnn.call(causal.NodeFeatures, causal.EdgeIndex).view(sequences, tokens, dim)),
        $"causal attention vs message passing on the {tokens * (tokens + 1) / 2}-edge look-back graph, largest difference", "E2");

    // 3. Any mask is a graph: random neighbourhoods per sequence, one token left with nothing to attend to (an
    //    isolated node: attention gives it zero weights, message passing an empty sum; both output to_out's bias).
    var generator = new Generator((ulong)run.Seed);
    var adjacency = rand([sequences, tokens, tokens], generator: generator, dtype: float64).lt(0.35).to(run.Device);
    adjacency[0, 0] = zeros(tokens, dtype: ScalarType.Bool, device: run.Device);
    using var sparse = AsGraphs(x, adjacency);
    var maskedAttention = attention.Forward(x, new AttentionMask { Allowed = adjacency });
    run.Report("graph_mask_max_difference", Difference(maskedAttention, asGnn.call(sparse.NodeFeatures, sparse.EdgeIndex).view(sequences, tokens, dim)),
        $"attention under an adjacency mask vs message passing on that graph ({sparse.EdgeCount} of {sequences * tokens * tokens} edges), largest difference", "E2");
    run.Report("isolated_token_bias_difference", Difference(maskedAttention[0, 0], attention.OutputProjection.bias!),
        "token 0 of sequence 0 (no key allowed, no incoming edge) vs the output projection's bias", "E2");

    // 4. The same identity in float32: equal to rounding.
    var attention32 = new MultiHeadAttention(dim, heads).to(run.Device);
    attention32.load_state_dict(attention.state_dict().ToDictionary(p => p.Key, p => p.Value.to(float32)));
    attention32.eval();
    var x32 = x.to(float32);
    using var complete32 = AsGraphs(x32, everything);
    run.Report("float32_max_difference", Difference(attention32.call(x32), new AttentionAsMessagePassing(attention32).call(complete32.NodeFeatures, complete32.EdgeIndex).view(sequences, tokens, dim)),
        "the same in float32", "E2");

    // Figures: sequence 0's causal attention (head 0) as a heat map and as edge weights on its graph.
    const int shown = 5;
    var (_, causalWeights) = attention.ForwardWithWeights(x[..1, ..shown], AttentionMask.CausalMask);
    var head0 = causalWeights[0, 0].cpu();
    var diagram = new GraphDiagram { Layout = GraphLayout.Circular };
    for (var i = 0; i < shown; i++)
        diagram.AddNode(i.ToString(), $"t{i}");
    for (var i = 0; i < shown; i++)
    {
        for (var j = 0; j <= i; j++)
            diagram.AddEdge(j.ToString(), i.ToString(), head0[i, j].ToDouble().ToString("0.00"));
    }
    var labels = Enumerable.Range(0, shown).Select(i => $"t{i}").ToList();
    new MultiPanelFigure(columns: 2) { Title = $"Causal self-attention of {shown} tokens (head 1) = message passing with α as edge weights", PanelWidth = 520, PanelHeight = 480 }
        .Add(new Heatmap(head0) { RowLabels = labels, ColumnLabels = labels, XLabel = "key j (source)", YLabel = "query i (target)", ShowValues = true, Min = 0, Max = 1 }, "attention weights α_ij")
        .Add(diagram, "the look-back graph: edge j → i carries α")
        .Save(run.PathFor("attention_as_graph.png"));

    run.Metric("tokens", tokens);
    // Counted in the graph that was built (the test holds it to T²), not computed from T.
    run.Metric("edges_per_sequence", complete.EdgeCount / (double)sequences);
    run.Finish($"TransformerAsGnn: self-attention equals message passing on the complete graph with self-loops (largest difference {maxDifference:E1}); causal and adjacency masks equal removing edges");
}

/// <summary>
/// Multi-head self-attention as a message-passing layer, sharing a <see cref="MultiHeadAttention"/>'s weights:
/// queries, keys and values per node from its <c>to_qkv</c>; per edge j → i and head, the score q_i·k_j·scale;
/// α = the scores' softmax over i's incoming edges; Σ α_ji v_j aggregated at i; the heads joined and mapped by its
/// <c>to_out</c>. On the complete graph with self-loops this is the attention layer; on any other graph it is attention
/// masked to that graph.
/// </summary>
sealed class AttentionAsMessagePassing : MessagePassing
{
    readonly MultiHeadAttention attention;

    public AttentionAsMessagePassing(MultiHeadAttention attention) : base("AttentionAsMessagePassing", Aggregation.Sum)
    {
        this.attention = attention;
        RegisterComponents();
    }

    public override string Description => $"AttentionAsMessagePassing({attention.Dim}, {attention.Heads} heads)";

    public override Tensor forward(Tensor x, Tensor edgeIndex) => ForwardWithWeights(x, edgeIndex).Output;

    /// <summary>The output <c>[N, D]</c> and the edge weights α <c>[E, heads]</c>.</summary>
    public (Tensor Output, Tensor Alpha) ForwardWithWeights(Tensor x, Tensor edgeIndex)
    {
        CheckInput(x, edgeIndex, attention.Dim, attention.QkvProjection.weight!);
        var n = x.shape[0];
        var qkv = attention.QkvProjection.call(x).view(n, 3, attention.Heads, attention.HeadDim);   // node-wise: [N, q|k|v, H, d]
        var (q, k, v) = (qkv[.., 0], qkv[.., 1], qkv[.., 2]);
        var (sources, targets) = (edgeIndex[0], edgeIndex[1]);
        var scores = (q.index_select(0, targets) * k.index_select(0, sources)).sum(dim: -1) * attention.Scale;   // [E, H]: q_i·k_j
        var alpha = Scatter.Softmax(scores, targets, n);                                   // over each node's incoming edges
        var heads = Propagate(v, edgeIndex, alpha);                                       // Σ_{j → i} α_ji v_j: [N, H, d]
        return (attention.OutputProjection.call(heads.reshape(n, attention.Dim)), alpha);
    }
}
