// A child process for the tests.
//   (no arguments)           start-up probe: its first statement uses TorchSharp directly, so the natives
//                            load through the start-up hook's resolver; prints the autograd example and
//                            the runtime description.
//   checkpoint-loop PATH     writes checkpoints of a ~16 MB model to PATH in a loop, until killed.
using System.Text.Json.Nodes;
using TorchBinding.Runtime;
using TorchBinding.Training.Checkpoints;
using static TorchSharp.torch;

try
{
    if (args is ["checkpoint-loop", var path])
        return CheckpointLoop(path);
    var a = tensor(2.0, requires_grad: true);
    var b = tensor(1.0, requires_grad: true);
    var e = (a + b) * (b + 1);
    e.backward();
    Console.WriteLine($"e={e.item<double>()} de/da={a.grad!.item<double>()} de/db={b.grad!.item<double>()}");
    Console.WriteLine(TorchRuntime.Describe());
    return 0;
}
catch (Exception e)
{
    // TorchSharp wraps start-up failures; print every message down the chain.
    for (var x = e; x is not null; x = x.InnerException)
        Console.Error.WriteLine($"{x.GetType().Name}: {x.Message}");
    return 3;
}

static int CheckpointLoop(string path)
{
    var model = nn.Linear(2000, 2000);
    using var stream = new MemoryStream();
    model.save(stream);
    var weights = stream.ToArray();
    for (var i = 0; ; i++)
    {
        var metadata = new JsonObject { ["iteration"] = i };
        CheckpointFile.Write(path, new CheckpointData(metadata, weights, [], [1, 2, 3], null));
        Console.WriteLine($"wrote {i}");
    }
}
