using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace TorchBinding.Training;

/// <summary>
/// Adam (and AdamW) on flat buffers, PyTorch's algorithm: <c>m ← β₁m + (1 − β₁)g</c>, <c>v ← β₂v + (1 − β₂)g²</c>,
/// <c>θ ← θ − (η / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε)</c>; weight decay as L2 in the gradient (Adam) or decoupled,
/// <c>θ ← θ(1 − ηλ)</c> before the update (AdamW, Loshchilov &amp; Hutter).
/// </summary>
public sealed class FlatAdam : FlatOptimizer
{
    /// <summary>Adam's hyperparameters of a parameter group.</summary>
    public sealed class Options : OptimizerOptions
    {
        /// <summary>β₁.</summary>
        public double Beta1 { get; set; } = 0.9;

        /// <summary>β₂.</summary>
        public double Beta2 { get; set; } = 0.999;

        /// <summary>ε.</summary>
        public double Epsilon { get; set; } = 1e-8;

        /// <summary>λ.</summary>
        public double WeightDecay { get; set; }

        /// <summary>Decoupled weight decay (AdamW) instead of L2 in the gradient (Adam).</summary>
        public bool Decoupled { get; set; }

        /// <inheritdoc/>
        public override void SaveStateDict(BinaryWriter writer)
        {
            base.SaveStateDict(writer);
            writer.Write(Beta1);
            writer.Write(Beta2);
            writer.Write(Epsilon);
            writer.Write(WeightDecay);
            writer.Write(Decoupled);
        }

        /// <inheritdoc/>
        public override void LoadStateDict(BinaryReader reader)
        {
            base.LoadStateDict(reader);
            (Beta1, Beta2, Epsilon, WeightDecay, Decoupled) = (reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadDouble(), reader.ReadBoolean());
        }
    }

    /// <summary>Adam (or, with <paramref name="decoupled"/>, AdamW) over <paramref name="parameters"/>.</summary>
    public FlatAdam(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8,
        double weightDecay = 0, bool decoupled = false)
        : this([new ParamGroup<Options>(parameters, new Options { LearningRate = learningRate, Beta1 = beta1, Beta2 = beta2, Epsilon = epsilon, WeightDecay = weightDecay, Decoupled = decoupled })])
    {
    }

    /// <summary>Adam over parameter groups with their own hyperparameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A hyperparameter is outside its range: learning rate and weight decay in [0, ∞), β₁ and β₂ in [0, 1), ε in (0, ∞).</exception>
    public FlatAdam(IEnumerable<ParamGroup<Options>> groups) : base(groups)
    {
    }

    /// <inheritdoc/>
    protected override void CheckOptions(OptimizerOptions options, int group)
    {
        var o = (Options)options;
        // β = 1 makes a bias correction 1 − βᵗ zero (a division by zero at the first step); β > 1 makes the moments grow.
        CheckRange(group, "β₁ (Beta1)", "beta1", o.Beta1, o.Beta1 is >= 0 and < 1, "[0, 1)");
        CheckRange(group, "β₂ (Beta2)", "beta2", o.Beta2, o.Beta2 is >= 0 and < 1, "[0, 1)");
        // ε = 0 divides by √v = 0 wherever a gradient has been zero so far.
        CheckRange(group, "ε (Epsilon)", "epsilon", o.Epsilon, o.Epsilon > 0, "(0, ∞)");
        CheckRange(group, "weight decay λ (WeightDecay)", "weightDecay", o.WeightDecay, o.WeightDecay >= 0, "[0, ∞)");
    }

    /// <summary>AdamW over <paramref name="parameters"/> (PyTorch's default weight decay 0.01).</summary>
    public static FlatAdam AdamW(IEnumerable<Parameter> parameters, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01) =>
        new(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: true);

    /// <inheritdoc/>
    protected override BufferState CreateState(FlatParameterBuffer buffer, OptimizerOptions options) => new()
    {
        ["exp_avg"] = StateZeros(buffer),
        ["exp_avg_sq"] = StateZeros(buffer),
    };

    /// <summary>
    /// Whether steps use libtorch's fused Adam kernel (<c>_fused_adam_</c> / <c>_fused_adamw_</c>, one pass over the buffer
    /// instead of about eight) where it is available; on by default. TorchSharp has no binding for it, so it is reached
    /// through a TorchScript function compiled once per process; if that fails (an older libtorch), steps use tensor operations.
    /// </summary>
    public static bool UseFusedKernel { get; set; } = true;

    /// <summary>Whether this libtorch compiled the fused kernel (libtorch ≥ 2.4 has it on the CPU and CUDA).</summary>
    public static bool FusedKernelAvailable => FusedAdamKernel.Instance is not null;

    readonly Dictionary<FlatParameterBuffer, Tensor> _stepTensors = [];

    /// <inheritdoc/>
    protected override void Update(Tensor parameters, Tensor gradients, FlatParameterBuffer buffer, OptimizerOptions options, BufferState state)
    {
        var o = (Options)options;
        if (UseFusedKernel && FusedAdamKernel.Instance is { } kernel && parameters.dtype is ScalarType.Float32 or ScalarType.Float64)
        {
            // The kernel reads the step from a tensor (PyTorch increments it before the call); the count itself stays in the state.
            if (!_stepTensors.TryGetValue(buffer, out var step))
                _stepTensors[buffer] = step = zeros(1, dtype: ScalarType.Float32, device: buffer.Device).DetachFromDisposeScope();
            step.fill_(state.Step);
            kernel.Step(parameters, gradients, state["exp_avg"]!, state["exp_avg_sq"]!, step, o);
            return;
        }
        var lr = o.LearningRate!.Value;
        var theta = parameters;
        var (m, v) = (state["exp_avg"]!, state["exp_avg_sq"]!);
        if (o.Decoupled && o.WeightDecay != 0)
            theta.mul_(1 - lr * o.WeightDecay);
        var g = o.Decoupled ? gradients : WithWeightDecay(buffer, parameters, gradients, o.WeightDecay);
        var biasCorrection1 = 1 - Math.Pow(o.Beta1, state.Step);
        var biasCorrection2 = 1 - Math.Pow(o.Beta2, state.Step);
        // m ← β₁m + (1 − β₁)g as one pass (PyTorch's own form: lerp towards g), where mul_ then add_ takes two.
        m.lerp_(g, Constant(buffer, 1 - o.Beta1));
        v.mul_(o.Beta2).addcmul_(g, g, value: 1 - o.Beta2);
        var denominator = Scratch(buffer).copy_(v).sqrt_().div_(Math.Sqrt(biasCorrection2)).add_(o.Epsilon);
        theta.addcdiv_(m, denominator, value: -lr / biasCorrection1);
    }

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var step in _stepTensors.Values)
                step.Dispose();
            _stepTensors.Clear();
        }
        base.Dispose(disposing);
    }
}
