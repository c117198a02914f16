using System.Text;
using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Graphs;

/// <summary>How a graph's nodes are placed.</summary>
public enum GraphLayout
{
    /// <summary>Spring for undirected diagrams of more than 3 nodes; else layered for graphs without cycles or self-loops, else circular.</summary>
    Auto,
    /// <summary>Layers by longest path from the sources (a computation graph reads left to right).</summary>
    Layered,
    /// <summary>Nodes on a circle (state machines, Markov chains, attention graphs).</summary>
    Circular,
    /// <summary>A spring layout (Kamada–Kawai's model: graph distances as rest lengths) from a fixed seed: molecules, networks, any undirected graph.</summary>
    Spring,
}

/// <summary>How a node is drawn.</summary>
public enum NodeShape
{
    /// <summary>A circle around the label.</summary>
    Circle,
    /// <summary>A rounded box around the label.</summary>
    Box,
}

/// <summary>
/// A small node-edge diagram: a computation graph with local derivatives on its edges, a finite-state machine or
/// Markov chain with transition probabilities (self-loops and edges both ways are drawn apart), an attention graph.
/// Laid out by itself (no Graphviz needed); <see cref="ToDot"/> gives the same graph as Graphviz DOT text.
/// <see cref="From(global::TorchBinding.Graphs.Graph, GraphDrawing?)"/> draws a <c>TorchBinding.Graphs.Graph</c> (a molecule,
/// a GNN's input) with a spring layout, coloured nodes and edges, and undirected edges drawn once.
/// </summary>
/// <example><code>
/// var graph = new GraphDiagram { Title = "e = (a + b)(b + 1)" }
///     .AddEdge("a", "c", "∂c/∂a = 1").AddEdge("b", "c", "1").AddEdge("b", "d", "1")
///     .AddEdge("c", "e", "∂e/∂c = d").AddEdge("d", "e", "∂e/∂d = c");
/// graph.Save("graph.png");
/// File.WriteAllText("graph.dot", graph.ToDot());
/// </code></example>
public sealed class GraphDiagram : Figure
{
    readonly List<Node> _nodes = [];
    readonly List<Edge> _edges = [];
    readonly List<(string Label, SKColor Colour, bool IsEdge)> _legend = [];

    /// <summary>How nodes are placed (default: layered when acyclic, else circular).</summary>
    public GraphLayout Layout { get; set; } = GraphLayout.Auto;

    /// <summary>The shape of nodes added without one (default circles).</summary>
    public NodeShape NodeShape { get; set; } = NodeShape.Circle;

    /// <summary>Whether layers run left to right (default) rather than top to bottom.</summary>
    public bool LeftToRight { get; set; } = true;

    /// <summary>
    /// Whether edges have a direction (default true). When false, edges are lines without arrowheads, and a pair
    /// a → b, b → a (how an undirected graph stores an edge) is drawn once.
    /// </summary>
    public bool Directed { get; set; } = true;

    /// <summary>The seed of the <see cref="GraphLayout.Spring"/> layout's starting positions (default 42).</summary>
    public int LayoutSeed { get; set; } = 42;

    /// <summary>The smallest radius of a circle node in pixels (default 22; a larger label makes a larger circle).</summary>
    public float NodeRadius { get; set; } = 22;

    /// <summary>The node identifiers, in the order added.</summary>
    public IReadOnlyList<string> NodeIds => _nodes.Select(n => n.Id).ToList();

    /// <summary>The number of edges.</summary>
    public int EdgeCount => _edges.Count;

    /// <summary>Adds a node (or restyles one that exists).</summary>
    /// <param name="id">Its identifier, used by edges.</param>
    /// <param name="label">The text drawn in it (default: the identifier).</param>
    /// <param name="shape">Its shape (default: <see cref="NodeShape"/>).</param>
    /// <param name="fill">Its fill colour (default: a light tint).</param>
    public GraphDiagram AddNode(string id, string? label = null, NodeShape? shape = null, SKColor? fill = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        var index = _nodes.FindIndex(n => n.Id == id);
        var node = new Node(id, label ?? id, shape, fill);
        if (index >= 0)
            _nodes[index] = node;
        else
            _nodes.Add(node);
        return this;
    }

