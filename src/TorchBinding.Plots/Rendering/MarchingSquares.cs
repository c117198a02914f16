namespace TorchBinding.Plots.Rendering;

/// <summary>The zero level set of a field sampled on a grid, as line segments (marching squares).</summary>
internal static class MarchingSquares
{
    /// <summary>
    /// Segments (x1, y1, x2, y2) where <paramref name="field"/> [row = y index, column = x index] crosses zero,
    /// with crossing points interpolated linearly along cell edges.
    /// </summary>
    public static List<(double X1, double Y1, double X2, double Y2)> ZeroCrossings(double[,] field, double[] xs, double[] ys)
    {
        var segments = new List<(double, double, double, double)>();
        var (rows, columns) = (field.GetLength(0), field.GetLength(1));
        for (var j = 0; j + 1 < rows; j++)
            for (var i = 0; i + 1 < columns; i++)
            {
                // Corners: a bottom-left, b bottom-right, c top-right, d top-left (y grows with j).
                double a = field[j, i], b = field[j, i + 1], c = field[j + 1, i + 1], d = field[j + 1, i];
                if (!(double.IsFinite(a) && double.IsFinite(b) && double.IsFinite(c) && double.IsFinite(d)))
                    continue;
                var index = (a > 0 ? 1 : 0) | (b > 0 ? 2 : 0) | (c > 0 ? 4 : 0) | (d > 0 ? 8 : 0);
                if (index is 0 or 15)
                    continue;
                (double, double) Edge(int e) => e switch
                {
                    0 => (Lerp(xs[i], xs[i + 1], a, b), ys[j]),
                    1 => (xs[i + 1], Lerp(ys[j], ys[j + 1], b, c)),
                    2 => (Lerp(xs[i], xs[i + 1], d, c), ys[j + 1]),
                    _ => (xs[i], Lerp(ys[j], ys[j + 1], a, d)),
                };
                void Add(int e1, int e2)
                {
                    var (p, q) = (Edge(e1), Edge(e2));
                    segments.Add((p.Item1, p.Item2, q.Item1, q.Item2));
                }
                var centre = (a + b + c + d) / 4 > 0;
                switch (index)
                {
                    case 1 or 14: Add(3, 0); break;
                    case 2 or 13: Add(0, 1); break;
                    case 3 or 12: Add(3, 1); break;
                    case 4 or 11: Add(1, 2); break;
                    case 6 or 9: Add(0, 2); break;
                    case 7 or 8: Add(3, 2); break;
                    case 5 when centre: Add(0, 1); Add(2, 3); break;
                    case 5: Add(3, 0); Add(1, 2); break;
                    case 10 when centre: Add(3, 0); Add(1, 2); break;
                    case 10: Add(0, 1); Add(2, 3); break;
                }
            }
        return segments;
    }

    static double Lerp(double p, double q, double vp, double vq) => p + (q - p) * (vp / (vp - vq));
}
