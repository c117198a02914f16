// GPU check: run by scripts/gpu-check.sh on a machine with an NVIDIA GPU, against the CUDA libtorch of
// a PyTorch install (TORCHBINDING_LIBTORCH=python). Prints the runtime, checks autograd and a training
// run on CUDA, and measures bf16 matmul throughput. Exit code 0 only if every check passed.
using System.Diagnostics;
using System.Globalization;
using TorchBinding.Data;
using TorchBinding.Models;
using TorchBinding.Models.Transformers;
using TorchBinding.Runtime;
using TorchBinding.Training;
using TorchSharp;
using static TorchSharp.torch;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
var failures = new List<string>();
void Check(string what, bool ok, string detail)
{
    Console.WriteLine($"[{(ok ? "pass" : "FAIL")}] {what}: {detail}");
    if (!ok)
        failures.Add(what);
}

TorchRuntime.Initialize();
var description = TorchRuntime.Describe();
Console.WriteLine(description);
Check("CUDA available", description.CudaAvailable, description.CudaAvailable ? string.Join(", ", description.CudaDevices) : "no CUDA device");
if (!description.CudaAvailable)
    return 1;
var cuda = Devices.Resolve("cuda");

// The lecture's autograd example, on the GPU.
using (NewDisposeScope())
{
    var a = tensor(2.0, requires_grad: true, device: cuda);
    var b = tensor(1.0, requires_grad: true, device: cuda);
    var e = (a + b) * (b + 1);
    e.backward();
    var (ev, da, db) = (e.item<double>(), a.grad!.item<double>(), b.grad!.item<double>());
    Check("autograd e=(a+b)(b+1) at (2,1) on CUDA", (ev, da, db) == (6, 2, 5), $"e={ev} de/da={da} de/db={db} on {a.device}");
}

// A seeded MLP on the embedded digits, trained on the GPU.
{
    Seeding.SeedEverything(42);
    using var digits = Digits.Load();
    var (train, test) = DatasetSplits.TrainTest(digits, 0.2, seed: 42);
    var model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)).to(cuda);
    var optimizer = optim.Adam(model.parameters(), 1e-3);
    using var batches = train.Batches(32, new BatchOptions { Seed = 42, Device = cuda });
    for (var epoch = 0; epoch < 30; epoch++)
    {
        foreach (var (x, y) in batches)
        {
            using var scope = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
    }
    using (no_grad())
    using (NewDisposeScope())
    {
        var accuracy = model.call(test.Inputs.to(cuda)).argmax(1).eq(test.Targets.to(cuda)).to(float64).mean().item<double>();
        Check("digits MLP trained on CUDA", accuracy >= 0.95, $"test accuracy {accuracy:F4} (bound 0.95)");
    }
}

// The course models compute the same on CUDA as on the CPU, from the same weights.
foreach (var (name, make) in new (string, Func<nn.Module<Tensor, Tensor>>)[] { ("course CNN", () => Cnn.Course()), ("course ResNet", () => ResNet.Course()), ("U-Net", () => new UNet(1, 4)), ("course ViT", () => VisionTransformer.Course()) })
{
    using var scope = NewDisposeScope();
    torch.manual_seed(1);
    var cpuModel = make();
    var gpuModel = make();
    gpuModel.load_state_dict(cpuModel.state_dict());
    gpuModel.to(cuda);
    cpuModel.eval();
    gpuModel.eval();
    var input = rand(4, 1, name == "U-Net" ? 64 : 28, name == "U-Net" ? 64 : 28);
    using var noGrad = no_grad();
    var difference = (cpuModel.call(input) - gpuModel.call(input.to(cuda)).cpu()).abs().max().item<float>();
    Check($"{name} on CUDA = on CPU", difference < 1e-3, $"largest output difference {difference:E2}");
}

// Augmentation and batching stay on the device and match the CPU under the same seed.
using (NewDisposeScope())
{
    var batch = rand(8, 1, 28, 28);
    var onCpu = new TorchBinding.Data.Augmentation.Compose(new TorchBinding.Data.Augmentation.RandomCrop(2, seed: 5), new TorchBinding.Data.Augmentation.RandomRotation(10, seed: 6)).Apply(batch);
    var onGpu = new TorchBinding.Data.Augmentation.Compose(new TorchBinding.Data.Augmentation.RandomCrop(2, seed: 5), new TorchBinding.Data.Augmentation.RandomRotation(10, seed: 6)).Apply(batch.to(cuda));
    var difference = (onCpu - onGpu.cpu()).abs().max().item<float>();
    Check("augmentation on CUDA", onGpu.device_type == DeviceType.CUDA && difference < 1e-4, $"output on {onGpu.device}, largest difference from the CPU {difference:E2}");
}

