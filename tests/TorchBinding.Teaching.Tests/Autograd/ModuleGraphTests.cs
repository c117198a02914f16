using TorchBinding.Runtime;
using TorchBinding.Teaching.Autograd;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Teaching.Tests.Autograd;

/// <summary>
/// <see cref="ModuleGraph.Trace"/>: a Sequential is a chain of its layers with their output shapes; a skip connection
/// shows as a tensor-ops node fed by both the branch and the shortcut, recovered through autograd rather than call order.
/// </summary>
public class ModuleGraphTests
{
    [SetUp]
    public void Start() => TorchRuntime.EnsureInitialized();

    /// <summary>inp → fc1 → relu → fc2, plus the shortcut inp → (+) → head.</summary>
    sealed class SkipNet : nn.Module<Tensor, Tensor>
    {
        readonly Linear inp = nn.Linear(3, 4);
        readonly Linear fc1 = nn.Linear(4, 4);
        readonly ReLU relu = nn.ReLU();
        readonly Linear fc2 = nn.Linear(4, 4);
        readonly Linear head = nn.Linear(4, 2);

        public SkipNet() : base(nameof(SkipNet)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var h = inp.call(x);
            var r = fc2.call(relu.call(fc1.call(h))) + h;
            return head.call(r);
        }
    }

    /// <summary>One layer used twice, a flatten between layers, and a tensor made without gradient.</summary>
    sealed class SharedNet : nn.Module<Tensor, Tensor>
    {
        readonly Linear shared = nn.Linear(4, 4);
        readonly Tanh tanh = nn.Tanh();
        readonly Linear head = nn.Linear(4, 1);

        public SharedNet() : base(nameof(SharedNet)) => RegisterComponents();

        public override Tensor forward(Tensor x)
        {
            var h = shared.call(x.flatten(1));
            h = shared.call(tanh.call(h));
            Tensor cut;
            using (no_grad())
                cut = h * 1;
            return head.call(cut);
        }
    }

    [Test]
    public void A_Sequential_is_a_chain_of_its_layers_with_their_output_shapes()
    {
        using var scope = NewDisposeScope();
        using var model = nn.Sequential(("fc1", nn.Linear(4, 8)), ("relu", nn.ReLU()), ("fc2", nn.Linear(8, 3)), ("softmax", nn.Softmax(-1)));
        var trace = ModuleGraph.Trace(model, randn(2, 4));
        Assert.Multiple(() =>
        {
            Assert.That(trace.Calls.Select(c => c.Name), Is.EqualTo(new[] { "fc1", "relu", "fc2", "softmax" }));
            Assert.That(trace.Calls.Select(c => c.ModuleType), Is.EqualTo(new[] { "Linear", "ReLU", "Linear", "Softmax" }));
            Assert.That(trace.Calls.Select(c => c.OutputShape), Is.EqualTo(new[] { new long[] { 2, 8 }, [2, 8], [2, 3], [2, 3] }));
            Assert.That(trace.Calls[0].InputShape, Is.EqualTo(new long[] { 2, 4 }));
            Assert.That(trace.Graph.Nodes.Select(n => n.Id), Is.EqualTo(new[] { "input", "m0", "m1", "m2", "m3", "output" }));
            Assert.That(trace.Graph.Nodes.Where(n => n.Kind == GraphNodeKind.Module).Select(n => n.Label),
                Is.EqualTo(new[] { "fc1: Linear | [2, 8]", "relu: ReLU | [2, 8]", "fc2: Linear | [2, 3]", "softmax: Softmax | [2, 3]" }));
            Assert.That(trace.Graph.Edges.Select(e => (e.From, e.To)), Is.EqualTo(new[] { ("input", "m0"), ("m0", "m1"), ("m1", "m2"), ("m2", "m3"), ("m3", "output") }));
            Assert.That(trace.Calls.Any(c => c.SourceFromCallOrder), Is.False);
        });
    }

    [Test]
    public void A_skip_connection_feeds_the_addition_from_both_paths()
    {
        using var scope = NewDisposeScope();
        using var model = new SkipNet();
        var trace = ModuleGraph.Trace(model, randn(5, 3));
        var graph = trace.Graph;
        var add = graph.Nodes.Single(n => n.Kind == GraphNodeKind.Operation);
        Assert.Multiple(() =>
        {
            Assert.That(trace.Calls.Select(c => c.Name), Is.EqualTo(new[] { "inp", "fc1", "relu", "fc2", "head" }));
            Assert.That(add.Label, Is.EqualTo("tensor ops | [5, 4]"));
            Assert.That(graph.Predecessors(add.Id).Select(n => n.Id), Is.EquivalentTo(new[] { "m3", "m0" }), "fc2's output and the shortcut from inp");
            Assert.That(graph.Successors(add.Id).Select(n => n.Id), Is.EqualTo(new[] { "m4" }));
            Assert.That(graph.Successors("m0").Select(n => n.Id), Is.EquivalentTo(new[] { "m1", add.Id }), "inp feeds fc1 and the addition");
            Assert.That(trace.Calls[4].Sources, Is.EqualTo(new[] { add.Id }));
            Assert.That(graph.Predecessors("output").Select(n => n.Id), Is.EqualTo(new[] { "m4" }));
        });
    }

