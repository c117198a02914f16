using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TorchBinding.Training.Checkpoints;

/// <summary>
/// Which implementation (flat or TorchSharp's) wrote each optimizer state of a checkpoint: their binary states differ,
/// so a resumed run builds its optimizers as the checkpoint's run did. Checkpoints record it since optimizers became
/// recipes; for older ones (written by hand-made TorchSharp optimizers, or flat ones from the command line) the state
/// itself tells: TorchSharp's optimizer format opens with the optimizer's type name.
/// </summary>
static class OptimizerStates
{
    /// <summary>The metadata key: one entry per optimizer, "flat", "torchsharp" or "custom".</summary>
    public const string Key = "optimizer_implementations";

    static readonly HashSet<string> FlatTypes = [nameof(FlatSgd), nameof(FlatAdam), nameof(FlatRmsProp)];

    /// <summary>The entry of each optimizer, for the checkpoint's metadata.</summary>
    public static JsonArray Describe(IEnumerable<optim.Optimizer> optimizers) =>
        new(optimizers.Select(o => (JsonNode?)(o is FlatOptimizer ? "flat" : o is TorchSharp.Modules.OptimizerHelper ? "torchsharp" : "custom")).ToArray());

    /// <summary>
    /// The implementation that wrote optimizer <paramref name="index"/>'s state, or null when it cannot be told (a custom
    /// optimizer, or a state too short to name its type).
    /// </summary>
    public static OptimizerImplementation? ImplementationOf(CheckpointData data, int index)
    {
        if (data.Metadata[Key] is JsonArray recorded)
        {
            return index < recorded.Count ? (string?)recorded[index] switch
            {
                "flat" => OptimizerImplementation.Flat,
                "torchsharp" => OptimizerImplementation.TorchSharp,
                _ => null,
            } : null;
        }
        // An older checkpoint: the type name its state opens with.
        using var reader = new BinaryReader(new MemoryStream(data.Optimizers[index]));
        try
        {
            return FlatTypes.Contains(reader.ReadString()) ? OptimizerImplementation.Flat : OptimizerImplementation.TorchSharp;
        }
        catch (EndOfStreamException)
        {
            return null;
        }
    }
}
