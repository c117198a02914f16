using static TorchSharp.torch;

namespace TorchBinding.Teaching.Autograd;

/// <summary>How the gradients of a mini-batch combine the samples' contributions.</summary>
public enum BatchReduction
{
    /// <summary>
    /// Summed over the batch: the gradient of <c>E = Σ_n ½ Σ_k (t_nk − y_nk)²</c>. Fausett's updates, one sample at a
    /// time, are exactly this with a batch of one; a batch then takes the sum of the per-sample corrections.
    /// </summary>
    Sum,

    /// <summary>Averaged over the batch: the gradient of <c>E = (1/N) Σ_n ½ Σ_k (t_nk − y_nk)²</c>, so the step size does not grow with the batch.</summary>
    Mean,
}

/// <summary>
/// What one backward pass of <see cref="BackpropNetwork.ComputeGradients"/> found: the error, Fausett's δ of every
/// layer, and the gradient of the error with respect to every weight and bias, in the layout of
/// <see cref="BackpropNetwork.Weights"/> and <see cref="BackpropNetwork.Biases"/>. Owns its tensors.
/// </summary>
/// <remarks>
/// The gradients are ∂E/∂w, as autograd reports them. Fausett's corrections are the negative gradient times the
/// learning rate: <c>Δw_jk = α δ_k z_j = −α ∂E/∂w_jk</c>.
/// </remarks>
public sealed class BackpropGradients : IDisposable
{
    internal BackpropGradients(Tensor[] weights, Tensor[] biases, Tensor[] deltas, double loss, int batchSize, BatchReduction reduction)
    {
        Weights = weights;
        Biases = biases;
        Deltas = deltas;
        Loss = loss;
        BatchSize = batchSize;
        Reduction = reduction;
    }

    /// <summary>∂E/∂W per layer, <c>[inputs, units]</c> like <see cref="BackpropNetwork.Weights"/> (row i, column j: ∂E/∂v_ij).</summary>
    public IReadOnlyList<Tensor> Weights { get; }

    /// <summary>∂E/∂b per layer, <c>[units]</c> like <see cref="BackpropNetwork.Biases"/> (∂E/∂v_0j).</summary>
    public IReadOnlyList<Tensor> Biases { get; }

    /// <summary>
    /// Fausett's error terms per layer and sample, <c>[N, units]</c>, not reduced over the batch: δ_k = (t_k − y_k) a'(y_in_k)
    /// for the output layer, δ_j = (Σ_k δ_k w_jk) a'(z_in_j) for a hidden one (δ = −∂E_n/∂net for sample n).
    /// </summary>
    public IReadOnlyList<Tensor> Deltas { get; }

    /// <summary>The error E before the update: <c>½ Σ (t − y)²</c> summed over the batch (<see cref="BatchReduction.Sum"/>) or averaged over it.</summary>
    public double Loss { get; }

    /// <summary>The number of samples N.</summary>
    public int BatchSize { get; }

    /// <summary>How the samples were combined.</summary>
    public BatchReduction Reduction { get; }

    /// <summary>Disposes the tensors.</summary>
    public void Dispose()
    {
        foreach (var t in Weights.Concat(Biases).Concat(Deltas))
            t.Dispose();
    }
}

/// <summary>
/// One feed-forward pass of a <see cref="BackpropNetwork"/>, layer by layer: Fausett's <c>z_in</c>, <c>z</c>, <c>y_in</c>,
/// <c>y</c>. Owns its tensors.
/// </summary>
public sealed class BackpropForward : IDisposable
{
    internal BackpropForward(Tensor[] netInputs, Tensor[] outputs)
    {
        NetInputs = netInputs;
        Outputs = outputs;
    }

    /// <summary>The net input of each layer, <c>[N, units]</c>: <c>z_in_j = v_0j + Σ_i x_i v_ij</c>, ..., <c>y_in_k</c> last.</summary>
    public IReadOnlyList<Tensor> NetInputs { get; }

    /// <summary>The signals: <c>Outputs[0]</c> is the input <c>x</c>, then each layer's activation <c>z_j = a(z_in_j)</c>, ..., <c>y_k</c> last.</summary>
    public IReadOnlyList<Tensor> Outputs { get; }

    /// <summary>The network's output y, <c>[N, outputs]</c>.</summary>
    public Tensor Output => Outputs[^1];

    /// <summary>Disposes the tensors (the input included: it is the network's float64 copy).</summary>
    public void Dispose()
    {
        foreach (var t in NetInputs.Concat(Outputs))
            t.Dispose();
    }
}
