// Start-up probe, run by the tests as a child process with different environments. Its first
// statement uses TorchSharp directly, so the natives are loaded through the start-up hook's resolver
// (not through a TorchBinding call). It prints the autograd example and the runtime description.
using TorchBinding.Runtime;
using static TorchSharp.torch;

try
{
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