    /// <summary>
    /// A diagram of a <see cref="TorchBinding.Autograd.ComputationGraph"/> (an expression graph of
    /// <c>Value</c>, or a model's layer graph): values as circles, operations and modules as boxes, fields of a
    /// label ("c = a + b | data 3 | grad 2") on separate lines, edges with their labels.
    /// </summary>
    public static GraphDiagram From(TorchBinding.Autograd.ComputationGraph graph, string? title = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var diagram = new GraphDiagram { Title = title };
        foreach (var node in graph.Nodes)
            diagram.AddNode(node.Id, string.Join("\n", node.Fields), node.Kind == TorchBinding.Autograd.GraphNodeKind.Value ? NodeShape.Circle : NodeShape.Box);
        foreach (var edge in graph.Edges)
            diagram.AddEdge(edge.From, edge.To, edge.Label);
        return diagram;
    }

    /// <summary>Adds a directed edge; nodes not yet added are added with their identifiers as labels.</summary>
    /// <param name="from">The source node.</param>
    /// <param name="to">The target node (the same as <paramref name="from"/> for a self-loop).</param>
    /// <param name="label">The text on the edge, e.g. a local derivative or a probability (null: none).</param>
    /// <param name="colour">The edge's colour (default: ink).</param>
    public GraphDiagram AddEdge(string from, string to, string? label = null, SKColor? colour = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(from);
        ArgumentException.ThrowIfNullOrEmpty(to);
        if (_nodes.All(n => n.Id != from))
            AddNode(from);
        if (_nodes.All(n => n.Id != to))
            AddNode(to);
        _edges.Add(new Edge(from, to, label, colour));
        return this;
    }

    /// <summary>Adds a legend entry: a filled circle (a kind of node) or, with <paramref name="isEdge"/>, a line (a kind of edge).</summary>
    public GraphDiagram AddLegend(string label, SKColor colour, bool isEdge = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(label);
        _legend.Add((label, colour, isEdge));
        return this;
    }

    /// <summary>
    /// A diagram of a graph of <c>TorchBinding.Graphs</c>: one node per node (labelled with its index unless
    /// <see cref="GraphDrawing.NodeLabels"/> says otherwise), one edge per edge, undirected when every edge has its
    /// reverse (each pair then drawn once), laid out by a seeded spring layout unless asked otherwise.
    /// </summary>
    public static GraphDiagram From(global::TorchBinding.Graphs.Graph graph, GraphDrawing? drawing = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        drawing ??= new GraphDrawing();
        var n = checked((int)graph.NodeCount);
        if (n == 0)
            throw new ArgumentException("The graph has no nodes to draw.", nameof(graph));
        if (drawing.NodeLabels is { } labels && labels.Count != n)
            throw new ArgumentException($"GraphDrawing.NodeLabels has {labels.Count} labels for {n} nodes.", nameof(drawing));
        if (drawing.NodeFills is { } fills && fills.Count != n)
            throw new ArgumentException($"GraphDrawing.NodeFills has {fills.Count} colours for {n} nodes.", nameof(drawing));
        var edges = graph.EdgeList();
        if (drawing.EdgeColours is { } colours && colours.Count != edges.Count)
            throw new ArgumentException($"GraphDrawing.EdgeColours has {colours.Count} colours for {edges.Count} edges.", nameof(drawing));
        if (drawing.EdgeLabels is { } edgeLabels && edgeLabels.Count != edges.Count)
            throw new ArgumentException($"GraphDrawing.EdgeLabels has {edgeLabels.Count} labels for {edges.Count} edges.", nameof(drawing));
        var diagram = new GraphDiagram
        {
            Title = drawing.Title,
            Directed = drawing.Directed ?? !graph.IsUndirected(),
            Layout = drawing.Layout,
            LayoutSeed = drawing.Seed,
            NodeRadius = drawing.NodeRadius,
        };
        for (var i = 0; i < n; i++)
            diagram.AddNode(i.ToString(System.Globalization.CultureInfo.InvariantCulture), drawing.NodeLabels?[i], fill: drawing.NodeFills?[i]);
        for (var k = 0; k < edges.Count; k++)
        {
            var (from, to) = (edges[k].Source.ToString(System.Globalization.CultureInfo.InvariantCulture), edges[k].Target.ToString(System.Globalization.CultureInfo.InvariantCulture));
            diagram.AddEdge(from, to, drawing.EdgeLabels?[k], drawing.EdgeColours?[k]);
        }
        return diagram;
    }

