using System.Text.Json.Nodes;
using static TorchSharp.torch;

namespace TorchBinding.Training.Checkpoints;

/// <summary>
/// A model's architecture as a checkpoint records it — every state-dict entry's name and shape — and the check
/// that refuses a checkpoint of another architecture before TorchSharp sees it, naming the first differences.
/// </summary>
static class Architecture
{
    /// <summary>The names and shapes of the model's state dict.</summary>
    public static JsonArray Describe(nn.Module model) =>
        new(model.state_dict().Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Key,
            ["shape"] = new JsonArray(p.Value.shape.Select(d => (JsonNode)d).ToArray()),
        }).ToArray());

    /// <summary>Throws <see cref="InvalidDataException"/> unless <paramref name="saved"/> describes <paramref name="model"/>'s architecture.</summary>
    public static void Check(JsonArray? saved, nn.Module model, string path)
    {
        if (saved is null)
            throw new InvalidDataException($"Checkpoint '{path}' lists no parameters.");
        var expected = saved.ToDictionary(p => (string)p!["name"]!, p => "[" + string.Join(", ", p!["shape"]!.AsArray().Select(d => (long)d!)) + "]");
        var actual = model.state_dict().ToDictionary(p => p.Key, p => Shapes.Format(p.Value));
        var missing = expected.Keys.Except(actual.Keys).ToList();
        var extra = actual.Keys.Except(expected.Keys).ToList();
        var different = expected.Keys.Intersect(actual.Keys).Where(k => expected[k] != actual[k]).ToList();
        if (missing.Count + extra.Count + different.Count == 0)
            return;
        var problems = new List<string>();
        if (different.Count > 0)
            problems.Add(string.Join("; ", different.Take(3).Select(k => $"'{k}' is {expected[k]} there and {actual[k]} here")));
        if (missing.Count > 0)
            problems.Add($"this model has no {string.Join(", ", missing.Take(3).Select(k => $"'{k}'"))}");
        if (extra.Count > 0)
            problems.Add($"the checkpoint has no {string.Join(", ", extra.Take(3).Select(k => $"'{k}'"))}");
        throw new InvalidDataException($"Checkpoint '{path}' was saved from a different architecture: {string.Join("; ", problems)}.");
    }
}
