// What the three parts share: their Q-networks (MLPs), the curves' moving average, and the figures' greys.
using TorchBinding.Activations;
using static TorchSharp.torch.nn;

static class Common
{
    /// <summary>A factory of MLPs of the given sizes and activation (an agent builds its network, and its target network, from it).</summary>
    public static Func<Module<Tensor, Tensor>> Network(Activation activation, params int[] sizes) =>
        () => new Mlp(new MlpOptions { Sizes = sizes, Activation = activation });

    /// <summary>The mean of each value and the window − 1 before it (fewer at the start).</summary>
    public static double[] MovingAverage(IReadOnlyList<double> values, int window) =>
        values.Select((_, i) => values.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average()).ToArray();

    /// <summary>A grey of the figures (guides, rims).</summary>
    public static SkiaSharp.SKColor Theme(byte grey) => new(grey, grey, grey);
}