    /// <summary>The graph as Graphviz DOT text (render it elsewhere with <c>dot -Tpng</c>).</summary>
    public string ToDot()
    {
        static string Quote(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
        var dot = new StringBuilder();
        dot.AppendLine("digraph G {");
        if (!string.IsNullOrEmpty(Title))
            dot.AppendLine($"  label={Quote(Title)};\n  labelloc=t;");
        dot.AppendLine($"  rankdir={(LeftToRight ? "LR" : "TB")};");
        if (ChosenLayout() == GraphLayout.Circular)
            dot.AppendLine("  layout=circo;");
        else if (ChosenLayout() == GraphLayout.Spring)
            dot.AppendLine("  layout=neato;");
        dot.AppendLine($"  node [shape={(NodeShape == NodeShape.Circle ? "circle" : "box")}, fontname=\"DejaVu Sans\"];");
        foreach (var node in _nodes)
        {
            var attributes = new List<string> { $"label={Quote(node.Label)}" };
            if (node.Shape is { } shape)
                attributes.Add($"shape={(shape == NodeShape.Circle ? "circle" : "box")}");
            if (node.Fill is { } fill)
                attributes.Add($"style=filled, fillcolor=\"#{fill.Red:X2}{fill.Green:X2}{fill.Blue:X2}\"");
            dot.AppendLine($"  {Quote(node.Id)} [{string.Join(", ", attributes)}];");
        }
        foreach (var edge in DrawnEdges())
        {
            var attributes = new List<string>();
            if (edge.Label is not null)
                attributes.Add($"label={Quote(edge.Label)}");
            if (edge.Colour is { } colour)
                attributes.Add($"color=\"#{colour.Red:X2}{colour.Green:X2}{colour.Blue:X2}\"");
            if (!Directed)
                attributes.Add("dir=none");
            dot.AppendLine($"  {Quote(edge.From)} -> {Quote(edge.To)}{(attributes.Count == 0 ? "" : $" [{string.Join(", ", attributes)}]")};");
        }
        dot.AppendLine("}");
        return dot.ToString();
    }

    GraphLayout ChosenLayout() => Layout != GraphLayout.Auto ? Layout
        : !Directed && _nodes.Count > 3 ? GraphLayout.Spring
        : _edges.Any(e => e.From == e.To) || HasCycle() ? GraphLayout.Circular : GraphLayout.Layered;

    /// <summary>The edges to draw: all of them, or for an undirected diagram each pair once.</summary>
    List<Edge> DrawnEdges()
    {
        if (Directed)
            return _edges;
        var seen = new HashSet<(string, string)>();
        return _edges.Where(e => seen.Add(string.CompareOrdinal(e.From, e.To) <= 0 ? (e.From, e.To) : (e.To, e.From))).ToList();
    }

    bool HasCycle()
    {
        if (!Directed)
            return _edges.Any(e => e.From != e.To);
        var state = _nodes.ToDictionary(n => n.Id, _ => 0); // 0 unvisited, 1 on the stack, 2 done
        bool Visit(string id)
        {
            state[id] = 1;
            foreach (var e in _edges.Where(e => e.From == id))
                if (state[e.To] == 1 || (state[e.To] == 0 && Visit(e.To)))
                    return true;
            state[id] = 2;
            return false;
        }
        return _nodes.Any(n => state[n.Id] == 0 && Visit(n.Id));
    }

    /// <summary>Node positions in the unit square (x right, y down).</summary>
    Dictionary<string, (double X, double Y)> UnitPositions(GraphLayout layout)
    {
        var positions = new Dictionary<string, (double, double)>();
        if (layout == GraphLayout.Spring)
            return SpringPositions();
        if (layout == GraphLayout.Circular)
        {
            var n = _nodes.Count;
            for (var i = 0; i < n; i++)
            {
                // Start at the left for two nodes, else at the top, going clockwise.
                var angle = n == 2 ? Math.PI * (1 - i) : -Math.PI / 2 + 2 * Math.PI * i / n;
                positions[_nodes[i].Id] = (0.5 + 0.5 * Math.Cos(angle), 0.5 + 0.5 * Math.Sin(angle));
            }
            return positions;
        }
        // Longest-path layering (acyclic part; back edges of a forced layered layout are ignored).
        var layer = _nodes.ToDictionary(n => n.Id, _ => 0);
        for (var pass = 0; pass < _nodes.Count; pass++)
            foreach (var e in _edges.Where(e => e.From != e.To))
                if (layer[e.To] < layer[e.From] + 1 && layer[e.From] + 1 < _nodes.Count)
                    layer[e.To] = layer[e.From] + 1;
        var layers = _nodes.GroupBy(n => layer[n.Id]).OrderBy(g => g.Key).Select(g => g.Select(n => n.Id).ToList()).ToList();
        // Barycentre sweeps reduce crossings: order each layer by the mean position of its neighbours.
        for (var sweep = 0; sweep < 4; sweep++)
            for (var l = 1; l < layers.Count; l++)
            {
                var previous = layers[l - 1];
                layers[l] = layers[l].OrderBy(id =>
                {
                    var neighbours = _edges.Where(e => e.To == id && previous.Contains(e.From)).Select(e => previous.IndexOf(e.From)).ToList();
                    return neighbours.Count > 0 ? neighbours.Average() : layers[l].IndexOf(id);
                }).ToList();
            }
        for (var l = 0; l < layers.Count; l++)
            for (var i = 0; i < layers[l].Count; i++)
            {
                var along = layers.Count == 1 ? 0.5 : (double)l / (layers.Count - 1);
                var across = (i + 0.5) / layers[l].Count;
                positions[layers[l][i]] = LeftToRight ? (along, across) : (across, along);
            }
        return positions;
    }

    /// <summary>
    /// Kamada–Kawai's spring model (every pair of nodes joined by a spring whose rest length is their graph distance,
    /// stiffness 1/d²), minimised by stochastic gradient descent over the pairs with an annealed step (Zheng, Pawar &amp;
    /// Goodman, 2018). Bonds come out about equally long and no two nodes closer than one bond. Nodes in different
    /// components are held one step further apart than the longest distance. Deterministic for a <see cref="LayoutSeed"/>.
    /// </summary>
    Dictionary<string, (double X, double Y)> SpringPositions()
    {
        var n = _nodes.Count;
        var index = _nodes.Select((node, i) => (node.Id, i)).ToDictionary(p => p.Id, p => p.i);
        var neighbours = Enumerable.Range(0, n).Select(_ => new List<int>()).ToArray();
        foreach (var e in _edges.Where(e => e.From != e.To))
        {
            neighbours[index[e.From]].Add(index[e.To]);
            neighbours[index[e.To]].Add(index[e.From]);
        }
        // Graph distances by breadth-first search from every node.
        var distance = new int[n, n];
        for (var source = 0; source < n; source++)
        {
            for (var t = 0; t < n; t++)
                distance[source, t] = -1;
            distance[source, source] = 0;
            var queue = new Queue<int>([source]);
            while (queue.TryDequeue(out var u))
            {
                foreach (var v in neighbours[u].Where(v => distance[source, v] < 0))
                {
                    distance[source, v] = distance[source, u] + 1;
                    queue.Enqueue(v);
                }
            }
        }
        var longest = 1;
        foreach (var d in distance)
            longest = Math.Max(longest, d);
        var pairs = new List<(int I, int J, double D)>();
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
                pairs.Add((i, j, distance[i, j] > 0 ? distance[i, j] : longest + 1));
        }
        var random = new Random(LayoutSeed);
        var x = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => random.NextDouble()).ToArray();
        if (pairs.Count > 0)
        {
            // Step sizes from 1/w_min down to 0.01/w_max, exponentially, over 30 sweeps (w = 1/d²).
            var (largest, epsilon, sweeps) = (pairs.Max(p => p.D), 0.01, 30);
            var etaMax = largest * largest;
            var decay = Math.Log(etaMax / epsilon) / (sweeps - 1);
            var order = pairs.ToArray();
            for (var sweep = 0; sweep < sweeps; sweep++)
            {
                var eta = etaMax * Math.Exp(-decay * sweep);
                random.Shuffle(order);
                foreach (var (i, j, d) in order)
                {
                    var mu = Math.Min(1, eta / (d * d));
                    var (dx, dy) = (x[i] - x[j], y[i] - y[j]);
                    var length = Math.Max(Math.Sqrt(dx * dx + dy * dy), 1e-9);
                    var r = mu * (length - d) / (2 * length);
                    (x[i], y[i], x[j], y[j]) = (x[i] - r * dx, y[i] - r * dy, x[j] + r * dx, y[j] + r * dy);
                }
            }
        }
        // Fit into the unit square, keeping the aspect ratio.
        var (minX, maxX, minY, maxY) = (x.Min(), x.Max(), y.Min(), y.Max());
        var span = Math.Max(Math.Max(maxX - minX, maxY - minY), 1e-9);
        var (offsetX, offsetY) = ((1 - (maxX - minX) / span) / 2, (1 - (maxY - minY) / span) / 2);
        return _nodes.Select((node, i) => (node.Id, P: (offsetX + (x[i] - minX) / span, offsetY + (y[i] - minY) / span)))
            .ToDictionary(p => p.Id, p => p.P);
    }

    (float HalfWidth, float HalfHeight) NodeSize(Node node)
    {
        // Labels may have several lines ("c = a + b\ndata 3\ngrad 2").
        var lines = node.Label.Split('\n');
        var text = lines.Max(l => Text.Width(l, Theme.LabelSize));
        var height = lines.Length * Text.LineHeight(Theme.LabelSize);
        return (node.Shape ?? NodeShape) == NodeShape.Circle
            ? (Math.Max(NodeRadius, Math.Max(text, height) / 2 + 11), Math.Max(NodeRadius, Math.Max(text, height) / 2 + 11))
            : (text / 2 + 12, Math.Max(17, height / 2 + 8));
    }

    private protected override (int Width, int Height) DefaultSize => ChosenLayout() switch
    {
        GraphLayout.Circular => (560, 500),
        GraphLayout.Spring => (620, 560),
        _ => (720, 420),
    };

    /// <summary>Node centres in a figure drawn into <paramref name="area"/> (for tests).</summary>
    internal Dictionary<string, SKPoint> NodeCentres(SKRect area)
    {
        var layout = ChosenLayout();
        var unit = UnitPositions(layout);
        var largest = _nodes.Count == 0 ? 20 : _nodes.Max(n => Math.Max(NodeSize(n).HalfWidth, NodeSize(n).HalfHeight));
        // Room for self-loops and edge labels outside the outermost nodes.
        var margin = largest + (layout == GraphLayout.Circular ? 2.6f * largest : 14);
        var legend = _legend.Count == 0 ? 0 : Text.LineHeight(Theme.TickSize) + 10;
        var inner = new SKRect(area.Left + margin, area.Top + TitleBand.HeightOf(Title) + margin, area.Right - margin, area.Bottom - margin - legend);
        // Two nodes on a "circle" sit side by side: only the width matters, so the area is not squared.
        if (layout is GraphLayout.Circular or GraphLayout.Spring && !(layout == GraphLayout.Circular && _nodes.Count == 2))
        {
            var side = Math.Min(inner.Width, inner.Height);
            inner = SKRect.Create(inner.MidX - side / 2, inner.MidY - side / 2, side, side);
        }
        return unit.ToDictionary(p => p.Key, p => new SKPoint((float)(inner.Left + p.Value.X * inner.Width), (float)(inner.Top + p.Value.Y * inner.Height)));
    }

    private protected override void Draw(SKCanvas canvas, SKRect area)
    {
        if (_nodes.Count == 0)
            throw new InvalidOperationException("The graph has no nodes; add some with AddNode or AddEdge.");
        TitleBand.Draw(canvas, area, Title);
        var centres = NodeCentres(area);
        var centre = new SKPoint(centres.Values.Average(p => p.X), centres.Values.Average(p => p.Y));
        var nodes = _nodes.ToDictionary(n => n.Id);
        using var line = new SKPaint { Color = Theme.Ink, IsStroke = true, StrokeWidth = Directed ? 1.6f : 2.4f, IsAntialias = true };
        using var head = new SKPaint { Color = Theme.Ink, IsAntialias = true };
        var labels = new List<(string Text, SKPoint At)>();
        foreach (var edge in DrawnEdges())
        {
            var (from, to) = (nodes[edge.From], nodes[edge.To]);
            var (p, q) = (centres[edge.From], centres[edge.To]);
            line.Color = head.Color = edge.Colour ?? Theme.Ink;
            if (edge.From == edge.To)
            {
                labels.Add((edge.Label ?? "", DrawSelfLoop(canvas, line, head, p, centre, NodeSize(from), Directed)));
                continue;
            }
            if (!Directed)
            {
                var (a, b) = (Boundary(p, q, NodeSize(from), from.Shape ?? NodeShape), Boundary(q, p, NodeSize(to), to.Shape ?? NodeShape));
                canvas.DrawLine(a, b, line);
                labels.Add((edge.Label ?? "", new SKPoint((a.X + b.X) / 2, (a.Y + b.Y) / 2)));
                continue;
            }
            // Edges both ways bend, each to its own side; single edges are straight.
            var bend = _edges.Any(e => e.From == edge.To && e.To == edge.From) ? 0.18f : 0f;
            var d = q - p;
            var length = MathF.Max(1, d.Length);
            var normal = new SKPoint(-d.Y / length, d.X / length);
            var control = new SKPoint((p.X + q.X) / 2 + normal.X * bend * length, (p.Y + q.Y) / 2 + normal.Y * bend * length);
            var start = Boundary(p, control, NodeSize(from), from.Shape ?? NodeShape);
            var end = Boundary(q, control, NodeSize(to), to.Shape ?? NodeShape);
            var tip = end;
            end = Towards(end, control, 9); // the arrowhead covers the last stretch
            using var path = new SKPath();
            path.MoveTo(start);
            path.QuadTo(control, end);
            canvas.DrawPath(path, line);
            DrawArrowhead(canvas, head, control, tip);
            var mid = new SKPoint(0.25f * start.X + 0.5f * control.X + 0.25f * tip.X, 0.25f * start.Y + 0.5f * control.Y + 0.25f * tip.Y);
            labels.Add((edge.Label ?? "", mid));
        }
        foreach (var node in _nodes)
            DrawNode(canvas, node, centres[node.Id]);
        foreach (var (text, at) in labels.Where(l => l.Text.Length > 0))
            DrawEdgeLabel(canvas, text, at);
        DrawLegend(canvas, area);
    }

    /// <summary>The legend entries in one row along the bottom.</summary>
    void DrawLegend(SKCanvas canvas, SKRect area)
    {
        if (_legend.Count == 0)
            return;
        var y = area.Bottom - Text.LineHeight(Theme.TickSize) / 2 - 6;
        var widths = _legend.Select(e => 22 + Text.Width(e.Label, Theme.TickSize) + 16).ToList();
        var x = area.MidX - widths.Sum() / 2;
        using var paint = new SKPaint { IsAntialias = true, StrokeWidth = 3 };
        for (var i = 0; i < _legend.Count; i++)
        {
            var (label, colour, isEdge) = _legend[i];
            paint.Color = colour;
            if (isEdge)
            {
                paint.IsStroke = true;
                canvas.DrawLine(x, y, x + 16, y, paint);
            }
            else
            {
                paint.IsStroke = false;
                canvas.DrawCircle(x + 8, y, 7, paint);
            }
            Text.Draw(canvas, label, x + 22, y, Theme.TickSize, Theme.Ink, HAlign.Left, VAlign.Middle);
            x += widths[i];
        }
    }

    static SKPoint Towards(SKPoint from, SKPoint to, float distance)
    {
        var d = to - from;
        var length = d.Length;
        return length < 1e-3 ? from : new SKPoint(from.X + d.X / length * distance, from.Y + d.Y / length * distance);
    }

    /// <summary>Where the line from <paramref name="centre"/> towards <paramref name="towards"/> leaves the node.</summary>
    static SKPoint Boundary(SKPoint centre, SKPoint towards, (float HalfWidth, float HalfHeight) size, NodeShape shape)
    {
        var d = towards - centre;
        var length = d.Length;
        if (length < 1e-3)
            return centre;
        var (ux, uy) = (d.X / length, d.Y / length);
        var t = shape == NodeShape.Circle
            ? size.HalfWidth
            : MathF.Min(MathF.Abs(ux) > 1e-6 ? size.HalfWidth / MathF.Abs(ux) : float.MaxValue, MathF.Abs(uy) > 1e-6 ? size.HalfHeight / MathF.Abs(uy) : float.MaxValue);
        return new SKPoint(centre.X + ux * (t + 1), centre.Y + uy * (t + 1));
    }

    static void DrawArrowhead(SKCanvas canvas, SKPaint paint, SKPoint from, SKPoint tip)
    {
        var d = tip - from;
        var length = MathF.Max(1e-3f, d.Length);
        var (ux, uy) = (d.X / length, d.Y / length);
        const float size = 11, half = 4.5f;
        using var path = new SKPath();
        path.MoveTo(tip);
        path.LineTo(tip.X - ux * size - uy * half, tip.Y - uy * size + ux * half);
        path.LineTo(tip.X - ux * size + uy * half, tip.Y - uy * size - ux * half);
        path.Close();
        canvas.DrawPath(path, paint);
    }

    /// <summary>A loop on the node's outer side (away from the drawing's centre); returns where its label goes.</summary>
    static SKPoint DrawSelfLoop(SKCanvas canvas, SKPaint line, SKPaint head, SKPoint p, SKPoint centre, (float HalfWidth, float HalfHeight) size, bool directed)
    {
        var d = p - centre;
        var angle = d.Length < 1 ? -MathF.PI / 2 : MathF.Atan2(d.Y, d.X);
        var r = MathF.Max(size.HalfWidth, size.HalfHeight);
        SKPoint At(float a, float distance) => new(p.X + MathF.Cos(a) * distance, p.Y + MathF.Sin(a) * distance);
        var start = At(angle - 0.45f, r + 1);
        var tip = At(angle + 0.45f, r + 1);
        var c1 = At(angle - 0.65f, r * 2.9f);
        var c2 = At(angle + 0.65f, r * 2.9f);
        using var path = new SKPath();
        path.MoveTo(start);
        path.CubicTo(c1, c2, directed ? Towards(tip, c2, 9) : tip);
        canvas.DrawPath(path, line);
        if (directed)
            DrawArrowhead(canvas, head, c2, tip);
        return At(angle, r * 2.35f + 8);
    }

    void DrawNode(SKCanvas canvas, Node node, SKPoint at)
    {
        var (hw, hh) = NodeSize(node);
        using var fill = new SKPaint { Color = node.Fill ?? Palette.Lighten(Palette.OkabeIto[5], 0.72), IsAntialias = true };
        using var stroke = new SKPaint { Color = Theme.Ink, IsStroke = true, StrokeWidth = 1.6f, IsAntialias = true };
        if ((node.Shape ?? NodeShape) == NodeShape.Circle)
        {
            canvas.DrawCircle(at, hw, fill);
            canvas.DrawCircle(at, hw, stroke);
        }
        else
        {
            var rect = new SKRect(at.X - hw, at.Y - hh, at.X + hw, at.Y + hh);
            canvas.DrawRoundRect(rect, 6, 6, fill);
            canvas.DrawRoundRect(rect, 6, 6, stroke);
        }
        var lines = node.Label.Split('\n');
        var lineHeight = Text.LineHeight(Theme.LabelSize);
        for (var i = 0; i < lines.Length; i++)
            Text.Draw(canvas, lines[i], at.X, at.Y + (i - (lines.Length - 1) / 2f) * lineHeight, Theme.LabelSize, Text.ContrastingColor(fill.Color), HAlign.Center, VAlign.Middle);
    }

    static void DrawEdgeLabel(SKCanvas canvas, string text, SKPoint at)
    {
        var width = Text.Width(text, Theme.TickSize);
        var height = Text.LineHeight(Theme.TickSize);
        var box = new SKRect(at.X - width / 2 - 4, at.Y - height / 2 - 2, at.X + width / 2 + 4, at.Y + height / 2 + 2);
        using var background = new SKPaint { Color = SKColors.White.WithAlpha(235), IsAntialias = true };
        canvas.DrawRoundRect(box, 4, 4, background);
        Text.Draw(canvas, text, at.X, at.Y, Theme.TickSize, Theme.Ink, HAlign.Center, VAlign.Middle);
    }

    sealed record Node(string Id, string Label, NodeShape? Shape, SKColor? Fill);

    sealed record Edge(string From, string To, string? Label, SKColor? Colour);
}

