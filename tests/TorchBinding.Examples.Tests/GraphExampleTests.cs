namespace TorchBinding.Examples.Tests;

/// <summary>The fast modes of the graph neural network examples (issue 18). Bounds are explained where they are not facts.</summary>
[Category("Examples")]
public class GraphExampleTests
{
    [Test]
    public void Xor_gnn_solves_xor_with_both_models_and_shows_what_gats_self_loops_erase()
    {
        using var run = ExampleRun.Fast("XorGnn");
        run.AssertCompleted("xor_graphs.png", "loss.png");
        Assert.Multiple(() =>
        {
            // Seed 42, best of 3 restarts: in a scan of seeds 1-8 (one initialisation each) EdgeConv solved XOR
            // from 6 and GAT from 7 of 8, so three restarts leave each a few-percent chance of failing on a new seed.
            Assert.That(run["edgeconv_accuracy"], Is.EqualTo(1));
            Assert.That(run["gat_accuracy"], Is.EqualTo(1));
            // Facts independent of training: graphs 1 (0→0) and 4 (1→1) become the same graph for GAT, so its
            // outputs for them are equal and AND (which labels them differently) cannot exceed 3 of 4.
            Assert.That(run["identical_graph_pairs_with_self_loops"], Is.EqualTo(1));
            Assert.That(run["gat_identical_graphs_output_difference"], Is.EqualTo(0));
            Assert.That(run["gat_and_accuracy"], Is.LessThanOrEqualTo(0.75));
            Assert.That(run["gat_and_loss"], Is.GreaterThanOrEqualTo(Math.Log(2) / 2 - 1e-4));
            // Without added self-loops (and with one-hot nodes) the four graphs stay apart and AND is learned.
            Assert.That(run["gat_no_self_loops_and_accuracy"], Is.EqualTo(1));
            Assert.That(run["gat_no_self_loops_xor_accuracy"], Is.EqualTo(1));
        });
    }

    [Test]
    public void Molecules_are_graphs_and_only_gin_tells_rings_from_chains()
    {
        using var run = ExampleRun.Fast("Molecules");
        run.AssertCompleted("molecules.png", "accuracy.png", "training.png", "ring_and_chain.png");
        Assert.Multiple(() =>
        {
            // The course's printouts: water x=[3, 5] with 4 directed edges, caffeine x=[24, 5] with 50.
            Assert.That(run["water_directed_edges"], Is.EqualTo(4));
            Assert.That(run["caffeine_atoms"], Is.EqualTo(24));
            Assert.That(run["caffeine_directed_edges"], Is.EqualTo(50));
            // Fast mode: 240 graphs, 25 epochs, 2 seeds. Measured: GIN 1.00, GCN 0.57, GraphSAGE 0.60, GAT 0.54,
            // MLP 0.48 (held out). The MLP sees only atom counts, which are the same in both classes, so it stays
            // near chance; GIN counts neighbours and finds the chain ends.
            Assert.That(run["gin_accuracy"], Is.GreaterThanOrEqualTo(0.9));
            Assert.That(run["gin_accuracy"], Is.GreaterThan(run["gcn_accuracy"] + 0.15));
            Assert.That(run["gin_accuracy"], Is.GreaterThan(run["mlp_accuracy"] + 0.15));
            Assert.That(run["mlp_accuracy"], Is.LessThan(0.65));
            foreach (var model in new[] { "sage", "gat" })
                Assert.That(run["gin_accuracy"], Is.GreaterThan(run[$"{model}_accuracy"]), model);
            // Facts, whatever the training: on a ring and a chain of six carbons every node looks the same to a mean
            // (SAGE), an attention-weighted mean (GAT) and a node-wise MLP, so their embeddings agree; GIN's differ.
            Assert.That(run["sage_ring_chain_difference"], Is.LessThan(1e-5));
            Assert.That(run["gat_ring_chain_difference"], Is.LessThan(1e-5));
            Assert.That(run["mlp_ring_chain_difference"], Is.LessThan(1e-5));
            Assert.That(run["gin_ring_chain_difference"], Is.GreaterThan(1e-3));
        });
    }

    [Test]
    public void Transformer_as_gnn_self_attention_is_message_passing_on_the_complete_graph()
    {
        using var run = ExampleRun.Fast("TransformerAsGnn");
        run.AssertCompleted("attention_as_graph.png");
        Assert.Multiple(() =>
        {
            // float64, the same weights: the identity holds to rounding (measured 1.7e-16; the issue asks < 1e-6).
            Assert.That(run["max_difference"], Is.LessThan(1e-6));
            Assert.That(run["weights_max_difference"], Is.LessThan(1e-12));
            Assert.That(run["edge_weight_sum_error"], Is.LessThan(1e-12));
            Assert.That(run["causal_max_difference"], Is.LessThan(1e-6));
            Assert.That(run["graph_mask_max_difference"], Is.LessThan(1e-6));
            Assert.That(run["isolated_token_bias_difference"], Is.LessThan(1e-12));
            // float32: rounding of single precision (measured 1.2e-7).
            Assert.That(run["float32_max_difference"], Is.LessThan(1e-5));
            // Counted in the complete graph the example built: T² edges with the self-loops.
            Assert.That(run["edges_per_sequence"], Is.EqualTo(run["tokens"] * run["tokens"]));
        });
    }
}
