using TorchBinding.Data;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchBinding.Tests.Training;

/// <summary>Small models and data shared by the training tests.</summary>
static class TrainingFixtures
{
    /// <summary>The digits split 80/20 (stratified, seed 1).</summary>
    public static (InMemoryDataset Train, InMemoryDataset Test) Digits()
    {
        using var digits = TorchBinding.Data.Digits.Load();
        return DatasetSplits.TrainTest(digits, 0.2, seed: 1);
    }

    /// <summary>A 64-32-10 MLP with dropout (so the random state matters).</summary>
    public static nn.Module<Tensor, Tensor> Mlp() =>
        nn.Sequential(("hidden", nn.Linear(64, 32)), ("dropout", nn.Dropout(0.2)), ("relu", nn.ReLU()), ("output", nn.Linear(32, 10)));

    public static Tensor CrossEntropy(Tensor output, Tensor target) => nn.functional.cross_entropy(output, target);

    /// <summary>The weights of a model as arrays, for exact comparisons.</summary>
    public static Dictionary<string, float[]> Weights(nn.Module model)
    {
        using var scope = NewDisposeScope();
        return model.state_dict().ToDictionary(p => p.Key, p => p.Value.cpu().to(float32).data<float>().ToArray());
    }

    /// <summary>A callback that runs an action after each batch (to cancel, inject, observe).</summary>
    public sealed class OnBatch(Action<TrainingContext> action) : TrainingCallback
    {
        public override void OnBatchEnd(TrainingContext context) => action(context);
    }
}
