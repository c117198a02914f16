"""PyTorch side of scripts/gpu-check.sh: the same GPU work as benchmarks/TorchBinding.GpuCheck, timed the
same way, on the same libtorch, so the two can be compared as ratios. Prints one "name=value" per line; a value
that is not a number says why that row was not measured.

Training throughput (images/s of whole steps on one fixed batch), per workload, with Adam three ways:
  <workload>_images_per_s_default_adam        torch.optim.Adam() as a user gets it; adam_default_implementation
                                              says which implementation that is (foreach, multi-tensor kernels, on CUDA)
  <workload>_images_per_s_fused_adam          Adam(fused=True): one fused kernel, as TorchBinding's FlatAdam runs it
  <workload>_images_per_s_per_parameter_adam  Adam(foreach=False), only where the C# side times TorchSharp's own Adam
                                              (one parameter at a time) against it: the course CNN and ResNet

bf16 (resnet18_cifar_bf16): mixed precision with float32 master weights on both sides, the float32 input batch cast
to bfloat16 inside every timed step. PyTorch: float32 weights and Adam, the forward under torch.autocast(bfloat16),
which casts the input and the weights at each step. TorchBinding: MixedPrecision.ToBf16 (bfloat16 weights,
normalisation in float32), float32 master weights and Adam state in the flat optimizer, the input cast with .to(bfloat16)
in the step. Both take the loss in float32.

  python3 pytorch_baseline.py                     the GPU run (CUDA)
  python3 pytorch_baseline.py --device cpu --tiny a dry run of every code path on the CPU: tiny batches and a few steps;
                                                  its numbers mean nothing
"""
import argparse
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import torch

# Timed blocks per row and the matmul's size; --tiny shrinks them, the batches and every workload's steps.
REPEATS, MATMUL = 5, 8192
TINY_REPEATS, TINY_MATMUL, TINY_BATCH, TINY_WARMUPS, TINY_STEPS = 1, 128, 4, 1, 2
NOTES = []


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bf16_matmul_tflops(device, n, warmups=3, repeats=10):
    x = torch.randn(n, n, dtype=torch.bfloat16, device=device)
    w = torch.randn(n, n, dtype=torch.bfloat16, device=device)
    for _ in range(warmups):
        torch.matmul(x, w)
    synchronize(device)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(x, w)
        synchronize(device)
        times.append(time.perf_counter() - start)
    return 2.0 * n ** 3 / statistics.median(times) / 1e12


def seconds_per_training_step(model, optimizer, x, y, warmups, steps, repeats, bf16=False):
    """Adam steps on one fixed batch: warm-up, then the median over blocks of steps, each ended by a sync.
    bf16: the forward under torch.autocast(bfloat16) (float32 weights), which casts x inside the step."""

    def step():
        optimizer.zero_grad()
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model(x)
        torch.nn.functional.cross_entropy(logits.float(), y).backward()
        optimizer.step()

    for _ in range(warmups):
        step()
    synchronize(x.device)
    blocks = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        synchronize(x.device)
        blocks.append((time.perf_counter() - start) / steps)
    return statistics.median(blocks)


def mlp():
    """The MLP 784-500-10 of the course's first lectures."""
    return torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10))


class CourseCnn(torch.nn.Module):
    """The course's LeNet-style CNN (28,938 parameters), as TorchBinding.Models.Cnn.Course() builds it."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 5, padding=2), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(7 * 7 * 32, 10))

    def forward(self, x):
        return self.body(x)


class BasicBlock(torch.nn.Module):
    def __init__(self, inputs, channels, stride):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(inputs, channels, 3, stride, 1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(channels)
        self.conv2 = torch.nn.Conv2d(channels, channels, 3, 1, 1, bias=False)
        self.bn2 = torch.nn.BatchNorm2d(channels)
        self.shortcut = torch.nn.Identity() if stride == 1 and inputs == channels else torch.nn.Sequential(
            torch.nn.Conv2d(inputs, channels, 1, stride, bias=False), torch.nn.BatchNorm2d(channels))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + self.shortcut(x))


class CourseResNet(torch.nn.Module):
    """The course's small ResNet (42,938 parameters), as TorchBinding.Models.ResNet.Course() builds it."""

    def __init__(self):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(16), torch.nn.ReLU())
        self.blocks = torch.nn.Sequential(BasicBlock(16, 16, 1), BasicBlock(16, 16, 1), BasicBlock(16, 32, 2), BasicBlock(32, 32, 1))
        self.head = torch.nn.Linear(32, 10)

    def forward(self, x):
        return self.head(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1), 1))


