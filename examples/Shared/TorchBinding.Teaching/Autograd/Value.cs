using System.Globalization;
using TorchBinding.Activations;

namespace TorchBinding.Teaching.Autograd;

/// <summary>
/// A number that remembers how it was computed: scalar reverse-mode automatic differentiation for teaching, in the
/// spirit of micrograd. Every operation makes a new <see cref="Value"/> holding its result, the operation, its operands
/// (<see cref="Parents"/>) and the local derivatives ∂result/∂operand, evaluated on the way forward.
/// <see cref="Backward"/> then applies the chain rule from the output back to every value it depends on.
/// </summary>
/// <example>
/// <code>
/// var a = new Value(2, "a");
/// var b = new Value(1, "b");
/// var e = ((a + b) * (b + 1)).Named("e");
/// e.Backward();               // e = 6, a.Grad = 2, b.Grad = 5 (b is used twice: its two paths add up)
/// Console.WriteLine(e.ToDot());
/// </code>
/// </example>
/// <remarks>
/// Gradients accumulate as in PyTorch: <see cref="Backward"/> adds ∂output/∂v to every <see cref="Grad"/>, so a second
/// call without <see cref="ZeroGrad"/> doubles them. The graph walks are iterative, so a graph a million operations
/// deep does not overflow the stack. A value is not thread-safe.
/// </remarks>
public sealed class Value
{
    readonly Value[] _parents;
    readonly double[] _localDerivatives;

    /// <summary>A leaf value (an input or a parameter).</summary>
    /// <param name="data">The number.</param>
    /// <param name="label">A name for graphs and messages, e.g. <c>"w"</c>.</param>
    public Value(double data, string label = "")
        : this(data, label ?? throw new ArgumentNullException(nameof(label)), "", [], [])
    {
    }

    Value(double data, string label, string operation, Value[] parents, double[] localDerivatives)
    {
        Data = data;
        Label = label;
        Operation = operation;
        _parents = parents;
        _localDerivatives = localDerivatives;
    }

    /// <summary>The number. Settable, so that a training loop can step a parameter: <c>w.Data -= lr * w.Grad</c>.</summary>
    public double Data { get; set; }

    /// <summary>∂output/∂this, accumulated by <see cref="Backward"/>; 0 until then.</summary>
    public double Grad { get; set; }

    /// <summary>A name for graphs, e.g. <c>"c"</c>; empty when unnamed (constants are named by their number).</summary>
    public string Label { get; set; }

    /// <summary>The operation that made this value (<c>+</c>, <c>×</c>, <c>tanh</c>, <c>^2</c>, ...); empty for a leaf.</summary>
    public string Operation { get; }

    /// <summary>The operands this value was computed from; empty for a leaf.</summary>
    public IReadOnlyList<Value> Parents => _parents;

    /// <summary>∂this/∂operand for each of <see cref="Parents"/>, evaluated when the value was computed.</summary>
    public IReadOnlyList<double> LocalDerivatives => _localDerivatives;

    /// <summary>Whether this value is an input rather than the result of an operation.</summary>
    public bool IsLeaf => _parents.Length == 0;

    /// <summary>Sets <see cref="Label"/> and returns this value, for <c>var c = (a + b).Named("c");</c>.</summary>
    public Value Named(string label)
    {
        Label = label ?? throw new ArgumentNullException(nameof(label));
        return this;
    }

    /// <summary>A constant, labelled with its number (what a <see cref="double"/> operand becomes).</summary>
    public static Value Constant(double data) => new(data, Format(data, compact: true));

    /// <summary>A <see cref="double"/> operand becomes a <see cref="Constant"/>: <c>a * 2</c>, <c>1 - a</c>.</summary>
    public static implicit operator Value(double data) => Constant(data);

    /// <summary>a + b; ∂/∂a = 1, ∂/∂b = 1.</summary>
    public static Value operator +(Value a, Value b) => Binary(a, b, "+", a.Data + b.Data, 1, 1);

