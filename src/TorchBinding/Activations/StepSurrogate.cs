namespace TorchBinding.Activations;

/// <summary>
/// The gradient given to the binary step on the backward pass. Its true derivative is 0 everywhere but at the jump, so
/// nothing before a step unit would learn; a straight-through estimator keeps the step's forward value and replaces its
/// derivative by a surrogate.
/// </summary>
public enum StepSurrogate
{
    /// <summary>The true derivative, 0: no gradient passes the step.</summary>
    None,

    /// <summary>Straight-through with the identity's derivative: the gradient passes unchanged (derivative 1).</summary>
    Identity,

    /// <summary>Straight-through with the logistic sigmoid's derivative <c>σ(x)(1 − σ(x))</c>, largest (¼) at the jump.</summary>
    SigmoidDerivative,
}
