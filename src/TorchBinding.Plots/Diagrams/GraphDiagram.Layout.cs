using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Diagrams;

// How a diagram is laid out: node positions (layered, circular, spring), node sizes, the figure's size.
public sealed partial class GraphDiagram
{
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
}
