using TorchBinding.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Activations;

/// <summary>The activation functions of the lecture's table.</summary>
public enum Activation
{
    /// <summary>a(x) = x.</summary>
    Identity,

    /// <summary>a(x) = 1 if x ≥ 0 else 0 (its derivative is 0 almost everywhere).</summary>
    BinaryStep,

    /// <summary>The logistic function a(x) = 1 / (1 + e^(−x)).</summary>
    Sigmoid,

    /// <summary>a(x) = tanh x.</summary>
    Tanh,

    /// <summary>a(x) = arctan x.</summary>
    ArcTan,

    /// <summary>a(x) = max(0, x).</summary>
    ReLU,

    /// <summary>a(x) = x if x ≥ 0 else αx (α = 0.01).</summary>
    LeakyReLU,

    /// <summary>Leaky ReLU with a learned α (initially 0.25).</summary>
    PReLU,

    /// <summary>a(x) = x if x ≥ 0 else α(e^x − 1) (α = 1).</summary>
    ELU,

    /// <summary>a(x) = ln(1 + e^x).</summary>
    SoftPlus,

    /// <summary>a(x)_i = e^(x_i) / Σ_j e^(x_j), over the last dimension.</summary>
    Softmax,

    /// <summary>a(x) = x Φ(x), Φ the standard normal CDF.</summary>
    GELU,

    /// <summary>a(x) = x σ(x) (also "swish").</summary>
    SiLU,
}

/// <summary>Activation functions as modules, by enum or by name, for models built from a configuration.</summary>
public static class Activations
{
    /// <summary>A module applying <paramref name="activation"/> (a fresh one each call: PReLU has a parameter).</summary>
    public static nn.Module<Tensor, Tensor> Module(Activation activation)
    {
        TorchRuntime.EnsureInitialized();
        return activation switch
        {
            Activation.Identity => nn.Identity(),
            Activation.BinaryStep => new BinaryStepModule(),
            Activation.Sigmoid => nn.Sigmoid(),
            Activation.Tanh => nn.Tanh(),
            Activation.ArcTan => new ArcTanModule(),
            Activation.ReLU => nn.ReLU(),
            Activation.LeakyReLU => nn.LeakyReLU(0.01),
            Activation.PReLU => nn.PReLU(1, 0.25),
            Activation.ELU => nn.ELU(),
            Activation.SoftPlus => nn.Softplus(),
            Activation.Softmax => nn.Softmax(-1),
            Activation.GELU => nn.GELU(),
            Activation.SiLU => nn.SiLU(),
            _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation."),
        };
    }

    /// <summary>Parses a name such as <c>relu</c>, <c>leaky_relu</c>, <c>sigmoid</c>, <c>tanh</c>, <c>gelu</c> (case and dashes ignored).</summary>
    public static Activation Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Trim().Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal).ToLowerInvariant();
        foreach (var value in Enum.GetValues<Activation>())
        {
            if (value.ToString().ToLowerInvariant() == key)
                return value;
        }
        return key switch
        {
            "linear" or "none" => Activation.Identity,
            "step" or "heaviside" => Activation.BinaryStep,
            "logistic" => Activation.Sigmoid,
            "swish" => Activation.SiLU,
            _ => throw new ArgumentException($"Activation '{name}' is not one of: {string.Join(", ", Enum.GetNames<Activation>())}.", nameof(name)),
        };
    }

    sealed class BinaryStepModule() : nn.Module<Tensor, Tensor>("BinaryStep")
    {
        public override Tensor forward(Tensor input) => input.ge(0).to(input.dtype);
    }

    sealed class ArcTanModule() : nn.Module<Tensor, Tensor>("ArcTan")
    {
        public override Tensor forward(Tensor input) => input.atan();
    }
}
