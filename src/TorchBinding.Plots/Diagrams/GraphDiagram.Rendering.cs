using SkiaSharp;
using TorchBinding.Plots.Rendering;

namespace TorchBinding.Plots.Diagrams;

// How a laid-out diagram is drawn: edges (straight, bent both ways, self-loops), arrowheads, nodes, labels, the legend.
public sealed partial class GraphDiagram
{
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
}
