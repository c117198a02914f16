using static TorchSharp.torch;

namespace TorchBinding.Models.Transfer;

/// <summary>
/// A model whose output layer (the classifier head) can be swapped for another, the first move of transfer learning:
/// keep the learned features, replace the part that names the old task's classes. The course's <c>Cnn</c> and <c>ResNet</c>
/// implement it; <see cref="TransferLearning.ReplaceHead(IReplaceableHead, int)"/> is the usual way to use it.
/// </summary>
public interface IReplaceableHead
{
    /// <summary>The head's name among the model's layers (e.g. <c>fc1</c>, <c>fc</c>).</summary>
    string HeadName { get; }

    /// <summary>The current head.</summary>
    nn.Module<Tensor, Tensor> Head { get; }

    /// <summary>The number of features the head receives.</summary>
    long HeadInputFeatures { get; }

    /// <summary>Puts <paramref name="head"/> in the old head's place (same name, registered) and returns the old head.</summary>
    nn.Module<Tensor, Tensor> SwapHead(nn.Module<Tensor, Tensor> head);
}
