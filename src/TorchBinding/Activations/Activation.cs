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

/// <summary>Activation functions as modules, by enum or by name, for models built from a configuration (<c>ActivationModules.Create(Activation.ReLU)</c>).</summary>
public static class ActivationModules
{
    /// <summary>A module applying <paramref name="activation"/> (a fresh one each call: PReLU has a parameter).</summary>
    public static nn.Module<Tensor, Tensor> Create(Activation activation)
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

    /// <summary>
    /// Recognises a module as a row of the table with the table's parameters: those made by <see cref="Create"/>,
    /// and TorchSharp's own (<c>nn.Sigmoid()</c>, <c>nn.LeakyReLU(0.01)</c>, <c>nn.Softmax(-1)</c>, ...). A module with
    /// other parameters (leaky ReLU's slope, ELU's α, SoftPlus' β, tanh-approximated GELU) is not recognised; a PReLU
    /// is recognised whatever its learned α (read it from its <c>weight</c>). Softmax counts over dim −1 or 1 (the
    /// last dimension of <c>[N, K]</c> batches).
    /// </summary>
    /// <param name="module">The module.</param>
    /// <param name="activation">The activation, when recognised.</param>
    /// <returns>Whether <paramref name="module"/> is one of the table's activations.</returns>
    public static bool TryIdentify(nn.Module module, out Activation activation)
    {
        ArgumentNullException.ThrowIfNull(module);
        Activation? found = module switch
        {
            TorchSharp.Modules.Identity => Activation.Identity,
            BinaryStepModule => Activation.BinaryStep,
            TorchSharp.Modules.Sigmoid => Activation.Sigmoid,
            TorchSharp.Modules.Tanh => Activation.Tanh,
            ArcTanModule => Activation.ArcTan,
            TorchSharp.Modules.ReLU => Activation.ReLU,
            TorchSharp.Modules.LeakyReLU leaky when leaky.negative_slope == ActivationTable.LeakyReLUSlope => Activation.LeakyReLU,
            TorchSharp.Modules.PReLU => Activation.PReLU,
            TorchSharp.Modules.ELU elu when elu.alpha == ActivationTable.ELUAlpha => Activation.ELU,
            TorchSharp.Modules.Softplus softplus when softplus.beta == 1 => Activation.SoftPlus,
            TorchSharp.Modules.Softmax softmax when softmax.dim is -1 or 1 => Activation.Softmax,
            TorchSharp.Modules.GELU gelu when gelu.approximate == TorchSharp.Modules.GELU.Approximate.none => Activation.GELU,
            TorchSharp.Modules.SiLU => Activation.SiLU,
            _ => null,
        };
        activation = found ?? default;
        return found is not null;
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
