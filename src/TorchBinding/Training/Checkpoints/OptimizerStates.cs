using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TorchBinding.Training.Checkpoints;

/// <summary>
/// Which implementation (flat or TorchSharp's) wrote each optimizer state of a checkpoint: their binary states differ,
/// so a resumed run builds its optimizers as the checkpoint's run did. Checkpoints record it since optimizers became
/// recipes; for older ones (written by hand-made TorchSharp optimizers, or flat ones from the command line) it is found
/// by reading the state into each implementation in turn: TorchSharp's state format starts with the optimizer's type
/// name, so the wrong implementation refuses it rather than misreading it.
/// </summary>
static class OptimizerStates
{
    /// <summary>The metadata key: one entry per optimizer, "flat", "torchsharp" or "custom".</summary>
    public const string Key = "optimizer_implementations";

    /// <summary>The entry of each optimizer, for the checkpoint's metadata.</summary>
    public static JsonArray Describe(IEnumerable<optim.Optimizer> optimizers) =>
        new(optimizers.Select(o => (JsonNode?)(o is FlatOptimizer ? "flat" : o is TorchSharp.Modules.OptimizerHelper ? "torchsharp" : "custom")).ToArray());

    /// <summary>
    /// The implementation that wrote optimizer <paramref name="index"/>'s state, or null when it cannot be told (a custom
    /// optimizer, or a state neither implementation of the recipe reads).
    /// </summary>
    public static OptimizerImplementation? ImplementationOf(CheckpointData data, int index, OptimizerRecipe recipe, nn.Module model)
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
        // An older checkpoint: the implementation whose reader takes the whole state.
        foreach (var candidate in new[] { recipe.Implementation, Other(recipe.Implementation) })
        {
            var probe = recipe.With(candidate).Build(model);
            try
            {
                if (Reads(probe, data.Optimizers[index]))
                    return candidate;
            }
            finally
            {
                probe.Dispose();
            }
        }
        return null;
    }

    static OptimizerImplementation Other(OptimizerImplementation implementation) =>
        implementation == OptimizerImplementation.Flat ? OptimizerImplementation.TorchSharp : OptimizerImplementation.Flat;

    /// <summary>Whether <paramref name="optimizer"/> reads <paramref name="state"/> without error and to its last byte.</summary>
    static bool Reads(optim.Optimizer optimizer, byte[] state)
    {
        if (optimizer is not TorchSharp.Modules.OptimizerHelper helper)
            return false;
        using var stream = new MemoryStream(state);
        using var reader = new BinaryReader(stream);
        try
        {
            helper.load_state_dict(reader);
            return stream.Position == stream.Length;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or InvalidDataException or OverflowException or KeyNotFoundException or IndexOutOfRangeException or NotSupportedException or InvalidCastException or System.Runtime.InteropServices.ExternalException)
        {
            return false;
        }
    }
}