def fused_attention_available():
    return hasattr(torch.nn.functional, "scaled_dot_product_attention")


class ViTBlock(torch.nn.Module):
    """A pre-norm block of the course ViT: x + attention(LN(x)), x + MLP(LN(x)); qkv without bias, scale dim ** -0.5."""

    def __init__(self, dim, heads, mlp_dim, fused):
        super().__init__()
        self.heads, self.scale, self.fused = heads, dim ** -0.5, fused
        self.norm1 = torch.nn.LayerNorm(dim)
        self.to_qkv = torch.nn.Linear(dim, 3 * dim, bias=False)
        self.to_out = torch.nn.Linear(dim, dim)
        self.norm2 = torch.nn.LayerNorm(dim)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(dim, mlp_dim), torch.nn.GELU(), torch.nn.Linear(mlp_dim, dim))

    def forward(self, x):
        b, n, d = x.shape
        # 'b n (qkv h d) -> qkv b h n d'
        q, k, v = self.to_qkv(self.norm1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        if self.fused:
            y = torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=self.scale)
        else:
            y = torch.softmax(q @ k.transpose(-2, -1) * self.scale, dim=-1) @ v
        x = x + self.to_out(y.transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm2(x))


class CourseViT(torch.nn.Module):
    """The course's MNIST ViT (213,642 parameters), as TorchBinding.Models.Transformers.VisionTransformer.Course() builds it."""

    def __init__(self, fused=True, dim=64, depth=6, heads=8, mlp_dim=128, patch=7):
        super().__init__()
        self.patch = patch
        self.pos_embedding = torch.nn.Parameter(torch.randn(1, 17, dim))
        self.patch_to_embedding = torch.nn.Linear(patch * patch, dim)
        self.cls_token = torch.nn.Parameter(torch.randn(1, 1, dim))
        self.blocks = torch.nn.Sequential(*[ViTBlock(dim, heads, mlp_dim, fused) for _ in range(depth)])
        self.mlp_head = torch.nn.Sequential(torch.nn.Linear(dim, mlp_dim), torch.nn.GELU(), torch.nn.Linear(mlp_dim, 10))

    def forward(self, img):
        b, c, h, w = img.shape
        p = self.patch
        # 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'
        x = img.view(b, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(b, (h // p) * (w // p), p * p * c)
        x = torch.cat([self.cls_token.expand(b, -1, -1), self.patch_to_embedding(x)], 1) + self.pos_embedding
        return self.mlp_head(self.blocks(x)[:, 0])


def course_vit_fused():
    if fused_attention_available():
        return CourseViT(fused=True)
    NOTES.append(f"PyTorch {torch.__version__} has no scaled_dot_product_attention: course_vit ran explicit attention")
    return CourseViT(fused=False)


class ResNet18Cifar(torch.nn.Module):
    """ResNet-18 with the CIFAR stem (3x3 conv, no max pool), 11,173,962 parameters, as TorchBinding's
    ResNet.ResNet18(classes: 10, inChannels: 3, stem: ResNetStem.Cifar) builds it."""

    def __init__(self, classes=10):
        super().__init__()
        self.stem = torch.nn.Sequential(torch.nn.Conv2d(3, 64, 3, 1, 1, bias=False), torch.nn.BatchNorm2d(64), torch.nn.ReLU())
        blocks, inputs = [], 64
        for channels, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
            blocks += [BasicBlock(inputs, channels, stride), BasicBlock(channels, channels, 1)]
            inputs = channels
        self.blocks = torch.nn.Sequential(*blocks)
        self.head = torch.nn.Linear(512, classes)

    def forward(self, x):
        return self.head(torch.flatten(torch.nn.functional.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1), 1))


@dataclass
class Workload:
    """One training-throughput row; the names and shapes are the C# side's (BaselineComparison.Workloads)."""
    name: str
    make: Callable[[], torch.nn.Module]
    batch: int
    shape: tuple
    parameters: int
    bf16: bool = False
    per_parameter: bool = False
    warmups: int = 20
    steps: int = 100


WORKLOADS = [
    Workload("mlp", mlp, 256, (784,), 397510, warmups=50, steps=500),
    Workload("course_cnn", CourseCnn, 100, (1, 28, 28), 28938, per_parameter=True),
    Workload("course_resnet", CourseResNet, 100, (1, 28, 28), 42938, per_parameter=True),
    Workload("course_vit", course_vit_fused, 64, (1, 28, 28), 213642),
    Workload("course_vit_explicit", lambda: CourseViT(fused=False), 64, (1, 28, 28), 213642),
    Workload("resnet18_cifar", ResNet18Cifar, 256, (3, 32, 32), 11173962),
    Workload("resnet18_cifar_bf16", ResNet18Cifar, 256, (3, 32, 32), 11173962, bf16=True),
]

# Adam as each row builds it: (row suffix, keyword arguments).
ADAMS = [("default_adam", {}), ("fused_adam", {"fused": True}), ("per_parameter_adam", {"foreach": False})]


def images_per_second(workload, adam_arguments, device, tiny):
    torch.manual_seed(0)
    model = workload.make().to(device)
    count = sum(p.numel() for p in model.parameters())
    assert count == workload.parameters, f"{workload.name}: {count} parameters, the C# model has {workload.parameters}"
    batch = TINY_BATCH if tiny else workload.batch
    x = torch.rand(batch, *workload.shape, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, **adam_arguments)
    warmups, steps, repeats = (TINY_WARMUPS, TINY_STEPS, TINY_REPEATS) if tiny else (workload.warmups, workload.steps, REPEATS)
    return batch / seconds_per_training_step(model, optimizer, x, y, warmups, steps, repeats, workload.bf16)


def default_adam_implementation(device):
    """Which of torch.optim.adam's implementations Adam() without foreach or fused runs here, seen by wrapping them."""
    import torch.optim.adam as adam_module
    kinds = {"_single_tensor_adam": "per-parameter", "_multi_tensor_adam": "foreach", "_fused_adam": "fused"}
    originals = {name: getattr(adam_module, name) for name in kinds if hasattr(adam_module, name)}
    called = []

    def spy(name, function):
        def wrapper(*args, **kwargs):
            called.append(kinds[name])
            return function(*args, **kwargs)
        return wrapper

    try:
        for name, function in originals.items():
            setattr(adam_module, name, spy(name, function))
        parameter = torch.nn.Parameter(torch.zeros(4, device=device))
        parameter.grad = torch.ones(4, device=device)
        torch.optim.Adam([parameter]).step()
    finally:
        for name, function in originals.items():
            setattr(adam_module, name, function)
    return called[0] if called else "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda", help="cuda (the GPU run) or cpu (with --tiny, a dry run)")
    parser.add_argument("--tiny", action="store_true", help="tiny batches and a few steps: proves the code paths, measures nothing")
    arguments = parser.parse_args()
    device = torch.device(arguments.device)

    def row(name, value):
        print(f"{name}={value}", flush=True)

    row("torch_version", torch.__version__)
    row("device", torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu")
    row("adam_default_implementation", default_adam_implementation(device))
    row("bf16_matmul_tflops", bf16_matmul_tflops(device, TINY_MATMUL if arguments.tiny else MATMUL))
    for workload in WORKLOADS:
        for suffix, adam_arguments in ADAMS:
            if suffix == "per_parameter_adam" and not workload.per_parameter:
                continue
            name = f"{workload.name}_images_per_s_{suffix}"
            if suffix == "fused_adam" and device.type != "cuda":
                # PyTorch's fused Adam is CUDA-only before 2.4; on the CPU a dry run takes it where it exists.
                try:
                    row(name, images_per_second(workload, adam_arguments, device, arguments.tiny))
                except RuntimeError as error:
                    row(name, f"not measured: fused Adam on {device.type} in PyTorch {torch.__version__}: {str(error).splitlines()[0]}")
                continue
            row(name, images_per_second(workload, adam_arguments, device, arguments.tiny))
    for index, note in enumerate(dict.fromkeys(NOTES)):
        row(f"note{index + 1}", note)


if __name__ == "__main__":
    main()
