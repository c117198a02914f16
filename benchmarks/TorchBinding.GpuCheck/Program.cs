// GPU check: run by scripts/gpu-check.sh on a machine with an NVIDIA GPU, against the CUDA libtorch of
// a PyTorch install (TORCHBINDING_LIBTORCH=python). Prints the runtime, checks autograd and a training
// run on CUDA, and measures training throughput against the same work in PyTorch (--pytorch-baseline SCRIPT).
// Exit code 0 only if every check passed (the throughput rows are information, not checks).
// --cpu-dry-run runs every code path on the CPU instead, with tiny timings (and the baseline's --device cpu --tiny), on a
// machine without a GPU: it proves the program, not a GPU, and its numbers mean nothing.
using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using TorchBinding.Data;
using TorchBinding.GpuCheck;
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
var dryRun = args.Contains("--cpu-dry-run");
if (dryRun)
{
    Console.WriteLine("gpu-check: --cpu-dry-run: every code path on the CPU, tiny timings; the numbers mean nothing");
}
else
{
    Check("CUDA available", description.CudaAvailable, description.CudaAvailable ? string.Join(", ", description.CudaDevices) : "no CUDA device");
    if (!description.CudaAvailable)
        return 1;
}
var device = Devices.Resolve(dryRun ? "cpu" : "cuda");
var where = dryRun ? "the CPU (dry run)" : "CUDA";

// The lecture's autograd example, on the GPU.
using (NewDisposeScope())
{
    var a = tensor(2.0, requires_grad: true, device: device);
    var b = tensor(1.0, requires_grad: true, device: device);
    var e = (a + b) * (b + 1);
    e.backward();
    var (ev, da, db) = (e.item<double>(), a.grad!.item<double>(), b.grad!.item<double>());
    Check($"autograd e=(a+b)(b+1) at (2,1) on {where}", (ev, da, db) == (6, 2, 5), $"e={ev} de/da={da} de/db={db} on {a.device}");
}

// A seeded MLP on the embedded digits, trained on the GPU.
{
    Seeding.SeedEverything(42);
    using var digits = Digits.Load();
    var (train, test) = DatasetSplits.TrainTest(digits, 0.2, seed: 42);
    var model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10)).to(device);
    var optimizer = optim.Adam(model.parameters(), 1e-3);
    using var batches = train.Batches(32, new BatchOptions { Seed = 42, Device = device });
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
        var accuracy = model.call(test.Inputs.to(device)).argmax(1).eq(test.Targets.to(device)).to(float64).mean().item<double>();
        Check($"digits MLP trained on {where}", accuracy >= 0.95, $"test accuracy {accuracy:F4} (bound 0.95)");
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
    gpuModel.to(device);
    cpuModel.eval();
    gpuModel.eval();
    var input = rand(4, 1, name == "U-Net" ? 64 : 28, name == "U-Net" ? 64 : 28);
    using var noGrad = no_grad();
    var difference = (cpuModel.call(input) - gpuModel.call(input.to(device)).cpu()).abs().max().item<float>();
    Check($"{name} on {where} = on CPU", difference < 1e-3, $"largest output difference {difference:E2}");
}

// Augmentation and batching stay on the device and match the CPU under the same seed.
using (NewDisposeScope())
{
    var batch = rand(8, 1, 28, 28);
    var onCpu = new TorchBinding.Data.Augmentation.Compose(new TorchBinding.Data.Augmentation.RandomCrop(2, seed: 5), new TorchBinding.Data.Augmentation.RandomRotation(10, seed: 6)).Apply(batch);
    var onGpu = new TorchBinding.Data.Augmentation.Compose(new TorchBinding.Data.Augmentation.RandomCrop(2, seed: 5), new TorchBinding.Data.Augmentation.RandomRotation(10, seed: 6)).Apply(batch.to(device));
    var difference = (onCpu - onGpu.cpu()).abs().max().item<float>();
    Check($"augmentation on {where}", onGpu.device_type == device.type && difference < 1e-4, $"output on {onGpu.device}, largest difference from the CPU {difference:E2}");
}

