"""PyTorch side of scripts/gpu-check.sh: the same GPU work as tests/TorchBinding.GpuCheck, timed the
same way, on the same libtorch, so the two can be compared as ratios. Prints one "name=value" per line."""
import statistics
import time

import torch


def bf16_matmul_tflops(n=8192, warmups=3, repeats=10):
    x = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    w = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    for _ in range(warmups):
        torch.matmul(x, w)
    torch.cuda.synchronize()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        torch.matmul(x, w)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return 2.0 * n ** 3 / statistics.median(times) / 1e12


def seconds_per_training_step(model, x, y, warmups, steps, repeats=5, foreach=None):
    """Adam steps on one fixed batch: warm-up, then the median over blocks of steps, each ended by a sync."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=foreach)

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(warmups):
        step()
    torch.cuda.synchronize()
    blocks = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        blocks.append((time.perf_counter() - start) / steps)
    return statistics.median(blocks)


def mlp_step_ms(batch=256):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10)).cuda()
    x = torch.randn(batch, 784, device="cuda")
    y = torch.randint(0, 10, (batch,), device="cuda")
    return seconds_per_training_step(model, x, y, warmups=50, steps=500) * 1e3


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


def training_images_per_second(model, batch=100, foreach=None):
    torch.manual_seed(0)
    x = torch.rand(batch, 1, 28, 28, device="cuda")
    y = torch.randint(0, 10, (batch,), device="cuda")
    return batch / seconds_per_training_step(model.cuda(), x, y, warmups=20, steps=100, foreach=foreach)


if __name__ == "__main__":
    print(f"torch_version={torch.__version__}")
    print(f"device={torch.cuda.get_device_name(0)}")
    print(f"bf16_matmul_tflops={bf16_matmul_tflops()}")
    print(f"mlp_step_ms={mlp_step_ms()}")
    assert sum(p.numel() for p in CourseCnn().parameters()) == 28938
    assert sum(p.numel() for p in CourseResNet().parameters()) == 42938
    print(f"course_cnn_images_per_s={training_images_per_second(CourseCnn())}")
    print(f"course_resnet_images_per_s={training_images_per_second(CourseResNet())}")
    # PyTorch's CUDA Adam updates all parameters with multi-tensor kernels (foreach); TorchSharp's Adam
    # updates one parameter at a time. The per-parameter variant isolates that difference.
    print(f"course_cnn_images_per_s_per_parameter_adam={training_images_per_second(CourseCnn(), foreach=False)}")
    print(f"course_resnet_images_per_s_per_parameter_adam={training_images_per_second(CourseResNet(), foreach=False)}")
