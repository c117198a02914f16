using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Data.Synthetic;

/// <summary>
/// The image of the convolution lecture for learning one 3x3 filter: "+" patterns (a centre and its four
/// neighbours) to detect among "−" patterns (a horizontal bar of three) that share its centre row.
/// </summary>
public static class PatternDetection
{
    /// <summary>
    /// A <paramref name="size"/>x<paramref name="size"/> image, background 0, with <paramref name="plusCount"/>
    /// "+" and <paramref name="minusCount"/> "−" patterns of value 1 at random positions: each pattern's 3x3 box
    /// lies inside the image and is at least one pixel away from every other box (centres at least 4 apart
    /// along a row or column). The target is what a valid 3x3 convolution followed by tanh should output:
    /// +1 where a "+" is centred (target[r-1, c-1] for a centre (r, c)), -1 everywhere else.
    /// Positions are drawn one by one, uniformly among those still free; if that leaves too little room,
    /// they are drawn from a regular grid with spacing 4 instead, which holds as many patterns as can fit.
    /// </summary>
    /// <param name="size">Image side (>= 3).</param>
    /// <param name="plusCount">Number of "+" patterns (>= 0).</param>
    /// <param name="minusCount">Number of "−" patterns (>= 0).</param>
    /// <param name="seed">Seed of the positions.</param>
    /// <exception cref="ArgumentException">The patterns cannot fit in the image.</exception>
    public static PatternImage PlusMinusImage(int size = 32, int plusCount = 4, int minusCount = 4, int? seed = null)
    {
        Check.AtLeast(size, 3, "a 3x3 pattern must fit");
        Check.NonNegative(plusCount);
        Check.NonNegative(minusCount);
        var perAxis = (size - 3) / 4 + 1; // centres 1, 5, 9, ... up to size-2
        var total = plusCount + minusCount;
        if (total > perAxis * perAxis)
            throw new ArgumentException($"plusCount + minusCount = {plusCount} + {minusCount} patterns cannot fit in a {size}x{size} image: " +
                $"with a 1-pixel gap between their 3x3 boxes at most {perAxis * perAxis} fit. Use fewer patterns or a larger size.", nameof(plusCount));

        var random = Generation.NewRandom(seed);
        var centers = RandomCenters(size, total, random) ?? GridCenters(perAxis, total, random);
        var plus = centers[..plusCount];
        var minus = centers[plusCount..];

        var image = new float[size * size];
        var target = new float[(size - 2) * (size - 2)];
        Array.Fill(target, -1f);
        foreach (var (r, c) in plus)
        {
            foreach (var (dr, dc) in new[] { (0, 0), (-1, 0), (1, 0), (0, -1), (0, 1) })
                image[(r + dr) * size + c + dc] = 1;
            target[(r - 1) * (size - 2) + c - 1] = 1;
        }
        foreach (var (r, c) in minus)
        {
            for (var dc = -1; dc <= 1; dc++)
                image[r * size + c + dc] = 1;
        }
        TorchRuntime.EnsureInitialized();
        return new PatternImage(tensor(image, [1, 1, size, size]).DetachFromDisposeScope(),
            tensor(target, [1, 1, size - 2, size - 2]).DetachFromDisposeScope(), plus, minus);
    }

    /// <summary>Random sequential placement; null when the free positions run out first.</summary>
    static (int Row, int Column)[]? RandomCenters(int size, int count, Random random)
    {
        var free = new List<(int Row, int Column)>();
        for (var r = 1; r <= size - 2; r++)
            for (var c = 1; c <= size - 2; c++)
                free.Add((r, c));
        var centers = new List<(int Row, int Column)>();
        while (centers.Count < count && free.Count > 0)
        {
            var pick = free[random.Next(free.Count)];
            centers.Add(pick);
            free.RemoveAll(p => Math.Max(Math.Abs(p.Row - pick.Row), Math.Abs(p.Column - pick.Column)) < 4);
        }
        return centers.Count == count ? [.. centers] : null;
    }

    /// <summary><paramref name="count"/> random cells of the grid of centres 1, 5, 9, ... (always enough when the capacity check passed).</summary>
    static (int Row, int Column)[] GridCenters(int perAxis, int count, Random random)
    {
        var cells = Enumerable.Range(0, perAxis * perAxis).Select(i => (Row: 1 + 4 * (i / perAxis), Column: 1 + 4 * (i % perAxis))).ToArray();
        random.Shuffle(cells);
        return cells[..count];
    }
}