// Flat-buffer optimizers on CUDA: the same trajectory as TorchSharp's Adam, and gradients that stay views of the buffer.
// Both optimizers are given the same gradients (model a's, copied into b's), so that the only difference left is the
// optimizers' arithmetic: Adam turns a last-bit difference in a small gradient into a whole learning-rate step, so two
// models whose weights differed in the last bit would drift apart by ~1e-3 in 20 steps (measured on the CPU) with both
// optimizers right. The check still runs under deterministic algorithms and cuDNN (restored afterwards, before the
// timings); deterministic cuBLAS needs CUBLAS_WORKSPACE_CONFIG before CUDA starts (scripts/gpu-check.sh exports it);
// without it, nondeterministic operations only warn.
using (NewDisposeScope())
{
    var what = $"FlatAdam = TorchSharp's Adam on {where}";
    var strict = Determinism.CublasWorkspaceConfigured;
    var mode = strict ? $"deterministic algorithms and cuDNN, {Determinism.CublasWorkspaceVariable}={Environment.GetEnvironmentVariable(Determinism.CublasWorkspaceVariable)}"
        : $"deterministic cuDNN, deterministic algorithms warn-only ({Determinism.CublasWorkspaceVariable} is not set)";
    try
    {
        using var deterministic = Determinism.Enable(warnOnly: !strict);
        torch.manual_seed(3);
        var a = ResNet.Course().to(device);
        var b = ResNet.Course();
        b.load_state_dict(a.state_dict());
        b.to(device);
        var x = rand(16, 1, 28, 28, device: device);
        var y = randint(0, 10, [16], dtype: int64, device: device);
        var (perTensor, flat) = (optim.Adam(a.parameters(), 1e-3), new FlatAdam(b.parameters(), 1e-3));
        for (var i = 0; i < 20; i++)
        {
            using var step = NewDisposeScope();
            perTensor.zero_grad();
            flat.zero_grad();
            nn.functional.cross_entropy(a.call(x), y).backward();
            foreach (var (pa, pb) in a.parameters().Zip(b.parameters()))
            {
                if (pb.grad is { } gradient)
                    gradient.copy_(pa.grad!);       // b's gradients are views of its flat buffer: written in place
                else
                    pb.grad = pa.grad!.clone();     // the first step: the flat optimizer takes it into its buffer
            }
            perTensor.step();
            flat.step();
        }
        var drift = a.parameters().Zip(b.parameters()).Max(p => (p.First - p.Second).abs().max().item<float>());
        Check(what, drift < 1e-5, $"largest parameter difference after 20 steps {drift:E2} ({mode})");
        flat.zero_grad();
        nn.functional.cross_entropy(b.call(x), y).backward();
        var buffer = flat.Buffers.Single();
        var inBuffer = buffer.Gradients.abs().sum().item<float>();
        var perParameter = b.parameters().Sum(p => { using var g = p.grad!; return g.abs().sum().item<float>(); });
        buffer.Gradients.fill_(0.5f);
        var views = b.parameters().All(p => { using var g = p.grad!; return g.eq(0.5f).all().item<bool>(); });
        Check($"gradients accumulate into the flat buffer on {where}", views && Math.Abs(inBuffer - perParameter) <= 1e-3 * perParameter,
            $"buffer holds {inBuffer:G6}, the parameters' gradients {perParameter:G6}; every gradient a view: {views}");
    }
    catch (Exception e) when (e is not OutOfMemoryException)
    {
        Check(what, false, $"failed under {mode}: {e.Message.Split('\n')[0]}");
    }
}

// Throughput, timed exactly as scripts/gpu/pytorch_baseline.py times the same work in PyTorch (BaselineComparison.Workloads).
// TorchBinding trains with its default Adam (Optim.Adam: FlatAdam, on libtorch's fused kernel); the course CNN and ResNet
// also with TorchSharp's own Adam, against PyTorch's per-parameter Adam.
var models = BaselineComparison.Workloads.Select(w => (w.Name, Count: ParameterCount(w.Name), w.Parameters)).ToList();
Check("benchmark models are the baseline's", models.All(m => m.Count == m.Parameters),
    string.Join(", ", models.Select(m => m.Count == m.Parameters ? $"{m.Name} {m.Count}" : $"{m.Name} {m.Count} (the baseline's has {m.Parameters})")));
var matmulSize = dryRun ? 128 : 8192;
var matmulTflops = Bf16MatmulTflops(matmulSize);
Check("bf16 matmul runs", dryRun || matmulTflops > 1, $"{matmulTflops:F0} TFLOP/s ({matmulSize}^3, median of 10)");
var flatAdam = new Dictionary<string, double>();
var torchSharpAdam = new Dictionary<string, double>();
foreach (var workload in BaselineComparison.Workloads)
{
    flatAdam[workload.Name] = ImagesPerSecond(workload, flat: true);
    if (workload.TorchSharpAdam)
        torchSharpAdam[workload.Name] = ImagesPerSecond(workload, flat: false);
    Console.WriteLine($"training {workload.Label}: {flatAdam[workload.Name]:N0} images/s"
        + (workload.TorchSharpAdam ? $" ({torchSharpAdam[workload.Name]:N0} with TorchSharp's Adam)" : "")
        + (dryRun ? " (dry run)" : $" (median of 5 x {workload.Steps} steps)"));
}
Console.WriteLine($"the course ViT's fused attention on CUDA: {ScaledDotProductAttention.Fastest(DeviceType.CUDA)}");

var baselineScript = args.SkipWhile(a => a != "--pytorch-baseline").Skip(1).FirstOrDefault();
if (baselineScript is not null)
{
    var baseline = RunBaseline(baselineScript, dryRun ? ["--device", "cpu", "--tiny"] : []);
    Check("PyTorch baseline ran", baseline.Failure is null, baseline.Failure ?? $"{baselineScript} printed every row");
    Console.WriteLine();
    var ourAdam = FlatAdam.FusedKernelAvailable ? "FlatAdam on libtorch's fused kernel" : "FlatAdam by tensor operations: this libtorch did not compile the fused kernel";
    foreach (var line in BaselineComparison.Table(ourAdam, flatAdam, torchSharpAdam, matmulTflops, baseline))
        Console.WriteLine(line);
}

