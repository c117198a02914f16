using TorchBinding.Activations;
using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Teaching.Autograd;

/// <summary>
/// A multilayer perceptron trained by Fausett's backpropagation, written out with plain tensor operations and no
/// autograd (nothing requires grad, nothing calls backward): the deltas are computed by hand, layer by layer, as in
/// the lecture's algorithm, generalised to any number of hidden layers and any activation of the table.
/// </summary>
/// <remarks>
/// <para>Fausett's training algorithm and where each step is:</para>
/// <list type="number">
/// <item>Step 0, initialise the weights: the constructor (uniform in [−r, r], r = 0.5 by default, seeded).</item>
/// <item>Steps 1–2, for each epoch and each training pair: <see cref="Train"/>, <see cref="TrainEpoch"/>.</item>
/// <item>Steps 3–5, feed-forward: <see cref="Forward"/>; <c>z_in_j = v_0j + Σ_i x_i v_ij</c>, <c>z_j = a(z_in_j)</c>,
/// <c>y_in_k = w_0k + Σ_j z_j w_jk</c>, <c>y_k = a(y_in_k)</c>.</item>
/// <item>Steps 6–7, backpropagation of error: <see cref="ComputeGradients"/>; <c>δ_k = (t_k − y_k) a'(y_in_k)</c>,
/// <c>Δw_jk = α δ_k z_j</c>, <c>Δw_0k = α δ_k</c>; <c>δ_in_j = Σ_k δ_k w_jk</c>, <c>δ_j = δ_in_j a'(z_in_j)</c>,
/// <c>Δv_ij = α δ_j x_i</c>, <c>Δv_0j = α δ_j</c> (every δ from the weights before the update).</item>
/// <item>Step 8, update the weights: <see cref="ApplyUpdate"/>, <c>w ← w + Δw</c>.</item>
/// <item>Step 9, test the stopping condition: the caller's, on the errors <see cref="Train"/> returns.</item>
/// </list>
/// <para>Layout: layer l has weights <c>Weights[l]</c> of shape <c>[inputs, units]</c> (Fausett's v_ij: row = input i,
/// column = unit j, so <c>z_in = x · V + b</c> for a batch of row vectors) and a separate bias vector <c>Biases[l]</c>
/// of shape <c>[units]</c> (v_0j). A TorchSharp <c>Linear</c> stores the transpose, <c>weight = Vᵀ</c> of shape
/// <c>[units, inputs]</c>, and the same bias: <see cref="ToSequential"/>, <see cref="CopyTo"/> and
/// <see cref="CopyFrom"/> convert. Everything is float64 on the CPU, so hand-written and autograd gradients agree to
/// rounding.</para>
/// <para>The error is the squared error <c>E = ½ Σ_k (t_k − y_k)²</c> per sample; a mini-batch sums it over its samples
/// (<see cref="BatchReduction.Sum"/>, the default, which is Fausett's per-sample update added up) or averages it
/// (<see cref="BatchReduction.Mean"/>). Activation parameters are the table's: leaky ReLU's slope 0.01, PReLU's α
/// fixed at 0.25 (not learned here), ELU's α 1. A softmax layer backpropagates through its Jacobian
/// (<see cref="ActivationTable.Backward"/>). A binary step passes no gradient unless <see cref="StepSurrogate"/> says
/// otherwise.</para>
/// </remarks>
/// <example>
/// <code>
/// using var xor = LogicGates.Xor();
/// using var net = new BackpropNetwork([2, 4, 1], Activation.Sigmoid, seed: 3);
/// var errors = net.Train(xor.Inputs, xor.Targets, epochs: 2000, learningRate: 0.5);
/// using var model = net.ToSequential();     // the same weights as Linear layers, for autograd
/// </code>
/// </example>
public sealed class BackpropNetwork : IDisposable
{
    readonly int[] _sizes;
    readonly Activation[] _activations;
    readonly Tensor[] _weights;
    readonly Tensor[] _biases;
    bool _disposed;

