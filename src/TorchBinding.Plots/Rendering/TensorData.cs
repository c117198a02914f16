using TorchBinding.Runtime;
using static TorchSharp.torch;

namespace TorchBinding.Plots.Rendering;

/// <summary>Reads tensors (on any device, of any numeric dtype) into .NET arrays for drawing.</summary>
internal static class TensorData
{
    /// <summary>All values as float64, in row-major order, with the shape.</summary>
    public static (double[] Values, long[] Shape) Read(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        TorchRuntime.EnsureInitialized();
        using var scope = NewDisposeScope();
        var cpu = tensor.detach().to(ScalarType.Float64).cpu().contiguous();
        return (cpu.data<double>().ToArray(), tensor.shape);
    }

    /// <summary>A row-major array as a [rows, columns] matrix.</summary>
    public static double[,] ToMatrix(double[] values, int rows, int columns)
    {
        var m = new double[rows, columns];
        Buffer.BlockCopy(values, 0, m, 0, rows * columns * sizeof(double));
        return m;
    }
}
