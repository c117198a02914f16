using System.Text.RegularExpressions;
using TorchBinding.Teaching.Autograd;

namespace TorchBinding.Teaching.Tests.Autograd;

/// <summary>The expression graph of <see cref="Value"/> as a neutral structure and as DOT text.</summary>
public partial class ValueGraphTests
{
    static Value LectureExample(out Value a, out Value b)
    {
        a = new Value(2, "a");
        b = new Value(1, "b");
        var c = (a + b).Named("c");
        var d = (b + 1).Named("d");
        return (c * d).Named("e");
    }

    [Test]
    public void The_lecture_graph_has_a_node_per_value_and_operation()
    {
        var e = LectureExample(out _, out _);
        e.Backward();
        var graph = e.ToGraph();
        var values = graph.Nodes.Where(n => n.Kind == GraphNodeKind.Value).Select(n => n.Label).ToArray();
        var operations = graph.Nodes.Where(n => n.Kind == GraphNodeKind.Operation).Select(n => n.Label).ToArray();
        Assert.Multiple(() =>
        {
            // a, b, c, the constant 1, d, e: operands before results.
            Assert.That(values, Is.EquivalentTo(new[]
            {
                "a | data 2.0 | grad 2.0",
                "b | data 1.0 | grad 5.0",
                "c = a + b | data 3.0 | grad 2.0",
                "1 | data 1.0 | grad 3.0",
                "d = b + 1 | data 2.0 | grad 3.0",
                "e = c × d | data 6.0 | grad 1.0",
            }));
            Assert.That(operations, Is.EquivalentTo(new[] { "+", "+", "×" }));
            Assert.That(graph.Nodes, Has.Count.EqualTo(9));
            Assert.That(graph.Edges, Has.Count.EqualTo(9), "two operands in and one result out per operation");
            Assert.That(graph.Nodes[^1].Label, Does.StartWith("e = c × d"), "the output comes last");
        });

        string Id(string label) => graph.Nodes.Single(n => n.Label.StartsWith(label + " ", StringComparison.Ordinal) || n.Label == label).Id;
        var product = graph.Predecessors(Id("e = c × d")).Single();
        Assert.Multiple(() =>
        {
            Assert.That(product.Label, Is.EqualTo("×"));
            Assert.That(graph.Predecessors(product.Id).Select(n => n.Fields[0]), Is.EqualTo(new[] { "c = a + b", "d = b + 1" }));
            Assert.That(graph.Successors(Id("b")).Select(n => n.Label), Is.EqualTo(new[] { "+", "+" }), "b feeds both sums");
            Assert.That(graph.Edges.Single(x => x.From == Id("c = a + b")).Label, Is.EqualTo("∂e/∂c = 2.0"), "local derivative ∂e/∂c = d");
            Assert.That(graph.Edges.Single(x => x.From == Id("a")).Label, Is.EqualTo("∂c/∂a = 1.0"));
        });
    }

    [Test]
    public void Without_operation_nodes_edges_join_values_directly()
    {
        var e = LectureExample(out _, out _);
        var graph = e.ToGraph(operationNodes: false);
        Assert.Multiple(() =>
        {
            Assert.That(graph.Nodes, Has.Count.EqualTo(6));
            Assert.That(graph.Nodes.All(n => n.Kind == GraphNodeKind.Value));
            Assert.That(graph.Edges, Has.Count.EqualTo(6));
            Assert.That(graph.Edges.Select(x => x.Label), Has.Some.EqualTo("×, ∂e/∂d = 3.0"));
        });
    }

    [Test]
    public void The_DOT_text_is_a_digraph_with_a_line_per_node_and_edge()
    {
        var e = LectureExample(out _, out _);
        e.Backward();
        var graph = e.ToGraph();
        var dot = e.ToDot();
        var lines = dot.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var nodeLines = lines.Where(l => NodeLine().IsMatch(l)).ToArray();
        var edgeLines = lines.Where(l => EdgeLine().IsMatch(l)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("digraph value {"));
            Assert.That(lines[^1], Is.EqualTo("}"));
            Assert.That(dot, Does.Contain("rankdir=LR;"));
            Assert.That(nodeLines, Has.Length.EqualTo(graph.Nodes.Count));
            Assert.That(edgeLines, Has.Length.EqualTo(graph.Edges.Count));
            Assert.That(dot, Does.Contain("[label=\"{c = a + b | data 3.0 | grad 2.0}\", shape=record]"), "values are records");
            Assert.That(dot, Does.Contain("[label=\"×\", shape=ellipse]"), "operations are ellipses");
            Assert.That(dot, Does.Contain("[label=\"∂e/∂c = 2.0\"]"));
            Assert.That(dot.Count(c => c == '{'), Is.EqualTo(dot.Count(c => c == '}')), "braces balance");
            foreach (var edge in graph.Edges)
                Assert.That(dot, Does.Contain($"{edge.From} -> {edge.To}"));
        });
    }

    [Test]
    public void Record_syntax_in_labels_is_escaped()
    {
        var x = new Value(1, "x{<|>}\"q\"");
        var dot = (x * 2).ToDot();
        Assert.That(dot, Does.Contain(@"x\{\<\|\>\}\""q\"""));
    }

    [Test]
    public void Unnamed_values_are_described_by_their_operation()
    {
        var x = new Value(0.5, "x");
        var graph = (x.Tanh() * 2).ToGraph();
        Assert.Multiple(() =>
        {
            Assert.That(graph.Nodes.Select(n => n.Fields[0]), Does.Contain("tanh(x)"));
            Assert.That(graph.Nodes[^1].Fields[0], Is.EqualTo("0.4621 × 2"), "an unnamed operand shows its number");
            Assert.That(new Value(3, "a").ToString(), Is.EqualTo("Value(a: data 3.0, grad 0.0)"));
        });
    }

    [GeneratedRegex(@"^\w+ \[label="".*"", shape=\w+(, style=\w+)?\];$")]
    private static partial Regex NodeLine();

    [GeneratedRegex(@"^\w+ -> \w+( \[label="".*""\])?;$")]
    private static partial Regex EdgeLine();
}
