using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Training;

/// <summary>The weight initialisations of the lecture.</summary>
public enum WeightInit
{
    /// <summary>Glorot &amp; Bengio (2010), uniform: U(−a, a), a = √(6 / (fan_in + fan_out)).</summary>
    XavierUniform,

    /// <summary>Glorot &amp; Bengio (2010), normal: N(0, 2 / (fan_in + fan_out)).</summary>
    XavierNormal,

    /// <summary>He et al. (2015), uniform for ReLU: U(−b, b), b = √(6 / fan_in).</summary>
    KaimingUniform,

    /// <summary>He et al. (2015), normal for ReLU: N(0, 2 / fan_in).</summary>
    KaimingNormal,

    /// <summary>N(0, σ²) with a given σ.</summary>
    Normal,

    /// <summary>U(a, b) with given bounds.</summary>
    Uniform,

    /// <summary>All zeros (the lecture's example of a symmetry that gradient descent cannot break).</summary>
    Zeros,
}

/// <summary>Applies an initialisation to every Linear and convolution layer of a model; biases become zero.</summary>
public static class WeightInitialization
{
    /// <summary>Parses a name such as <c>xavier</c>, <c>glorot_normal</c>, <c>kaiming</c>, <c>he_normal</c>, <c>normal</c>, <c>uniform</c>, <c>zeros</c>.</summary>
    public static WeightInit Parse(string name) => name.Trim().ToLowerInvariant().Replace('-', '_') switch
    {
        "xavier" or "xavier_uniform" or "glorot" or "glorot_uniform" => WeightInit.XavierUniform,
        "xavier_normal" or "glorot_normal" => WeightInit.XavierNormal,
        "kaiming" or "kaiming_uniform" or "he" or "he_uniform" => WeightInit.KaimingUniform,
        "kaiming_normal" or "he_normal" => WeightInit.KaimingNormal,
        "normal" => WeightInit.Normal,
        "uniform" => WeightInit.Uniform,
        "zeros" or "zero" => WeightInit.Zeros,
        _ => throw new ArgumentException($"Initialisation '{name}' is not one of: xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, normal, uniform, zeros.", nameof(name)),
    };

    /// <summary>Initialises the weights of every Linear and Conv1d/2d/3d layer of <paramref name="model"/>.</summary>
    /// <param name="model">The model.</param>
    /// <param name="scheme">The initialisation.</param>
    /// <param name="std">σ for <see cref="WeightInit.Normal"/>.</param>
    /// <param name="low">Lower bound for <see cref="WeightInit.Uniform"/>.</param>
    /// <param name="high">Upper bound for <see cref="WeightInit.Uniform"/>.</param>
    /// <returns>The number of layers initialised.</returns>
    public static int Apply(nn.Module model, WeightInit scheme, double std = 0.01, double low = -0.05, double high = 0.05)
    {
        ArgumentNullException.ThrowIfNull(model);
        var count = 0;
        using (no_grad())
        {
            foreach (var module in model.modules())
            {
                var (weight, bias) = module switch
                {
                    Linear l => (l.weight, l.bias),
                    Conv1d c => (c.weight, c.bias),
                    Conv2d c => (c.weight, c.bias),
                    Conv3d c => (c.weight, c.bias),
                    _ => (null, null),
                };
                if (weight is null)
                    continue;
                switch (scheme)
                {
                    case WeightInit.XavierUniform: nn.init.xavier_uniform_(weight); break;
                    case WeightInit.XavierNormal: nn.init.xavier_normal_(weight); break;
                    case WeightInit.KaimingUniform: nn.init.kaiming_uniform_(weight, 0, nn.init.FanInOut.FanIn, nn.init.NonlinearityType.ReLU); break;
                    case WeightInit.KaimingNormal: nn.init.kaiming_normal_(weight, 0, nn.init.FanInOut.FanIn, nn.init.NonlinearityType.ReLU); break;
                    case WeightInit.Normal: nn.init.normal_(weight, 0, std); break;
                    case WeightInit.Uniform: nn.init.uniform_(weight, low, high); break;
                    case WeightInit.Zeros: nn.init.zeros_(weight); break;
                    default: throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "Unknown initialisation.");
                }
                if (bias is not null)
                    nn.init.zeros_(bias);
                count++;
            }
        }
        return count;
    }
}