    /// <summary>a − b; ∂/∂a = 1, ∂/∂b = −1.</summary>
    public static Value operator -(Value a, Value b) => Binary(a, b, "−", a.Data - b.Data, 1, -1);

    /// <summary>a × b; ∂/∂a = b, ∂/∂b = a.</summary>
    public static Value operator *(Value a, Value b) => Binary(a, b, "×", a.Data * b.Data, b.Data, a.Data);

    /// <summary>a ÷ b; ∂/∂a = 1/b, ∂/∂b = −a/b².</summary>
    /// <exception cref="ArgumentException"><paramref name="b"/> is 0.</exception>
    public static Value operator /(Value a, Value b)
    {
        ArgumentNullException.ThrowIfNull(b);
        if (b.Data == 0)
            throw new ArgumentException($"Value: division by zero ({Describe(a)} ÷ {Describe(b)}).", nameof(b));
        return Binary(a, b, "÷", a.Data / b.Data, 1 / b.Data, -a.Data / (b.Data * b.Data));
    }

    /// <summary>−a; ∂/∂a = −1.</summary>
    public static Value operator -(Value a) => Unary(a, "−", -a.Data, -1);

    /// <summary>this^k for a constant exponent k; ∂/∂this = k · this^(k−1).</summary>
    /// <exception cref="ArgumentException">A negative base with a non-integer exponent, or 0 with a negative one.</exception>
    public Value Pow(double exponent)
    {
        CheckPower(Data, exponent, Describe(this));
        return Unary(this, "^" + Format(exponent, compact: true), Math.Pow(Data, exponent), exponent * Math.Pow(Data, exponent - 1));
    }

    /// <summary>e^this; the derivative is e^this.</summary>
    public Value Exp()
    {
        var e = Math.Exp(Data);
        return Unary(this, "exp", e, e);
    }

    /// <summary>ln(this); the derivative is 1/this.</summary>
    /// <exception cref="ArgumentException">This value is not positive.</exception>
    public Value Log()
    {
        if (!(Data > 0))
            throw new ArgumentException($"Value: log of a value that is not positive ({Describe(this)} = {Format(Data)}).");
        return Unary(this, "log", Math.Log(Data), 1 / Data);
    }

    /// <summary>tanh(this); the derivative is 1 − tanh².</summary>
    public Value Tanh()
    {
        var t = Math.Tanh(Data);
        return Unary(this, "tanh", t, 1 - t * t);
    }

    /// <summary>σ(this) = 1 / (1 + e^(−this)); the derivative is σ(1 − σ).</summary>
    public Value Sigmoid()
    {
        var s = Scalar.Sigmoid(Data);
        return Unary(this, "σ", s, s * (1 - s));
    }

    /// <summary>max(0, this); the derivative is 1 for positive values, else 0.</summary>
    public Value Relu() => Unary(this, "ReLU", Math.Max(0, Data), Data > 0 ? 1 : 0);

    /// <summary>
    /// The binary step: 1 if this ≥ 0, else 0. Its true derivative is 0; the backward pass uses
    /// <paramref name="surrogate"/> instead (straight-through), so that what comes before the step can learn.
    /// </summary>
    /// <param name="surrogate">The derivative used backward: 1 (default, straight-through), σ'(x), or the true 0.</param>
    public Value Step(StepSurrogate surrogate = StepSurrogate.Identity) =>
        Unary(this, "step", Data >= 0 ? 1 : 0, Scalar.StepDerivative(Data, surrogate));

    /// <summary>The sum of <paramref name="values"/> as one operation Σ (a flat node, whatever the count).</summary>
    /// <exception cref="ArgumentException">No values.</exception>
    public static Value Sum(IEnumerable<Value> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        Value[] parents = [.. values];
        if (parents.Length == 0)
            throw new ArgumentException("Value.Sum: no values to add.", nameof(values));
        foreach (var v in parents)
            ArgumentNullException.ThrowIfNull(v, nameof(values));
        var local = new double[parents.Length];
        Array.Fill(local, 1.0);
        return new Value(parents.Sum(v => v.Data), "", "Σ", parents, local);
    }

