using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace TorchBinding.Training;

/// <summary>
/// SGD on flat buffers, PyTorch's algorithm: with weight decay <c>g ← g + λθ</c>; with momentum <c>b ← μb + (1 − τ)g</c>
/// (<c>b ← g</c> at the first step), then <c>g ← g + μb</c> (Nesterov) or <c>g ← b</c>; <c>θ ← θ − ηg</c>.
/// </summary>
public sealed class FlatSgd : FlatOptimizer
{
    /// <summary>SGD's hyperparameters of a parameter group.</summary>
    public sealed class Options : OptimizerOptions
    {
        /// <summary>μ.</summary>
        public double Momentum { get; set; }

        /// <summary>τ.</summary>
        public double Dampening { get; set; }

        /// <summary>λ.</summary>
        public double WeightDecay { get; set; }

        /// <summary>Nesterov momentum.</summary>
        public bool Nesterov { get; set; }

        /// <inheritdoc/>
        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Momentum);
            writer.Write(Dampening);
            writer.Write(WeightDecay);
            writer.Write(Nesterov);
        }

        /// <inheritdoc/>
        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            (Momentum, Dampening, WeightDecay, Nesterov) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadBoolean());
        }
    }

    /// <summary>SGD over <paramref name="parameters"/>.</summary>
    public FlatSgd(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : this([new ParamGroup<Options>(parameters, new Options { LearningRate = learningRate, Momentum = momentum, Dampening = dampening, WeightDecay = weightDecay, Nesterov = nesterov })])
    {
    }

    /// <summary>SGD over parameter groups with their own hyperparameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its range: learning rate and weight decay in [0, ∞), momentum in [0, 1), dampening in [0, 1].</exception>
    /// <exception cref="ArgumentException">Nesterov momentum without momentum, or with dampening.</exception>
    public FlatSgd(IEnumerable<ParamGroup<Options>> groups) : base(groups)
    {
    }

    /// <inheritdoc/>
    protected override void CheckOptions(OptimizerOptions options, int group)
    {
        var o = (Options)options;
        // μ ≥ 1 never forgets a gradient (the buffer grows without bound); PyTorch only asks μ ≥ 0.
        CheckRange(group, "momentum μ (Momentum)", "momentum", o.Momentum, o.Momentum is >= 0 and < 1, "[0, 1)");
        CheckRange(group, "dampening τ (Dampening)", "dampening", o.Dampening, o.Dampening is >= 0 and <= 1, "[0, 1]");
        CheckRange(group, "weight decay λ (WeightDecay)", "weightDecay", o.WeightDecay, o.WeightDecay >= 0, "[0, ∞)");
        if (o.Nesterov && (o.Momentum <= 0 || o.Dampening != 0))
            throw new ArgumentException($"FlatSgd, parameter group {group}: Nesterov momentum needs a momentum > 0 and no dampening, got momentum {o.Momentum} and dampening {o.Dampening}.", "nesterov");
    }

    /// <inheritdoc/>
    protected override BufferState CreateState(FlatParameterBuffer buffer, OptimizerOptions options)
    {
        var state = new BufferState();
        if (((Options)options).Momentum != 0)
            state.Declare("momentum_buffer");
        return state;
    }

    /// <inheritdoc/>
    protected override void Update(Tensor parameters, Tensor gradients, FlatParameterBuffer buffer, OptimizerOptions options, BufferState state)
    {
        var o = (Options)options;
        var g = WithWeightDecay(buffer, parameters, gradients, o.WeightDecay);
        if (o.Momentum != 0)
        {
            if (state["momentum_buffer"] is not { } momentum)
                state["momentum_buffer"] = momentum = g.clone();
            else
                momentum.mul_(o.Momentum).add_(g, alpha: 1 - o.Dampening);
            g = o.Nesterov ? Scratch(buffer).copy_(g).add_(momentum, alpha: o.Momentum) : momentum;
        }
        parameters.add_(g, alpha: -o.LearningRate!.Value);
    }
}