    [Test]
    public void Shared_layers_flattens_and_gradient_free_tensors_are_reported()
    {
        using var scope = NewDisposeScope();
        using var model = new SharedNet();
        var trace = ModuleGraph.Trace(model, randn(3, 2, 2));
        var graph = trace.Graph;
        Assert.Multiple(() =>
        {
            Assert.That(trace.Calls.Select(c => c.Name), Is.EqualTo(new[] { "shared", "tanh", "shared (call 2)", "head" }));
            // The flatten is tensor code between the input and the first layer.
            var flatten = graph.Predecessors("m0").Single();
            Assert.That(flatten.Kind, Is.EqualTo(GraphNodeKind.Operation));
            Assert.That(flatten.Label, Is.EqualTo("tensor ops | [3, 4]"));
            Assert.That(graph.Predecessors(flatten.Id).Select(n => n.Id), Is.EqualTo(new[] { "input" }));
            Assert.That(trace.Calls[2].Sources, Is.EqualTo(new[] { "m1" }));
            // h * 1 under no_grad has no visible source: joined to the call before, and flagged.
            Assert.That(trace.Calls[3].SourceFromCallOrder, Is.True);
            Assert.That(trace.Calls[3].Sources, Is.EqualTo(new[] { "m2" }));
            Assert.That(graph.Edges.Single(e => e.To == "m3").Label, Is.EqualTo("call order"));
        });
    }

    [Test]
    public void Integer_inputs_are_followed_by_identity()
    {
        using var scope = NewDisposeScope();
        using var model = nn.Sequential(("embed", nn.Embedding(10, 4)), ("fc", nn.Linear(4, 2)));
        var trace = ModuleGraph.Trace(model, tensor(new long[] { 1, 2, 3 }));
        Assert.Multiple(() =>
        {
            Assert.That(trace.Graph.Edges.Select(e => (e.From, e.To)), Is.EqualTo(new[] { ("input", "m0"), ("m0", "m1"), ("m1", "output") }));
            Assert.That(trace.Calls[0].OutputShape, Is.EqualTo(new long[] { 3, 4 }));
        });
    }

    [Test]
    public void The_model_is_left_as_it_was()
    {
        using var scope = NewDisposeScope();
        using var model = nn.Sequential(("fc", nn.Linear(3, 3)), ("drop", nn.Dropout(0.5)), ("out", nn.Linear(3, 1)));
        model.train();
        var first = ModuleGraph.Trace(model, randn(2, 3));
        var second = ModuleGraph.Trace(model, randn(2, 3));
        Assert.Multiple(() =>
        {
            Assert.That(second.Calls, Has.Count.EqualTo(3), "the hooks of the first trace are gone");
            Assert.That(second.Graph.Nodes.Select(n => n.Label), Is.EqualTo(first.Graph.Nodes.Select(n => n.Label)));
            Assert.That(model.training, Is.True);
            Assert.That(model.modules().All(m => m.training), "training flags restored");
        });
    }

    [Test]
    public void The_DOT_text_is_a_top_to_bottom_digraph()
    {
        using var scope = NewDisposeScope();
        using var model = new SkipNet();
        var trace = ModuleGraph.Trace(model, randn(1, 3));
        var dot = trace.ToDot();
        var lines = dot.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Multiple(() =>
        {
            Assert.That(lines[0], Is.EqualTo("digraph model {"));
            Assert.That(dot, Does.Contain("rankdir=TB;"));
            Assert.That(dot, Does.Contain("m0 [label=\"{inp: Linear | [1, 4]}\", shape=Mrecord, style=rounded];"));
            Assert.That(lines.Count(l => l.Contains(" -> ", StringComparison.Ordinal)), Is.EqualTo(trace.Graph.Edges.Count));
            Assert.That(dot, Does.Contain("m3 -> t0;"));
            Assert.That(dot, Does.Contain("m0 -> t0;"));
            Assert.That(lines[^1], Is.EqualTo("}"));
        });
    }
}
