// What the three parts share: their Q-networks (MLPs), the agents' Adam, the curves' moving average, and the figures' greys.
using TorchBinding.Activations;
using static TorchSharp.torch.nn;

static class Common
{
    /// <summary>
    /// The agents' Adam as the README's results were recorded: TorchSharp's. The flat Adam (every recipe's default) has the
    /// same arithmetic up to the last bits, but one seed of RL amplifies those into another run: measured at seed 42,
    /// the levitator's 51 of 70 episodes within 0.5 became 46, and Double DQN's start-state Q 98.5 became 105.3. Results
    /// over several seeds (the recorded-results issue) can then decide on the flat one.
    /// </summary>
    public const OptimizerImplementation RecordedAdam = OptimizerImplementation.TorchSharp;

    /// <summary>A factory of MLPs of the given sizes and activation (an agent builds its network, and its target network, from it).</summary>
    public static Func<Module<Tensor, Tensor>> Network(Activation activation, params int[] sizes) =>
        () => new Mlp(new MlpOptions { Sizes = sizes, Activation = activation });

    /// <summary>The mean of each value and the window − 1 before it (fewer at the start).</summary>
    public static double[] MovingAverage(IReadOnlyList<double> values, int window) =>
        values.Select((_, i) => values.Skip(Math.Max(0, i - window + 1)).Take(Math.Min(window, i + 1)).Average()).ToArray();

    /// <summary>A grey of the figures (guides, rims).</summary>
    public static SkiaSharp.SKColor Theme(byte grey) => new(grey, grey, grey);
}
