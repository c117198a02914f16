using TorchBinding.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchBinding.Tests;

/// <summary>
/// A CNN built so that only the left half of a 32x32 image matters: the input is multiplied by a left-half mask, and the
/// layer <c>features</c> (ReLU of the second convolution, masked to the left half of its 16x16 map) is all the head sees.
/// Convolutions have no bias, so a zero region stays zero. The head's weights for class 0 are positive, so class 0's
/// Grad-CAM weights α_k are positive and its map is not empty.
/// </summary>
sealed class LeftHalfNet : nn.Module<Tensor, Tensor>
{
    readonly Conv2d conv1 = nn.Conv2d(1, 6, 3, padding: 1, bias: false);
    readonly MaxPool2d pool = nn.MaxPool2d(2);
    readonly Conv2d conv2 = nn.Conv2d(6, 8, 3, padding: 1, bias: false);
    readonly MaskedRelu features = new(16, 16);
    readonly Linear fc = nn.Linear(8, 2);
    readonly Tensor inputMask;

    public LeftHalfNet() : base(nameof(LeftHalfNet))
    {
        inputMask = LeftHalf(32, 32);
        RegisterComponents();
        using var noGrad = no_grad();
        fc.weight![0].abs_();
    }

    public static Tensor LeftHalf(int height, int width)
    {
        var mask = zeros(1, 1, height, width);
        mask[.., .., .., ..(width / 2)] = 1;
        return mask;
    }

    public override Tensor forward(Tensor x)
    {
        var h = pool.call(nn.functional.relu(conv1.call(x * inputMask)));
        h = features.call(conv2.call(h));
        return fc.call(h.mean([2, 3]));
    }

    /// <summary>ReLU, then only the left half of the map is kept.</summary>
    sealed class MaskedRelu : nn.Module<Tensor, Tensor>
    {
        readonly Tensor mask;

        public MaskedRelu(int height, int width) : base(nameof(MaskedRelu))
        {
            mask = LeftHalf(height, width);
            RegisterComponents();
        }

        public override Tensor forward(Tensor x) => nn.functional.relu(x) * mask;
    }
}

/// <summary>Small models and data for the interpretability and robustness tests.</summary>
static class TestModels
{
    /// <summary>A linear classifier over flattened images [N, 1, H, W] (a Sequential of flatten and one linear layer).</summary>
    public static Sequential Linear(int height, int width, int classes) =>
        nn.Sequential(("flatten", nn.Flatten()), ("fc", nn.Linear(height * width, classes)));

    /// <summary>A small ReLU CNN for 1x16x16 images, 3 classes.</summary>
    public static Sequential SmallCnn() => nn.Sequential(
        ("conv1", nn.Conv2d(1, 4, 3, padding: 1)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(4, 8, 3, padding: 1)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()), ("fc", nn.Linear(8 * 4 * 4, 3)));

    /// <summary>Seeded uniform images in [0, 1].</summary>
    public static Tensor Images(int n, int height, int width, int seed)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return rand([n, 1, height, width], generator: generator);
    }

    public static void Seed(int seed)
    {
        TorchRuntime.EnsureInitialized();
        manual_seed(seed);
    }

    /// <summary>The fraction of a non-negative map's mass [N, H, W] (or [N, C, H, W]) in the left half of the columns.</summary>
    public static double LeftMass(Tensor map)
    {
        using var scope = NewDisposeScope();
        var m = map.abs().to(float64);
        var width = m.shape[^1];
        return m[TensorIndex.Ellipsis, TensorIndex.Slice(0, width / 2)].sum().item<double>() / m.sum().item<double>();
    }
}
