using TorchBinding.Activations;

namespace TorchBinding.Teaching.Autograd;

/// <summary>Scalar functions shared by <see cref="Value"/> and <see cref="Dual"/>.</summary>
static class Scalar
{
    /// <summary>σ(x), without overflow for large |x|.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0)
            return 1 / (1 + Math.Exp(-x));
        var e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>The binary step's backward derivative under a surrogate.</summary>
    public static double StepDerivative(double x, StepSurrogate surrogate) => surrogate switch
    {
        StepSurrogate.None => 0,
        StepSurrogate.Identity => 1,
        StepSurrogate.SigmoidDerivative => Sigmoid(x) * (1 - Sigmoid(x)),
        _ => throw new ArgumentOutOfRangeException(nameof(surrogate), surrogate, "Unknown step surrogate."),
    };
}
