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

/// <summary>
/// libtorch's fused Adam and AdamW kernels (the ones behind PyTorch's <c>Adam(fused=True)</c>), called through a TorchScript
/// function because TorchSharp exposes no binding: one read of parameters, gradients and both moments and one write of
/// the three, instead of a pass per operation.
/// </summary>
sealed class FusedAdamKernel
{
    const string Script = """
        def adam(p: Tensor, g: Tensor, m: Tensor, v: Tensor, step: Tensor, lr: float, beta1: float, beta2: float, weight_decay: float, eps: float, decoupled: bool) -> Tensor:
            ps = [p]
            if decoupled:
                torch._fused_adamw_(ps, [g], [m], [v], [], [step], lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
            else:
                torch._fused_adam_(ps, [g], [m], [v], [], [step], lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
            return ps[0]
        """;

    static readonly Lazy<FusedAdamKernel?> Compiled = new(Compile);
    readonly jit.CompilationUnit _unit;

    FusedAdamKernel(jit.CompilationUnit unit) => _unit = unit;

    /// <summary>The compiled kernel, or null where this libtorch cannot compile it.</summary>
    public static FusedAdamKernel? Instance => Compiled.Value;

    static FusedAdamKernel? Compile()
    {
        try
        {
            // The function returns its (mutated) parameter list's tensor: without a use of the list, TorchScript's dead-code
            // elimination may drop the call.
            return new FusedAdamKernel(jit.compile(Script + "\n"));   // TorchScript wants the last line ended
        }
        catch (Exception e) when (e is ExternalException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>One Adam (or AdamW) step on flat tensors; <paramref name="step"/> holds the step number t ≥ 1.</summary>
    public void Step(Tensor parameters, Tensor gradients, Tensor expAvg, Tensor expAvgSq, Tensor step, FlatAdam.Options o)
    {
        // Each argument as the script declares it: Tensor, float (a double Scalar) and bool. The float ones are Scalars
        // made and held here until the call returns: given a double, TorchSharp's invoke makes a temporary Scalar and
        // keeps only its native handle, so a collection before the call (the next argument's conversion allocates)
        // finalizes it and the kernel reads freed memory ("Expected false to be true" in c10::Scalar::toLong).
        using var lr = o.LearningRate!.Value.ToScalar();
        using var beta1 = o.Beta1.ToScalar();
        using var beta2 = o.Beta2.ToScalar();
        using var weightDecay = o.WeightDecay.ToScalar();
        using var epsilon = o.Epsilon.ToScalar();
        using var result = (Tensor)_unit.invoke("adam", parameters, gradients, expAvg, expAvgSq, step, lr, beta1, beta2, weightDecay, epsilon, o.Decoupled);
    }
}

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
