using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>Reading a step's scalar tensors (its loss, its logged values) into .NET numbers.</summary>
static class ScalarRead
{
    /// <summary>
    /// A scalar tensor's value with one read: the common float32 loss costs what <c>item()</c> costs in a
    /// hand-written loop (the trainer's per-step overhead is measured against one).
    /// </summary>
    public static double Value(Tensor value, string name)
    {
        try
        {
            return value.dtype == ScalarType.Float32 ? value.item<float>() : value.ToDouble();
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"The step's '{name}' must be a scalar tensor; it has shape {Shapes.Format(value)}.", e);
        }
    }
}