/// <summary>How <see cref="GraphDiagram.From(global::TorchBinding.Graphs.Graph, GraphDrawing?)"/> draws a graph.</summary>
public sealed record GraphDrawing
{
    /// <summary>The title (null: none).</summary>
    public string? Title { get; init; }

    /// <summary>The text in each node, by node index (null: the index).</summary>
    public IReadOnlyList<string>? NodeLabels { get; init; }

    /// <summary>Each node's fill colour (null: the default tint).</summary>
    public IReadOnlyList<SKColor>? NodeFills { get; init; }

    /// <summary>Each edge's colour, in edge order (null: ink).</summary>
    public IReadOnlyList<SKColor>? EdgeColours { get; init; }

    /// <summary>Each edge's label, in edge order (null: none).</summary>
    public IReadOnlyList<string>? EdgeLabels { get; init; }

    /// <summary>Whether to draw arrows (null: only if some edge lacks its reverse).</summary>
    public bool? Directed { get; init; }

    /// <summary>The layout (default: spring for undirected graphs of more than 3 nodes, else circular or layered).</summary>
    public GraphLayout Layout { get; init; } = GraphLayout.Auto;

    /// <summary>The spring layout's seed (default 42, the course's networkx seed; the layouts themselves differ).</summary>
    public int Seed { get; init; } = 42;

    /// <summary>The smallest node radius in pixels (default 22).</summary>
    public float NodeRadius { get; init; } = 22;
}