    /// <summary>A network with one activation for every layer (hidden and output), weights uniform in [−r, r] (step 0).</summary>
    /// <param name="layerSizes">Units per layer, input first: <c>[2, 4, 1]</c> is 2 inputs, 4 hidden units, 1 output.</param>
    /// <param name="activation">The activation of every layer (default: the logistic sigmoid, Fausett's binary sigmoid).</param>
    /// <param name="seed">Seed of the initial weights (default: drawn from <see cref="Seeding.NextSeed"/>).</param>
    /// <param name="initRange">r: the weights and biases start uniform in [−r, r] (Fausett: [−0.5, 0.5]).</param>
    /// <exception cref="ArgumentException">Fewer than two layers, a layer without units, or a bad range.</exception>
    public BackpropNetwork(IReadOnlyList<int> layerSizes, Activation activation = Activation.Sigmoid, int? seed = null, double initRange = 0.5)
        : this(layerSizes, Repeat(layerSizes, activation), seed, initRange)
    {
    }

    /// <summary>A network with an activation per layer of weights (hidden layers, then the output), weights uniform in [−r, r].</summary>
    /// <param name="layerSizes">Units per layer, input first.</param>
    /// <param name="activations">One activation per layer after the input: <c>layerSizes.Count − 1</c> of them.</param>
    /// <param name="seed">Seed of the initial weights (default: drawn from <see cref="Seeding.NextSeed"/>).</param>
    /// <param name="initRange">r: the weights and biases start uniform in [−r, r].</param>
    /// <exception cref="ArgumentException">Fewer than two layers, a layer without units, the wrong number of activations, or a bad range.</exception>
    public BackpropNetwork(IReadOnlyList<int> layerSizes, IReadOnlyList<Activation> activations, int? seed = null, double initRange = 0.5)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        ArgumentNullException.ThrowIfNull(activations);
        TorchRuntime.EnsureInitialized();
        _sizes = CheckSizes(layerSizes);
        _activations = CheckActivations(activations, _sizes);
        if (!(initRange >= 0) || double.IsInfinity(initRange))
            throw new ArgumentException($"BackpropNetwork: the initial range must be a finite r ≥ 0; got {initRange}.", nameof(initRange));