    /// <summary>
    /// Reverse mode: adds ∂this/∂v to <see cref="Grad"/> of this value and of every value it was computed from, visiting
    /// them in reverse topological order (each after everything that uses it), so a value used twice collects both
    /// contributions before it passes its gradient on.
    /// </summary>
    public void Backward()
    {
        var order = TopologicalOrder();
        var index = new Dictionary<Value, int>(order.Count, ReferenceEqualityComparer.Instance);
        for (var i = 0; i < order.Count; i++)
            index[order[i]] = i;

        // This pass's gradients are kept apart from Grad, so that accumulating across passes stays exact.
        var upstream = new double[order.Count];
        upstream[^1] = 1;
        for (var i = order.Count - 1; i >= 0; i--)
        {
            var v = order[i];
            var g = upstream[i];
            v.Grad += g;
            for (var p = 0; p < v._parents.Length; p++)
                upstream[index[v._parents[p]]] += g * v._localDerivatives[p];
        }
    }

    /// <summary>Sets <see cref="Grad"/> to 0 for this value and every value it was computed from.</summary>
    public void ZeroGrad()
    {
        foreach (var v in TopologicalOrder())
            v.Grad = 0;
    }

    /// <summary>This value and every value it depends on, each after its operands (leaves first, this one last).</summary>
    public IReadOnlyList<Value> TopologicalOrder()
    {
        var order = new List<Value>();
        var visited = new HashSet<Value>(ReferenceEqualityComparer.Instance) { this };
        // Depth-first with an explicit stack: a node is emitted once all its operands have been.
        var stack = new Stack<(Value Node, int NextParent)>();
        stack.Push((this, 0));
        while (stack.Count > 0)
        {
            var (node, next) = stack.Pop();
            if (next < node._parents.Length)
            {
                stack.Push((node, next + 1));
                var parent = node._parents[next];
                if (visited.Add(parent))
                    stack.Push((parent, 0));
            }
            else
            {
                order.Add(node);
            }
        }
        return order;
    }

    /// <summary>
    /// The expression graph of this value: a node per value (label <c>c = a + b | data 3.0 | grad 2.0</c>) and, with
    /// <paramref name="operationNodes"/>, a node per operation between its operands and its result, as micrograd draws
    /// it. The edges into an operation carry the local derivative (<c>∂c/∂a = 1.0</c>).
    /// </summary>
    /// <param name="operationNodes">Draw operations as their own nodes (default); otherwise edges go straight from operands to results, labelled with the operation and the local derivative.</param>
    public ComputationGraph ToGraph(bool operationNodes = true)
    {
        var order = TopologicalOrder();
        var ids = new Dictionary<Value, string>(order.Count, ReferenceEqualityComparer.Instance);
        var nodes = new List<GraphNode>();
        var edges = new List<GraphEdge>();
        for (var i = 0; i < order.Count; i++)
        {
            var v = order[i];
            var id = "v" + i.ToString(CultureInfo.InvariantCulture);
            ids[v] = id;
            var target = id;
            if (!v.IsLeaf && operationNodes)
            {
                // The operation comes between its operands and its result, in the nodes' order too.
                target = id + "_op";
                nodes.Add(new GraphNode(target, v.Operation, GraphNodeKind.Operation));
            }
            nodes.Add(new GraphNode(id, v.NodeLabel(), GraphNodeKind.Value));
            for (var p = 0; p < v._parents.Length; p++)
            {
                var derivative = DerivativeLabel(v, v._parents[p], v._localDerivatives[p]);
                edges.Add(new GraphEdge(ids[v._parents[p]], target, operationNodes || derivative is null ? derivative ?? (operationNodes ? null : v.Operation) : $"{v.Operation}, {derivative}"));
            }
            if (target != id)
                edges.Add(new GraphEdge(target, id));
        }
        return new ComputationGraph(nodes, edges);
    }

