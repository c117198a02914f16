using System.Globalization;
using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Teaching.Autograd;

/// <summary>One call of a layer during <see cref="ModuleGraph.Trace"/>.</summary>
/// <param name="Id">The call's node id in <see cref="ModuleTrace.Graph"/> (<c>m0</c>, <c>m1</c>, ... in call order).</param>
/// <param name="Name">The module's path in the model (<c>0</c>, <c>fc1</c>, <c>block.conv</c>); a second call of the same module adds <c>(call 2)</c>.</param>
/// <param name="ModuleType">The module's TorchSharp name (<c>Linear</c>, <c>ReLU</c>, <c>Conv2d</c>, ...).</param>
/// <param name="InputShape">The shape of the tensor it received.</param>
/// <param name="OutputShape">The shape of the tensor it returned.</param>
/// <param name="Sources">The node ids its input came from: <c>input</c>, a call id, or a <c>t</c> node for tensor code between modules.</param>
/// <param name="SourceFromCallOrder">True when the source could not be found (a tensor without gradient made outside any module) and the edge comes from the call before instead.</param>
public sealed record ModuleCall(string Id, string Name, string ModuleType, IReadOnlyList<long> InputShape, IReadOnlyList<long> OutputShape, IReadOnlyList<string> Sources, bool SourceFromCallOrder);

/// <summary>The result of <see cref="ModuleGraph.Trace"/>: the layer calls of one forward pass and their graph.</summary>
/// <param name="Graph">Nodes: the input (<c>input</c>), one per layer call (<c>m0</c>, ...), one per tensor computed between layers (<c>t0</c>, ...), and the output (<c>output</c>); edges: the data flow.</param>
/// <param name="Calls">The layer calls in the order they ran.</param>
public sealed record ModuleTrace(ComputationGraph Graph, IReadOnlyList<ModuleCall> Calls)
{
    /// <summary>The graph as Graphviz DOT text, top to bottom.</summary>
    public string ToDot() => Graph.ToDot("model", leftToRight: false);
}