        // Drawn with System.Random, layer by layer (weights row by row, then biases): the same numbers on every platform.
        var random = new Random(seed ?? Seeding.NextSeed());
        double Draw() => (2 * random.NextDouble() - 1) * initRange;
        _weights = new Tensor[LayerCount];
        _biases = new Tensor[LayerCount];
        for (var l = 0; l < LayerCount; l++)
        {
            int inputs = _sizes[l], units = _sizes[l + 1];
            var w = new double[inputs * units];
            for (var i = 0; i < w.Length; i++)
                w[i] = Draw();
            var b = new double[units];
            for (var j = 0; j < b.Length; j++)
                b[j] = Draw();
            _weights[l] = tensor(w, [inputs, units], float64).DetachFromDisposeScope();
            _biases[l] = tensor(b, [units], float64).DetachFromDisposeScope();
        }
    }

    BackpropNetwork(int[] sizes, Activation[] activations, Tensor[] weights, Tensor[] biases)
    {
        _sizes = sizes;
        _activations = activations;
        _weights = weights;
        _biases = biases;
    }

    /// <summary>
    /// A network with the weights of <paramref name="model"/>: a <c>Sequential</c> (or any module whose children, in
    /// order, are) of <c>Linear</c> layers, each optionally followed by one activation of the table
    /// (<see cref="ActivationModules.TryIdentify"/>); a Linear with no activation after it gets the identity.
    /// </summary>
    /// <param name="model">The model to copy from (left unchanged).</param>
    /// <exception cref="ArgumentException">A child that is neither a Linear nor a table activation, two activations in a row,
    /// a Linear without bias, sizes that do not chain, or a PReLU whose α is not 0.25.</exception>
    public static BackpropNetwork FromSequential(nn.Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        TorchRuntime.EnsureInitialized();
        var linears = new List<Linear>();
        var activations = new List<Activation?>();
        var index = 0;
        foreach (var child in model.children())
        {
            if (child is Linear linear)
            {
                linears.Add(linear);
                activations.Add(null);
            }
            else if (ActivationModules.TryIdentify(child, out var activation))
            {
                if (linears.Count == 0 || activations[^1] is not null)
                    throw new ArgumentException($"BackpropNetwork.FromSequential: child {index} ({child.GetName()}) must follow a Linear layer; each Linear takes at most one activation.", nameof(model));
                if (child is PReLU prelu)
                    CheckPReLU(prelu, index);
                activations[^1] = activation;
            }
            else
            {
                throw new ArgumentException($"BackpropNetwork.FromSequential: child {index} ({child.GetName()}, {child.GetType().Name}) is neither a Linear layer nor an activation of the table with the table's parameters.", nameof(model));
            }
            index++;
        }
        if (linears.Count == 0)
            throw new ArgumentException($"BackpropNetwork.FromSequential: {model.GetName()} has no Linear layers.", nameof(model));
        var sizes = new int[linears.Count + 1];
        sizes[0] = checked((int)linears[0].in_features);
        for (var l = 0; l < linears.Count; l++)
        {
            if (linears[l].in_features != sizes[l])
                throw new ArgumentException($"BackpropNetwork.FromSequential: Linear layer {l + 1} takes {linears[l].in_features} inputs but the layer before gives {sizes[l]}.", nameof(model));
            sizes[l + 1] = checked((int)linears[l].out_features);
        }
        var network = new BackpropNetwork(sizes, [.. activations.Select(a => a ?? Activation.Identity)],
            [.. sizes.Zip(sizes.Skip(1), (i, j) => zeros(i, j, dtype: float64).DetachFromDisposeScope())],
            [.. sizes.Skip(1).Select(j => zeros(j, dtype: float64).DetachFromDisposeScope())]);
        network.CopyFrom(model);
        return network;
    }

    /// <summary>Units per layer, the input first.</summary>
    public IReadOnlyList<int> LayerSizes => _sizes;

    /// <summary>The number of weight layers (hidden layers + 1).</summary>
    public int LayerCount => _sizes.Length - 1;

    /// <summary>The activation of each weight layer, the output layer's last.</summary>
    public IReadOnlyList<Activation> Activations => _activations;

    /// <summary>The weights of each layer, <c>[inputs, units]</c> float64 (Fausett's v_ij, ..., w_jk). The live tensors: changing them changes the network.</summary>
    public IReadOnlyList<Tensor> Weights => _weights;

    /// <summary>The biases of each layer, <c>[units]</c> float64 (Fausett's v_0j, ..., w_0k). The live tensors.</summary>
    public IReadOnlyList<Tensor> Biases => _biases;

    /// <summary>The derivative a binary-step layer backpropagates: 0 (default, the true one) or a straight-through surrogate.</summary>
    public StepSurrogate StepSurrogate { get; set; } = StepSurrogate.None;

    /// <summary>Feed-forward (steps 3–5), keeping every layer's net input and output for the backward pass.</summary>
    /// <param name="inputs">Inputs <c>[N, n₀]</c> or one sample <c>[n₀]</c>; converted to float64.</param>
    /// <exception cref="ArgumentException">The inputs do not have n₀ features.</exception>
    public BackpropForward Forward(Tensor inputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var scope = NewDisposeScope();
        var x = PrepareInputs(inputs);
        var netInputs = new Tensor[LayerCount];
        var outputs = new Tensor[LayerCount + 1];
        outputs[0] = x;
        for (var l = 0; l < LayerCount; l++)
        {
            netInputs[l] = outputs[l].matmul(_weights[l]) + _biases[l];
            outputs[l + 1] = ActivationTable.Value(_activations[l], netInputs[l]);
        }
        foreach (var t in netInputs.Concat(outputs))
            t.MoveToOuterDisposeScope();
        return new BackpropForward(netInputs, outputs);
    }

    /// <summary>The network's output y for <paramref name="inputs"/>, <c>[N, outputs]</c> float64.</summary>
    /// <param name="inputs">Inputs <c>[N, n₀]</c> or one sample <c>[n₀]</c>.</param>
    public Tensor Predict(Tensor inputs)
    {
        using var scope = NewDisposeScope();
        var pass = Forward(inputs);
        return pass.Output.MoveToOuterDisposeScope();
    }

    /// <summary>The error <c>½ Σ (t − y)²</c> on a data set, summed over the samples or averaged.</summary>
    /// <param name="inputs">Inputs <c>[N, n₀]</c>.</param>
    /// <param name="targets">Targets <c>[N, outputs]</c> (or <c>[N]</c> for one output).</param>
    /// <param name="reduction">Sum (default) or mean over the samples.</param>
    public double Loss(Tensor inputs, Tensor targets, BatchReduction reduction = BatchReduction.Sum)
    {
        using var scope = NewDisposeScope();
        var pass = Forward(inputs);
        var t = PrepareTargets(targets, pass.Output);
        var loss = 0.5 * (t - pass.Output).square().sum().item<double>();
        return reduction == BatchReduction.Mean ? loss / t.shape[0] : loss;
    }

    /// <summary>
    /// Feed-forward and backpropagation of error (steps 3–7) without changing any weight: the δ of every layer and the
    /// gradient ∂E/∂w of every weight and bias, in the layout of <see cref="Weights"/> and <see cref="Biases"/>.
    /// </summary>
    /// <param name="inputs">Inputs <c>[N, n₀]</c> or one sample <c>[n₀]</c>.</param>
    /// <param name="targets">Targets <c>[N, outputs]</c>, one sample <c>[outputs]</c>, or <c>[N]</c> for one output.</param>
    /// <param name="reduction">Sum (default, Fausett's) or mean of the samples' contributions.</param>
    /// <exception cref="ArgumentException">Shapes that do not fit the network or each other.</exception>
    public BackpropGradients ComputeGradients(Tensor inputs, Tensor targets, BatchReduction reduction = BatchReduction.Sum)
    {
        CheckReduction(reduction);
        using var scope = NewDisposeScope();
        var pass = Forward(inputs);
        var y = pass.Output;
        var t = PrepareTargets(targets, y);
        var n = checked((int)t.shape[0]);
        var error = t - y;
        var loss = 0.5 * error.square().sum().item<double>();

        var deltas = new Tensor[LayerCount];
        // Output layer: δ_k = (t_k − y_k) a'(y_in_k) (for softmax, the Jacobian's transpose times t − y).
        deltas[^1] = ActivationTable.Backward(_activations[^1], pass.NetInputs[^1], error, step: StepSurrogate);
        for (var l = LayerCount - 2; l >= 0; l--)
        {
            // Hidden layer: δ_in_j = Σ_k δ_k w_jk with the weights before the update, then δ_j = δ_in_j a'(z_in_j).
            var deltaIn = deltas[l + 1].matmul(_weights[l + 1].t());
            deltas[l] = ActivationTable.Backward(_activations[l], pass.NetInputs[l], deltaIn, step: StepSurrogate);
        }

        // Δv_ij = α Σ_n δ_nj x_ni and Δv_0j = α Σ_n δ_nj are −α ∂E/∂v: store the gradients ∂E/∂v.
        var scale = reduction == BatchReduction.Mean ? 1.0 / n : 1.0;
        var weightGradients = new Tensor[LayerCount];
        var biasGradients = new Tensor[LayerCount];
        for (var l = 0; l < LayerCount; l++)
        {
            weightGradients[l] = (-scale * pass.Outputs[l].t().matmul(deltas[l])).MoveToOuterDisposeScope();
            biasGradients[l] = (-scale * deltas[l].sum(dim: 0)).MoveToOuterDisposeScope();
            deltas[l].MoveToOuterDisposeScope();
        }
        return new BackpropGradients(weightGradients, biasGradients, deltas, reduction == BatchReduction.Mean ? loss / n : loss, n, reduction);
    }

    /// <summary>Step 8: every weight and bias takes its correction, <c>w ← w + Δw = w − α ∂E/∂w</c>.</summary>
    /// <param name="gradients">Gradients from <see cref="ComputeGradients"/> of this network (or of one of its shape).</param>
    /// <param name="learningRate">α &gt; 0.</param>
    /// <exception cref="ArgumentException">A learning rate that is not positive and finite, or gradients of another shape.</exception>
    public void ApplyUpdate(BackpropGradients gradients, double learningRate)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(gradients);
        CheckLearningRate(learningRate);
        if (gradients.Weights.Count != LayerCount)
            throw new ArgumentException($"BackpropNetwork.ApplyUpdate: the gradients have {gradients.Weights.Count} layers; the network has {LayerCount}.", nameof(gradients));
        for (var l = 0; l < LayerCount; l++)
        {
            if (!gradients.Weights[l].shape.SequenceEqual(_weights[l].shape) || !gradients.Biases[l].shape.SequenceEqual(_biases[l].shape))
                throw new ArgumentException($"BackpropNetwork.ApplyUpdate: layer {l + 1}'s gradients {Shapes.Format(gradients.Weights[l])} and {Shapes.Format(gradients.Biases[l])} do not match its weights {Shapes.Format(_weights[l])} and biases {Shapes.Format(_biases[l])}.", nameof(gradients));
        }
        using var scope = NewDisposeScope();
        for (var l = 0; l < LayerCount; l++)
        {
            _weights[l].sub_(gradients.Weights[l].to(float64) * learningRate);
            _biases[l].sub_(gradients.Biases[l].to(float64) * learningRate);
        }
    }

    /// <summary>One training step on one sample or mini-batch: gradients, then the update. Returns the error before it.</summary>
    /// <param name="inputs">Inputs <c>[N, n₀]</c> or one sample <c>[n₀]</c>.</param>
    /// <param name="targets">Targets <c>[N, outputs]</c>, one sample <c>[outputs]</c>, or <c>[N]</c> for one output.</param>
    /// <param name="learningRate">α &gt; 0.</param>
    /// <param name="reduction">Sum (default, Fausett's) or mean over the batch.</param>
    public double TrainStep(Tensor inputs, Tensor targets, double learningRate, BatchReduction reduction = BatchReduction.Sum)
    {
        CheckLearningRate(learningRate);
        using var gradients = ComputeGradients(inputs, targets, reduction);
        ApplyUpdate(gradients, learningRate);
        return gradients.Loss;
    }

    /// <summary>
    /// One epoch: every training pair once, in order or shuffled, one update per sample (<paramref name="batchSize"/> 1,
    /// Fausett's online training) or per mini-batch. Returns the mean per-sample error <c>½ Σ_k (t_k − y_k)²</c> seen
    /// during the epoch (each sample's error before its own update).
    /// </summary>
    /// <param name="inputs">Inputs <c>[N, n₀]</c>.</param>
    /// <param name="targets">Targets <c>[N, outputs]</c> (or <c>[N]</c> for one output).</param>
    /// <param name="learningRate">α &gt; 0.</param>
    /// <param name="batchSize">Samples per update (default 1; the last batch may be smaller).</param>
    /// <param name="reduction">Sum (default) or mean over each batch.</param>
    /// <param name="shuffle">A generator to shuffle the order with, or null to keep the data's order.</param>
    public double TrainEpoch(Tensor inputs, Tensor targets, double learningRate, int batchSize = 1, BatchReduction reduction = BatchReduction.Sum, Random? shuffle = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        CheckLearningRate(learningRate);
        CheckReduction(reduction);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        using var scope = NewDisposeScope();
        var x = PrepareInputs(inputs);
        var t = PrepareTargets(targets, x.shape[0], LayerSizes[^1]);
        var n = checked((int)x.shape[0]);
        var order = Enumerable.Range(0, n).Select(i => (long)i).ToArray();
        shuffle?.Shuffle(order);
        var total = 0.0;
        for (var start = 0; start < n; start += batchSize)
        {
            using var step = NewDisposeScope();
            var count = Math.Min(batchSize, n - start);
            var index = tensor(order.AsSpan(start, count).ToArray(), int64);
            var loss = TrainStep(x.index_select(0, index), t.index_select(0, index), learningRate, reduction);
            total += reduction == BatchReduction.Mean ? loss * count : loss;
        }
        return total / n;
    }

    /// <summary>
    /// Trains for <paramref name="epochs"/> epochs (steps 1–8 repeated) and returns each epoch's mean per-sample error
    /// (see <see cref="TrainEpoch"/>), for a learning curve and the caller's stopping condition (step 9).
    /// </summary>
    /// <param name="inputs">Inputs <c>[N, n₀]</c>.</param>
    /// <param name="targets">Targets <c>[N, outputs]</c> (or <c>[N]</c> for one output).</param>
    /// <param name="epochs">The number of epochs.</param>
    /// <param name="learningRate">α &gt; 0.</param>
    /// <param name="batchSize">Samples per update (default 1: online, as Fausett).</param>
    /// <param name="reduction">Sum (default) or mean over each batch.</param>
    /// <param name="shuffleSeed">Shuffle the samples every epoch with this seed; null keeps the data's order.</param>
    public IReadOnlyList<double> Train(Tensor inputs, Tensor targets, int epochs, double learningRate, int batchSize = 1, BatchReduction reduction = BatchReduction.Sum, int? shuffleSeed = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epochs);
        var random = shuffleSeed is { } seed ? new Random(seed) : null;
        var errors = new double[epochs];
        for (var epoch = 0; epoch < epochs; epoch++)
            errors[epoch] = TrainEpoch(inputs, targets, learningRate, batchSize, reduction, random);
        return errors;
    }

    /// <summary>
    /// An equivalent TorchSharp model with a copy of the current weights: a <c>Sequential</c> of float64
    /// <c>Linear</c> layers (<c>weight = Wᵀ</c>, <c>bias = b</c>), each followed by its activation module
    /// (<see cref="ActivationModules.Create"/>). Its autograd gradients, for the same loss, equal
    /// <see cref="ComputeGradients"/> (transposed), except through a binary step with a surrogate, which the module
    /// does not know.
    /// </summary>
    public Sequential ToSequential()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var layers = new List<(string, nn.Module<Tensor, Tensor>)>();
        for (var l = 0; l < LayerCount; l++)
        {
            layers.Add(($"linear{l + 1}", nn.Linear(_sizes[l], _sizes[l + 1], hasBias: true, dtype: float64)));
            var activation = ActivationModules.Create(_activations[l]);
            activation.to(float64);
            layers.Add(($"{_activations[l].ToString().ToLowerInvariant()}{l + 1}", activation));
        }
        var model = nn.Sequential([.. layers]);
        CopyTo(model);
        return model;
    }

    /// <summary>Copies the weights into the Linear layers of <paramref name="model"/>, in order (<c>weight = Wᵀ</c>, <c>bias = b</c>).</summary>
    /// <param name="model">A model whose Linear layers, in order, have this network's sizes and biases.</param>
    /// <exception cref="ArgumentException">A different number of Linear layers, other sizes, or no bias.</exception>
    public void CopyTo(nn.Module model)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var linears = MatchingLinears(model, nameof(CopyTo));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var l = 0; l < LayerCount; l++)
        {
            linears[l].weight!.copy_(_weights[l].t());
            linears[l].bias!.copy_(_biases[l]);
        }
    }

    /// <summary>Copies the weights of the Linear layers of <paramref name="model"/>, in order, into this network (<c>W = weightᵀ</c>, <c>b = bias</c>).</summary>
    /// <param name="model">A model whose Linear layers, in order, have this network's sizes and biases.</param>
    /// <exception cref="ArgumentException">A different number of Linear layers, other sizes, or no bias.</exception>
    public void CopyFrom(nn.Module model)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var linears = MatchingLinears(model, nameof(CopyFrom));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (var l = 0; l < LayerCount; l++)
        {
            _weights[l].copy_(linears[l].weight!.detach().t());
            _biases[l].copy_(linears[l].bias!.detach());
        }
    }

    /// <summary>The architecture as text, e.g. <c>2-4-1 (sigmoid, sigmoid)</c>.</summary>
    public override string ToString() =>
        $"{string.Join('-', _sizes)} ({string.Join(", ", _activations.Select(a => a.ToString().ToLowerInvariant()))})";

    /// <summary>Disposes the weight tensors.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var t in _weights.Concat(_biases))
            t.Dispose();
    }

    Linear[] MatchingLinears(nn.Module model, string function)
    {
        ArgumentNullException.ThrowIfNull(model);
        Linear[] linears = model is Linear single ? [single] : [.. model.modules().OfType<Linear>()];
        if (linears.Length != LayerCount)
            throw new ArgumentException($"BackpropNetwork.{function}: {model.GetName()} has {linears.Length} Linear layers; the network {this} has {LayerCount}.", nameof(model));
        for (var l = 0; l < LayerCount; l++)
        {
            if (linears[l].in_features != _sizes[l] || linears[l].out_features != _sizes[l + 1])
                throw new ArgumentException($"BackpropNetwork.{function}: Linear layer {l + 1} is {linears[l].in_features} → {linears[l].out_features}; the network's layer {l + 1} is {_sizes[l]} → {_sizes[l + 1]}.", nameof(model));
            if (linears[l].bias is null)
                throw new ArgumentException($"BackpropNetwork.{function}: Linear layer {l + 1} has no bias; the network's layers all have one.", nameof(model));
        }
        return linears;
    }

    Tensor PrepareInputs(Tensor inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var features = _sizes[0];
        var x = inputs.dim() == 1 ? inputs.unsqueeze(0) : inputs;
        if (x.dim() != 2 || x.shape[1] != features)
            throw new ArgumentException($"BackpropNetwork {this}: inputs must be [N, {features}] or one sample [{features}]; got {Shapes.Format(inputs)}.", nameof(inputs));
        if (x.shape[0] == 0)
            throw new ArgumentException($"BackpropNetwork {this}: the batch is empty (inputs {Shapes.Format(inputs)}).", nameof(inputs));
        return x.detach().to(float64).cpu().clone();
    }

    Tensor PrepareTargets(Tensor targets, Tensor output) => PrepareTargets(targets, output.shape[0], output.shape[1]);

    Tensor PrepareTargets(Tensor targets, long samples, long outputs)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var t = targets.dim() switch
        {
            1 when samples == 1 && targets.shape[0] == outputs => targets.unsqueeze(0),
            1 when outputs == 1 => targets.unsqueeze(1),
            _ => targets,
        };
        if (t.dim() != 2 || t.shape[0] != samples || t.shape[1] != outputs)
            throw new ArgumentException($"BackpropNetwork {this}: targets must be [{samples}, {outputs}] to match the inputs and the output layer; got {Shapes.Format(targets)}.", nameof(targets));
        return t.detach().to(float64).cpu();
    }

    static int[] CheckSizes(IReadOnlyList<int> layerSizes)
    {
        if (layerSizes.Count < 2)
            throw new ArgumentException($"BackpropNetwork: needs at least an input and an output layer; got layer sizes [{string.Join(", ", layerSizes)}].", nameof(layerSizes));
        if (layerSizes.Any(s => s < 1))
            throw new ArgumentException($"BackpropNetwork: every layer needs at least one unit; got layer sizes [{string.Join(", ", layerSizes)}].", nameof(layerSizes));
        return [.. layerSizes];
    }

    static Activation[] CheckActivations(IReadOnlyList<Activation> activations, int[] sizes)
    {
        if (activations.Count != sizes.Length - 1)
            throw new ArgumentException($"BackpropNetwork: layer sizes [{string.Join(", ", sizes)}] need {sizes.Length - 1} activations (one per layer after the input); got {activations.Count}.", nameof(activations));
        foreach (var a in activations)
        {
            if (!Enum.IsDefined(a))
                throw new ArgumentOutOfRangeException(nameof(activations), a, "Unknown activation.");
        }
        return [.. activations];
    }

    static IReadOnlyList<Activation> Repeat(IReadOnlyList<int> layerSizes, Activation activation)
    {
        ArgumentNullException.ThrowIfNull(layerSizes);
        return [.. Enumerable.Repeat(activation, Math.Max(0, layerSizes.Count - 1))];
    }

    static void CheckPReLU(PReLU prelu, int index)
    {
        using var weight = prelu.weight!.detach().to(float64).flatten();
        var alphas = weight.data<double>().ToArray();
        if (alphas.Any(a => Math.Abs(a - ActivationTable.PReLUAlpha) > 1e-7))
            throw new ArgumentException($"BackpropNetwork.FromSequential: child {index} is a PReLU with α = [{string.Join(", ", alphas)}]; the network keeps PReLU's α fixed at the table's {ActivationTable.PReLUAlpha}.");
    }

    static void CheckLearningRate(double learningRate)
    {
        if (!(learningRate > 0) || double.IsInfinity(learningRate))
            throw new ArgumentException($"BackpropNetwork: the learning rate α must be positive and finite; got {learningRate}.", nameof(learningRate));
    }

    static void CheckReduction(BatchReduction reduction)
    {
        if (!Enum.IsDefined(reduction))
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Unknown batch reduction.");
    }
}
