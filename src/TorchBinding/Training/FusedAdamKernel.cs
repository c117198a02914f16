using System.Runtime.InteropServices;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.optim;

namespace TorchBinding.Training;

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
