using System.Collections;
using System.Runtime.CompilerServices;
using TorchBinding.Plots.Rendering;
using static TorchSharp.torch;

namespace TorchBinding.Plots;

/// <summary>
/// Numbers handed to a figure: a <c>double[]</c>, <c>float[]</c>, <c>int[]</c>, <c>long[]</c>, <c>List&lt;double&gt;</c>,
/// a 2-D array, or a tensor on any device (read once, as float64, when converted). Every figure method
/// takes <see cref="Values"/>, so all of these can be passed directly; figures check the shape they need
/// and name the argument when it is wrong. A collection expression works too: <c>chart.Add("acc", [0.91, 0.87])</c>.
/// </summary>
[CollectionBuilder(typeof(Values), nameof(Create))]
public readonly struct Values : IEnumerable<double>
{
    readonly double[]? _data;
    readonly long[]? _shape;

    Values(double[] data, long[] shape)
    {
        _data = data;
        _shape = shape;
    }

    /// <summary>The numbers in row-major order.</summary>
    public IReadOnlyList<double> Data => _data ?? [];

    /// <summary>The shape: [N] for lists, [R, C] for 2-D arrays, a tensor's own shape.</summary>
    public IReadOnlyList<long> Shape => _shape ?? [0];

    /// <summary>How many numbers there are.</summary>
    public int Count => _data?.Length ?? 0;

    /// <summary>Numbers from any sequence (e.g. a <c>TrainingHistory</c> series).</summary>
    public static Values From(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var data = values.ToArray();
        return new Values(data, [data.Length]);
    }

    static Values Read(Tensor tensor)
    {
        var (data, shape) = TensorData.Read(tensor, nameof(tensor));
        return new Values(data, shape);
    }

    /// <summary>Values from a span (what collection expressions build).</summary>
    public static Values Create(ReadOnlySpan<double> values) => From(values.ToArray());

    /// <summary>Enumerates the numbers in row-major order.</summary>
    public IEnumerator<double> GetEnumerator() => Data.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Values of a 2-D array, shape [rows, columns].</summary>
    public static Values From(double[,] matrix)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var data = new double[matrix.Length];
        Buffer.BlockCopy(matrix, 0, data, 0, data.Length * sizeof(double));
        return new Values(data, [matrix.GetLength(0), matrix.GetLength(1)]);
    }

    /// <summary>Converts an array.</summary>
    public static implicit operator Values(double[] values) => From(values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>Converts an array.</summary>
    public static implicit operator Values(float[] values) => From((values ?? throw new ArgumentNullException(nameof(values))).Select(v => (double)v));

    /// <summary>Converts an array.</summary>
    public static implicit operator Values(int[] values) => From((values ?? throw new ArgumentNullException(nameof(values))).Select(v => (double)v));

    /// <summary>Converts an array.</summary>
    public static implicit operator Values(long[] values) => From((values ?? throw new ArgumentNullException(nameof(values))).Select(v => (double)v));

    /// <summary>Converts a list.</summary>
    public static implicit operator Values(List<double> values) => From(values ?? throw new ArgumentNullException(nameof(values)));

    /// <summary>Converts a list.</summary>
    public static implicit operator Values(List<float> values) => From((values ?? throw new ArgumentNullException(nameof(values))).Select(v => (double)v));

    /// <summary>Converts a 2-D array.</summary>
    public static implicit operator Values(double[,] matrix) => From(matrix);

    /// <summary>Converts a 2-D array.</summary>
    public static implicit operator Values(float[,] matrix) => FromMatrix(matrix, v => v);

    /// <summary>Converts a 2-D array of counts (e.g. a confusion matrix).</summary>
    public static implicit operator Values(long[,] matrix) => FromMatrix(matrix, v => v);

    static Values FromMatrix<T>(T[,] matrix, Func<T, double> convert)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        var (rows, columns) = (matrix.GetLength(0), matrix.GetLength(1));
        var data = new double[matrix.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                data[r * columns + c] = convert(matrix[r, c]);
        return new Values(data, [rows, columns]);
    }

    /// <summary>Reads a tensor (any device and dtype).</summary>
    public static implicit operator Values(Tensor tensor) => Read(tensor);

    /// <summary>The numbers as a vector: shape [N] or [N, 1] (<paramref name="name"/> names the argument in errors).</summary>
    internal double[] Vector(string name, bool allowEmpty = false)
    {
        var shape = Shape;
        if (!(shape.Count == 1 || (shape.Count == 2 && shape[1] == 1)))
            throw new ArgumentException($"{name} must be 1-D, shape [N] (or [N, 1]); got shape {Shapes.Format(shape.ToArray())}.", name);
        if (!allowEmpty && Count == 0)
            throw new ArgumentException($"{name} is empty.", name);
        return _data ?? [];
    }

    /// <summary>The same numbers with another shape of the same size.</summary>
    internal Values Reshape(long[] shape)
    {
        if (shape.Aggregate(1L, (a, b) => a * b) != Count)
            throw new ArgumentException($"Cannot view {Count} values as shape {Shapes.Format(shape)}.");
        return new Values(_data ?? [], shape);
    }

    /// <summary>All numbers, whatever the shape (e.g. samples for a histogram).</summary>
    internal double[] Flat(string name)
    {
        if (Count == 0)
            throw new ArgumentException($"{name} is empty.", name);
        return _data!;
    }

    /// <summary>The numbers as a matrix: shape [R, C].</summary>
    internal double[,] Matrix(string name)
    {
        var shape = Shape;
        if (shape.Count != 2)
            throw new ArgumentException($"{name} must be 2-D, shape [rows, columns]; got shape {Shapes.Format(shape.ToArray())}.", name);
        if (Count == 0)
            throw new ArgumentException($"{name} is empty (shape {Shapes.Format(shape.ToArray())}).", name);
        return TensorData.ToMatrix(_data!, (int)shape[0], (int)shape[1]);
    }

    /// <summary>The numbers as class indices [N] (whole numbers from 0).</summary>
    internal int[] Labels(string name)
    {
        var values = Vector(name);
        var labels = new int[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            var v = values[i];
            if (!(v >= 0) || v != Math.Floor(v) || v > int.MaxValue)
                throw new ArgumentException($"{name} must hold class indices (whole numbers from 0); element {i} is {v}.", name);
            labels[i] = (int)v;
        }
        return labels;
    }
}