Console.WriteLine(failures.Count == 0 ? "gpu-check: all checks passed" : $"gpu-check: {failures.Count} failed: {string.Join("; ", failures)}");
return failures.Count == 0 ? 0 : 1;

double Bf16MatmulTflops(int n)
{
    using var scope = NewDisposeScope();
    var x = randn(n, n, dtype: bfloat16, device: device);
    var w = randn(n, n, dtype: bfloat16, device: device);
    for (var i = 0; i < 3; i++)
        matmul(x, w).Dispose();
    Synchronize();
    var times = new List<double>();
    for (var i = 0; i < 10; i++)
    {
        var clock = Stopwatch.StartNew();
        using var product = matmul(x, w);
        Synchronize();
        times.Add(clock.Elapsed.TotalSeconds);
    }
    return 2.0 * n * n * n / Median(times) / 1e12;
}

// The PyTorch side, run with TORCHBINDING_PYTHON (or python3): a failure (it cannot start, exits non-zero, or misses rows)
// is one line naming the script, its exit code and the end of its standard error, and its rows are marked not measured.
static BaselineOutput RunBaseline(string script, string[] arguments)
{
    var python = Environment.GetEnvironmentVariable(RuntimeOptions.PythonVariable) ?? "python3";
    var start = new ProcessStartInfo(python, [script, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
    try
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Process.Start returned no process");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return BaselineComparison.Parse(script, process.ExitCode, output.Result, error.Result);
    }
    catch (Exception e) when (e is Win32Exception or InvalidOperationException)
    {
        return BaselineOutput.None($"{script} could not be started with {python}: {e.Message} (set {RuntimeOptions.PythonVariable} to a Python with torch)");
    }
}

nn.Module<Tensor, Tensor> MakeModel(string name) => name switch
{
    "mlp" => nn.Sequential(nn.Linear(784, 500), nn.ReLU(), nn.Linear(500, 10)),
    "course_cnn" => Cnn.Course(),
    "course_resnet" => ResNet.Course(),
    "course_vit" => VisionTransformer.Course(),     // attention as the default picks it on CUDA (fused)
    "course_vit_explicit" => VisionTransformer.Course(AttentionImplementation.Explicit),
    "resnet18_cifar" or "resnet18_cifar_bf16" => ResNet.ResNet18(classes: 10, inChannels: 3, stem: ResNetStem.Cifar),
    _ => throw new ArgumentException($"no model for the workload {name}", nameof(name)),
};

long ParameterCount(string name)
{
    using var model = MakeModel(name);
    return model.parameters().Sum(p => p.numel());
}

double ImagesPerSecond(Workload workload, bool flat)
{
    torch.manual_seed(0);
    using var model = MakeModel(workload.Name);
    var batch = dryRun ? 4 : workload.Batch;
    using var x = rand([batch, .. workload.Shape], device: device);
    using var y = randint(0, 10, [batch], dtype: int64, device: device);
    var (warmups, steps, repeats) = dryRun ? (1, 2, 1) : (workload.Warmups, workload.Steps, 5);
    return batch / SecondsPerTrainingStep(model, x, y, warmups, steps, repeats, flat, workload.Bf16);
}

// Adam training steps on one fixed batch, timed as the PyTorch script times them: warm-up, then the median over blocks
// of steps (5), each ended by a device synchronisation. bf16 (BaselineComparison.Bf16Protocol): the model in bfloat16
// (normalisation layers in float32) with the flat Adam's float32 master weights; the float32 batch is cast to bfloat16
// inside every step, as the trainer casts each batch and as PyTorch's autocast casts it; the loss in float32.
double SecondsPerTrainingStep(nn.Module<Tensor, Tensor> model, Tensor x, Tensor y, int warmups, int steps, int repeats, bool flat, bool bf16)
{
    model.to(device);
    if (bf16)
        MixedPrecision.ToBf16(model);
    using optim.Optimizer optimizer = flat ? new FlatAdam(model.parameters(), 1e-3) : optim.Adam(model.parameters(), 1e-3);
    void Step()
    {
        using var scope = NewDisposeScope();
        optimizer.zero_grad();
        nn.functional.cross_entropy(model.call(bf16 ? x.to(bfloat16) : x).to(float32), y).backward();
        optimizer.step();
    }
    for (var i = 0; i < warmups; i++)
        Step();
    Synchronize();
    var blocks = new List<double>();
    for (var r = 0; r < repeats; r++)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < steps; i++)
            Step();
        Synchronize();
        blocks.Add(clock.Elapsed.TotalSeconds / steps);
    }
    return Median(blocks);
}

void Synchronize()
{
    if (device.type == DeviceType.CUDA)
        torch.cuda.synchronize();
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
}
