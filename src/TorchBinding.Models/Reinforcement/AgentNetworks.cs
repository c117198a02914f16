using static TorchSharp.torch;

namespace TorchBinding.Models.Reinforcement;

/// <summary>Checks and helpers the agents share.</summary>
internal static class AgentNetworks
{
    /// <summary>Runs the network once on zeros [1, D] and checks that it gives [1, A].</summary>
    public static nn.Module<Tensor, Tensor> Check(nn.Module<Tensor, Tensor> network, int observationSize, int outputs, string agent, string role)
    {
        ArgumentNullException.ThrowIfNull(network, role);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var dtype = network.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
        var device = network.parameters().FirstOrDefault()?.device ?? CPU;
        Tensor output;
        try
        {
            output = network.call(zeros(1, observationSize, dtype: dtype, device: device));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ArgumentException($"{agent}: the {role} cannot take a batch of observations [1, {observationSize}]: {e.Message}", nameof(network), e);
        }
        if (output.dim() != 2 || output.shape[0] != 1 || output.shape[1] != outputs)
            throw new ArgumentException($"{agent}: the {role} maps [1, {observationSize}] to {Shapes.Format(output)}; it must give [1, {outputs}].", nameof(network));
        if (dtype != ScalarType.Float32)
            throw new ArgumentException($"{agent}: the {role} must be float32 (observations are batched as float32), its parameters are {dtype}.", nameof(network));
        return network;
    }

    /// <summary>An observation of <paramref name="size"/> numbers, each finite also as float32 (the message names the argument and the index).</summary>
    public static void CheckObservation(double[] observation, int size, string agent, string argument = "observation")
    {
        ArgumentNullException.ThrowIfNull(observation, argument);
        if (observation.Length != size)
            throw new ArgumentException($"{agent}: an observation must have {size} numbers, got {observation.Length} in {argument}.", argument);
        TensorChecks.RequireFinite(agent, observation, argument);
    }

    /// <summary>Values the network computed from finite inputs, refused when NaN or infinite (the network has diverged).</summary>
    public static void RequireFinite(Tensor values, string agent, string what)
    {
        if (TensorChecks.FirstNonFinite(values) is { } bad)
            throw new InvalidOperationException($"{agent}: {what} hold {TensorChecks.Describe(bad.Value)} at element {bad.Index} although the replayed numbers are finite: the network has diverged (lower the learning rate, or set MaxGradientNorm). Nothing was updated.");
    }

    /// <summary>The network's outputs for one finite observation, refused when NaN or infinite.</summary>
    public static double[] Finite(double[] values, string agent, string network)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!double.IsFinite(values[i]))
                throw new InvalidOperationException($"{agent}: the {network} gives {TensorChecks.Describe(values[i])} for action {i} of a finite observation: its weights are no longer finite (the network has diverged).");
        }
        return values;
    }

    public static void CheckEnvironment(IEnvironment environment, int observationSize, int actionCount, string agent)
    {
        if (environment.ObservationSize != observationSize || environment.ActionCount != actionCount)
            throw new ArgumentException(
                $"{agent} was built for {observationSize} observations and {actionCount} actions; {environment.Name} has {environment.ObservationSize} and {environment.ActionCount}.",
                nameof(environment));
    }

    public static Tensor Batch(double[] observation, Device device)
    {
        var values = new float[observation.Length];
        for (var i = 0; i < values.Length; i++)
            values[i] = (float)observation[i];
        return tensor(values, [1, values.Length], device: device);
    }

    public static int ArgMax(IReadOnlyList<double> values)
    {
        var best = 0;
        for (var i = 1; i < values.Count; i++)
            if (values[i] > values[best])
                best = i;
        return best;
    }
}