    /// <summary>The expression graph as Graphviz DOT text (<see cref="ToGraph"/>, left to right).</summary>
    /// <param name="operationNodes">Draw operations as their own nodes (default).</param>
    public string ToDot(bool operationNodes = true) => ToGraph(operationNodes).ToDot("value");

    /// <summary>The value as <c>Value(c = a + b: data 3.0, grad 2.0)</c>.</summary>
    public override string ToString() => $"Value({Describe(this, withExpression: true)}: data {Format(Data)}, grad {Format(Grad)})";

    static Value Binary(Value a, Value b, string operation, double data, double da, double db)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new Value(data, "", operation, [a, b], [da, db]);
    }

    static Value Unary(Value a, string operation, double data, double derivative)
    {
        ArgumentNullException.ThrowIfNull(a);
        return new Value(data, "", operation, [a], [derivative]);
    }

    internal static void CheckPower(double data, double exponent, string what)
    {
        if (data < 0 && exponent != Math.Floor(exponent))
            throw new ArgumentException($"Pow: a negative base ({what} = {Format(data)}) with a non-integer exponent {Format(exponent)} has no real value.", nameof(exponent));
        if (data == 0 && exponent < 1 && exponent != 0)
            throw new ArgumentException($"Pow: {what} = 0 with exponent {Format(exponent)} has no finite derivative.", nameof(exponent));
    }

    /// <summary>The operation with its operands, e.g. <c>a + b</c>, <c>tanh(n)</c>, <c>x^2</c>; empty for a leaf.</summary>
    string Expression()
    {
        if (IsLeaf)
            return "";
        var operands = _parents.Select(p => Describe(p)).ToArray();
        return Operation switch
        {
            "−" when operands.Length == 1 => $"−{operands[0]}",
            "+" or "−" or "×" or "÷" => $"{operands[0]} {Operation} {operands[1]}",
            "Σ" => operands.Length <= 4 ? string.Join(" + ", operands) : $"Σ of {operands.Length} terms",
            _ when Operation.StartsWith('^') => $"{operands[0]}{Operation}",
            _ => $"{Operation}({operands[0]})",
        };
    }

    /// <summary>How an operand is named in an expression: its label, else its number.</summary>
    static string Describe(Value v, bool withExpression = false)
    {
        if (!withExpression)
            return v.Label.Length > 0 ? v.Label : Format(v.Data);
        var expression = v.Expression();
        return (v.Label.Length > 0, expression.Length > 0) switch
        {
            (true, true) => $"{v.Label} = {expression}",
            (true, false) => v.Label,
            (false, true) => expression,
            _ => "",
        };
    }

    string NodeLabel()
    {
        var name = Describe(this, withExpression: true);
        var numbers = $"data {Format(Data)} | grad {Format(Grad)}";
        return name.Length > 0 ? $"{name} | {numbers}" : numbers;
    }

    // Constants need no derivative on their edge: nothing flows back into them.
    static string? DerivativeLabel(Value result, Value operand, double derivative) =>
        operand.IsConstant() ? null
        : result.Label.Length > 0 && operand.Label.Length > 0 ? $"∂{result.Label}/∂{operand.Label} = {Format(derivative)}"
        : $"∂ = {Format(derivative)}";

    bool IsConstant() => IsLeaf && Label == Format(Data, compact: true);

    /// <summary>A number for labels: at least one decimal, at most four (3 → "3.0", 0.123456 → "0.1235").</summary>
    internal static string Format(double value, bool compact = false) =>
        value.ToString(compact ? "0.####" : "0.0###", CultureInfo.InvariantCulture);
}
