using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace TorchBinding.Training;

/// <summary>
/// RMSprop on flat buffers, PyTorch's algorithm: <c>s ← αs + (1 − α)g²</c>, centred with <c>ḡ ← αḡ + (1 − α)g</c> and
/// <c>s − ḡ²</c>; <c>θ ← θ − ηg / (√s + ε)</c>, or with momentum <c>b ← μb + g / (√s + ε)</c>, <c>θ ← θ − ηb</c>.
/// </summary>
public sealed class FlatRmsProp : FlatOptimizer
{
    /// <summary>RMSprop's hyperparameters of a parameter group.</summary>
    public sealed class Options : OptimizerOptions
    {
        /// <summary>α, the smoothing constant.</summary>
        public double Alpha { get; set; } = 0.99;

        /// <summary>ε.</summary>
        public double Epsilon { get; set; } = 1e-8;

        /// <summary>λ (L2 in the gradient).</summary>
        public double WeightDecay { get; set; }

        /// <summary>μ.</summary>
        public double Momentum { get; set; }

        /// <summary>Normalise by the estimated variance instead of the second moment.</summary>
        public bool Centered { get; set; }

        /// <inheritdoc/>
        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Alpha);
            writer.Write(Epsilon);
            writer.Write(WeightDecay);
            writer.Write(Momentum);
            writer.Write(Centered);
        }

        /// <inheritdoc/>
        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            (Alpha, Epsilon, WeightDecay, Momentum, Centered) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadBoolean());
        }
    }

    /// <summary>RMSprop over <paramref name="parameters"/>.</summary>
    public FlatRmsProp(IEnumerable<Parameter> parameters, double learningRate = 1e-2, double alpha = 0.99, double epsilon = 1e-8, double weightDecay = 0,
        double momentum = 0, bool centered = false)
        : this([new ParamGroup<Options>(parameters, new Options { LearningRate = learningRate, Alpha = alpha, Epsilon = epsilon, WeightDecay = weightDecay, Momentum = momentum, Centered = centered })])
    {
    }

    /// <summary>RMSprop over parameter groups with their own hyperparameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its range: learning rate and weight decay in [0, ∞), α and momentum in [0, 1), ε in (0, ∞).</exception>
    public FlatRmsProp(IEnumerable<ParamGroup<Options>> groups) : base(groups)
    {
    }

    /// <inheritdoc/>
    protected override void CheckOptions(OptimizerOptions options, int group)
    {
        var o = (Options)options;
        // α = 1 keeps the square average at its start, 0, so every step divides by ε alone.
        CheckRange(group, "smoothing constant α (Alpha)", "alpha", o.Alpha, o.Alpha is >= 0 and < 1, "[0, 1)");
        CheckRange(group, "ε (Epsilon)", "epsilon", o.Epsilon, o.Epsilon > 0, "(0, ∞)");
        CheckRange(group, "weight decay λ (WeightDecay)", "weightDecay", o.WeightDecay, o.WeightDecay >= 0, "[0, ∞)");
        CheckRange(group, "momentum μ (Momentum)", "momentum", o.Momentum, o.Momentum is >= 0 and < 1, "[0, 1)");
    }

    /// <inheritdoc/>
    protected override BufferState CreateState(FlatParameterBuffer buffer, OptimizerOptions options)
    {
        var o = (Options)options;
        var state = new BufferState { ["square_avg"] = StateZeros(buffer) };
        if (o.Centered)
            state["grad_avg"] = StateZeros(buffer);
        if (o.Momentum > 0)
            state["momentum_buffer"] = StateZeros(buffer);
        return state;
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameters, Tensor gradients, FlatParameterBuffer buffer, OptimizerOptions options, BufferState state)
    {
        var o = (Options)options;
        var lr = o.LearningRate!.Value;
        var theta = parameters;
        var g = WithWeightDecay(buffer, parameters, gradients, o.WeightDecay);
        var square = state["square_avg"]!;
        square.mul_(o.Alpha).addcmul_(g, g, value: 1 - o.Alpha);
        var average = Scratch(buffer).copy_(square);
        if (o.Centered)
        {
            var mean = state["grad_avg"]!;
            mean.mul_(o.Alpha).add_(g, alpha: 1 - o.Alpha);
            average.addcmul_(mean, mean, value: -1);
        }
        average.sqrt_().add_(o.Epsilon);
        if (o.Momentum > 0)
        {
            var momentum = state["momentum_buffer"]!;
            momentum.mul_(o.Momentum).addcdiv_(g, average);
            theta.add_(momentum, alpha: -lr);
        }
        else
        {
            theta.addcdiv_(g, average, value: -lr);
        }
    }
}