/// <summary>
/// The module-level computation graph of any model (<c>Module&lt;Tensor, Tensor&gt;</c>): one forward pass on a sample
/// input with forward hooks on every layer (every module without children), recording each call with its input and
/// output shapes, and where its input came from.
/// </summary>
/// <remarks>
/// <para>TorchSharp exposes no walk of <c>grad_fn</c>, so the data flow is recovered another way: each layer's output is
/// handed on as a fresh tensor that autograd treats as a leaf (<c>output.detach().requires_grad_()</c>, then cloned),
/// which cuts the autograd graph at every layer. A layer's input is then matched by identity to the layer (or the
/// model input) that produced it; a tensor computed by code between layers (a residual <c>x + f(x)</c>, a flatten, a
/// concatenation) depends, in autograd's graph, exactly on the layer outputs it was computed from, which
/// <c>torch.autograd.grad(..., allow_unused: true)</c> reveals. Such a tensor becomes a node of kind
/// <see cref="GraphNodeKind.Operation"/> (<c>tensor ops</c>) between them. So a Sequential is a chain, and a skip
/// connection shows as two edges into the addition's node.</para>
/// <para>Limits: hooks fire only through <c>module.call(x)</c>; a model that calls a submodule's <c>forward</c> directly
/// hides that layer (its work then shows as tensor ops). Only <c>Module&lt;Tensor, Tensor&gt;</c> layers are hooked;
/// layers of several inputs (attention) are part of the tensor ops around them. A tensor made without gradient
/// between layers (integer indices, a <c>no_grad</c> block, <c>detach</c>) has no visible source: its consumer is
/// joined to the call before it, flagged <see cref="ModuleCall.SourceFromCallOrder"/>. The pass runs in eval mode
/// (no dropout, no batch-norm statistics updated); every module's training flag is restored afterwards.</para>
/// </remarks>
public static class ModuleGraph
{
    /// <summary>Runs <paramref name="model"/> once on <paramref name="sampleInput"/> and returns its layer graph.</summary>
    /// <param name="model">The model; left as it was (its hooks removed, its training flags restored).</param>
    /// <param name="sampleInput">An input batch of the model's expected shape, e.g. <c>[1, 784]</c>.</param>
    /// <exception cref="ArgumentNullException">A null argument.</exception>
    public static ModuleTrace Trace(nn.Module<Tensor, Tensor> model, Tensor sampleInput)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sampleInput);
        TorchRuntime.EnsureInitialized();

        var modules = new List<(string Name, nn.Module Module)> { (model.GetName(), model) };
        foreach (var (name, module) in model.named_modules())
        {
            if (!modules.Any(m => ReferenceEquals(m.Module, module)))
                modules.Add((name, module));
        }
        var trainingFlags = modules.Select(m => (m.Module, m.Module.training)).ToList();
        var tracer = new Tracer();
        var removers = new List<Action>();
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        try
        {
            model.eval();
            foreach (var (name, module) in modules)
            {
                if (module is nn.Module<Tensor, Tensor> layer && !module.children().Any())
                    removers.Add(layer.register_forward_hook((m, input, output) => tracer.Record(name, m, input, output)).remove);
            }
            var x = tracer.Start(sampleInput);
            var y = model.call(x);
            return tracer.Finish(y);
        }
        finally
        {
            foreach (var remove in removers)
                remove();
            // Parents first, so that each module ends with its own flag (train(bool) sets the children too).
            foreach (var (module, training) in trainingFlags)
                module.train(training);
        }
    }

    /// <summary>The state of one trace: the nodes so far and how to find the producer of a tensor.</summary>
    sealed class Tracer
    {
        readonly List<GraphNode> _nodes = [];
        readonly List<GraphEdge> _edges = [];
        readonly List<ModuleCall> _calls = [];
        // Tensors handed on by the input and each layer, by native handle: a consumer receiving one was fed directly.
        readonly Dictionary<IntPtr, string> _producers = [];
        // The autograd leaves standing for those tensors, to find what a tensor computed between layers depends on.
        readonly List<(string Id, Tensor Leaf)> _leaves = [];
        readonly Dictionary<IntPtr, string> _operations = [];
        readonly Dictionary<nn.Module, int> _callCounts = new(ReferenceEqualityComparer.Instance);
        string _last = "input";

        public Tensor Start(Tensor sampleInput)
        {
            var (leaf, handed) = Cut(sampleInput);
            if (leaf is not null)
                _leaves.Add(("input", leaf));
            _producers[handed.Handle] = "input";
            _nodes.Add(new GraphNode("input", $"input | {Shapes.Format(sampleInput)}", GraphNodeKind.Value));
            return handed;
        }

        public Tensor Record(string name, nn.Module module, Tensor input, Tensor output)
        {
            var id = "m" + _calls.Count.ToString(CultureInfo.InvariantCulture);
            var (sources, fromOrder) = Sources(input);
            var count = _callCounts[module] = _callCounts.GetValueOrDefault(module) + 1;
            var displayName = count == 1 ? name : $"{name} (call {count})";
            _calls.Add(new ModuleCall(id, displayName, module.GetName(), input.shape, output.shape, sources, fromOrder));
            _nodes.Add(new GraphNode(id, $"{displayName}: {module.GetName()} | {Shapes.Format(output)}", GraphNodeKind.Module));
            foreach (var source in sources)
                _edges.Add(new GraphEdge(source, id, fromOrder ? "call order" : null));

            var (leaf, handed) = Cut(output);
            if (leaf is not null)
                _leaves.Add((id, leaf));
            _producers[handed.Handle] = id;
            _last = id;
            return handed;
        }

        public ModuleTrace Finish(Tensor output)
        {
            var (sources, fromOrder) = Sources(output);
            _nodes.Add(new GraphNode("output", $"output | {Shapes.Format(output)}", GraphNodeKind.Value));
            foreach (var source in sources)
                _edges.Add(new GraphEdge(source, "output", fromOrder ? "call order" : null));
            return new ModuleTrace(new ComputationGraph(_nodes, _edges), _calls);
        }

        /// <summary>A floating-point tensor becomes an autograd leaf (and a clone of it is handed on, so in-place layers work).</summary>
        static (Tensor? Leaf, Tensor Handed) Cut(Tensor tensor)
        {
            if (!tensor.is_floating_point())
                return (null, tensor);
            var leaf = tensor.detach().requires_grad_();
            return (leaf, leaf.clone());
        }

        /// <summary>Where a tensor came from: a producer by identity, or a tensor-ops node over what it depends on.</summary>
        (IReadOnlyList<string> Sources, bool FromOrder) Sources(Tensor tensor)
        {
            if (_producers.TryGetValue(tensor.Handle, out var producer))
                return ([producer], false);
            if (_operations.TryGetValue(tensor.Handle, out var known))
                return ([known], false);
            var dependencies = DependsOn(tensor);
            if (dependencies.Count == 0)
                return ([_last], true);
            var id = "t" + _operations.Count.ToString(CultureInfo.InvariantCulture);
            _operations[tensor.Handle] = id;
            _nodes.Add(new GraphNode(id, $"tensor ops | {Shapes.Format(tensor)}", GraphNodeKind.Operation));
            foreach (var source in dependencies)
                _edges.Add(new GraphEdge(source, id));
            return ([id], false);
        }

        List<string> DependsOn(Tensor tensor)
        {
            if (!tensor.requires_grad || _leaves.Count == 0)
                return [];
            var gradients = torch.autograd.grad([tensor], [.. _leaves.Select(l => l.Leaf)], [ones_like(tensor)], retain_graph: true, allow_unused: true);
            var sources = new List<string>();
            for (var i = 0; i < _leaves.Count; i++)
            {
                // An undefined gradient: no path from that leaf; a defined one (even zero): the tensor was computed from it.
                if (!gradients[i].IsInvalid)
                    sources.Add(_leaves[i].Id);
            }
            return sources;
        }
    }
}