// Flat-buffer optimizers on CUDA: the same trajectory as TorchSharp's Adam, and gradients that stay views of the buffer.
using (NewDisposeScope())
{
    torch.manual_seed(3);
    var a = ResNet.Course().to(cuda);
    var b = ResNet.Course();
    b.load_state_dict(a.state_dict());
    b.to(cuda);
    var x = rand(16, 1, 28, 28, device: cuda);
    var y = randint(0, 10, [16], dtype: int64, device: cuda);
    var (perTensor, flat) = (optim.Adam(a.parameters(), 1e-3), new FlatAdam(b.parameters(), 1e-3));
    for (var i = 0; i < 20; i++)
    {
        foreach (var (model, optimizer) in new (nn.Module<Tensor, Tensor>, optim.Optimizer)[] { (a, perTensor), (b, flat) })
        {
            using var step = NewDisposeScope();
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.call(x), y).backward();
            optimizer.step();
        }
    }
    var drift = a.parameters().Zip(b.parameters()).Max(p => (p.First - p.Second).abs().max().item<float>());
    Check("FlatAdam = TorchSharp's Adam on CUDA", drift < 1e-5, $"largest parameter difference after 20 steps {drift:E2}");
    flat.zero_grad();
    nn.functional.cross_entropy(b.call(x), y).backward();
    var buffer = flat.Buffers.Single();
    var inBuffer = buffer.Gradients.abs().sum().item<float>();
    var perParameter = b.parameters().Sum(p => { using var g = p.grad!; return g.abs().sum().item<float>(); });
    buffer.Gradients.fill_(0.5f);
    var views = b.parameters().All(p => { using var g = p.grad!; return g.eq(0.5f).all().item<bool>(); });
    Check("gradients accumulate into the flat buffer on CUDA", views && Math.Abs(inBuffer - perParameter) <= 1e-3 * perParameter,
        $"buffer holds {inBuffer:G6}, the parameters' gradients {perParameter:G6}; every gradient a view: {views}");
}

// Throughput, timed exactly as scripts/gpu/pytorch_baseline.py times the same work in PyTorch. TorchBinding trains
// with its default (flat) Adam; the per_parameter_adam rows use TorchSharp's own Adam (and PyTorch's foreach=False).
var ours = new Dictionary<string, double>
{
    ["bf16_matmul_tflops"] = Bf16MatmulTflops(),
    ["mlp_step_ms"] = MlpStepMilliseconds(),
    ["course_cnn_images_per_s"] = TrainingImagesPerSecond(Cnn.Course()),
    ["course_resnet_images_per_s"] = TrainingImagesPerSecond(ResNet.Course()),
    ["course_cnn_images_per_s_per_parameter_adam"] = TrainingImagesPerSecond(Cnn.Course(), flat: false),
    ["course_resnet_images_per_s_per_parameter_adam"] = TrainingImagesPerSecond(ResNet.Course(), flat: false),
    // ResNet-18 with the CIFAR stem on 32x32 images, batch 256: fp32, and bf16 mixed precision (PyTorch: autocast).
    ["resnet18_cifar_images_per_s"] = TrainingImagesPerSecond(ResNet.ResNet18(classes: 10, inChannels: 3, stem: ResNetStem.Cifar), batch: 256, channels: 3, size: 32),
    ["resnet18_cifar_bf16_images_per_s"] = TrainingImagesPerSecond(ResNet.ResNet18(classes: 10, inChannels: 3, stem: ResNetStem.Cifar), batch: 256, channels: 3, size: 32, bf16: true),
    // The course ViT at its batch of 64: attention as the default picks it on CUDA (fused), and explicit.
    ["course_vit_images_per_s"] = TrainingImagesPerSecond(VisionTransformer.Course(), batch: 64),
    ["course_vit_explicit_images_per_s"] = TrainingImagesPerSecond(VisionTransformer.Course(AttentionImplementation.Explicit), batch: 64),
};
Check("bf16 matmul runs", ours["bf16_matmul_tflops"] > 1, $"{ours["bf16_matmul_tflops"]:F0} TFLOP/s (8192^3, median of 10)");
Console.WriteLine($"MLP 784-500-10 Adam step, batch 256: {ours["mlp_step_ms"]:F3} ms (median of 5 x 500 steps)");
Console.WriteLine($"training, batch 100 of 28x28: course CNN {ours["course_cnn_images_per_s"]:F0} images/s, course ResNet {ours["course_resnet_images_per_s"]:F0} images/s (median of 5 x 100 steps)");
Console.WriteLine($"training, ResNet-18 (CIFAR stem), batch 256 of 32x32: {ours["resnet18_cifar_images_per_s"]:F0} images/s fp32, {ours["resnet18_cifar_bf16_images_per_s"]:F0} images/s bf16 mixed");
Console.WriteLine($"training, batch 64 of 28x28: course ViT {ours["course_vit_images_per_s"]:F0} images/s with {ScaledDotProductAttention.Fastest(DeviceType.CUDA)} attention (the default on CUDA), {ours["course_vit_explicit_images_per_s"]:F0} images/s with explicit attention");

var baselineScript = args.SkipWhile(a => a != "--pytorch-baseline").Skip(1).FirstOrDefault();
if (baselineScript is not null)
{
    var python = Environment.GetEnvironmentVariable(RuntimeOptions.PythonVariable) ?? "python3";
    var start = new ProcessStartInfo(python, [baselineScript]) { RedirectStandardOutput = true, UseShellExecute = false };
    using var process = Process.Start(start)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    var theirs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    Console.WriteLine();
    Console.WriteLine($"Side by side on {theirs["device"]}, PyTorch {theirs["torch_version"]} (same libtorch):");
    Console.WriteLine($"| {"measure",-26} | {"TorchBinding",12} | {"PyTorch",12} | {"ratio",7} |");
    Console.WriteLine($"|{new string('-', 28)}|{new string('-', 14)}|{new string('-', 14)}|{new string('-', 9)}|");
    foreach (var (name, value) in ours)
    {
        var baseline = double.Parse(theirs[name], CultureInfo.InvariantCulture);
        Console.WriteLine($"| {name,-26} | {value,12:F3} | {baseline,12:F3} | {value / baseline,7:F3} |");
    }
}

Console.WriteLine(failures.Count == 0 ? "gpu-check: all checks passed" : $"gpu-check: {failures.Count} failed: {string.Join("; ", failures)}");
return failures.Count == 0 ? 0 : 1;

double Bf16MatmulTflops()
{
    const int n = 8192;
    using var scope = NewDisposeScope();
    var x = randn(n, n, dtype: bfloat16, device: cuda);
    var w = randn(n, n, dtype: bfloat16, device: cuda);
    for (var i = 0; i < 3; i++)
        matmul(x, w).Dispose();
    torch.cuda.synchronize();
    var times = new List<double>();
    for (var i = 0; i < 10; i++)
    {
        var clock = Stopwatch.StartNew();
        using var product = matmul(x, w);
        torch.cuda.synchronize();
        times.Add(clock.Elapsed.TotalSeconds);
    }
    return 2.0 * n * n * n / Median(times) / 1e12;
}

double MlpStepMilliseconds()
{
    torch.manual_seed(0);
    using var x = randn(256, 784, device: cuda);
    using var y = randint(0, 10, [256], dtype: int64, device: cuda);
    return SecondsPerTrainingStep(nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10)), x, y, warmups: 50, steps: 500) * 1e3;
}

double TrainingImagesPerSecond(nn.Module<Tensor, Tensor> model, int batch = 100, int channels = 1, int size = 28, bool flat = true, bool bf16 = false)
{
    torch.manual_seed(0);
    using var x = rand(batch, channels, size, size, device: cuda);
    using var y = randint(0, 10, [batch], dtype: int64, device: cuda);
    return batch / SecondsPerTrainingStep(model, x, y, warmups: 20, steps: 100, flat, bf16);
}

// Adam training steps on one fixed batch, timed as the PyTorch script times them: warm-up, then the median
// over 5 blocks of steps, each ended by a device synchronisation. bf16: the model in bfloat16 (normalisation layers
// in float32) with the flat Adam's float32 master weights, inputs in bfloat16, the loss in float32.
double SecondsPerTrainingStep(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int warmups, int steps, bool flat = true, bool bf16 = false)
{
    model.to(cuda);
    if (bf16)
        MixedPrecision.ToBf16(model);
    var input = bf16 ? x.to(bfloat16) : x;
    optim.Optimizer optimizer = flat ? new FlatAdam(model.parameters(), 1e-3) : optim.Adam(model.parameters(), 1e-3);
    void Step()
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.call(input).to(float32), y).backward();
        optimizer.step();
    }
    for (var i = 0; i < warmups; i++)
        Step();
    torch.cuda.synchronize();
    var blocks = new List<double>();
    for (var r = 0; r < 5; r++)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++)
            Step();
        torch.cuda.synchronize();
        blocks.Add(clock.Elapsed.TotalSeconds / steps);
    }
    return Median(blocks);
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
