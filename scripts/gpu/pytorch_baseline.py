"""PyTorch side of scripts/gpu-check.sh: the same GPU work as benchmarks/TorchBinding.GpuCheck, timed the
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


def seconds_per_training_step(model, x, y, warmups, steps, repeats=5, foreach=None, autocast=False):
    """Adam steps on one fixed batch: warm-up, then the median over blocks of steps, each ended by a sync.
    autocast: forward in bf16 under torch.autocast (fp32 weights), PyTorch's mixed precision."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, foreach=foreach)

    def step():
        optimizer.zero_grad()
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
            logits = model(x)
        torch.nn.functional.cross_entropy(logits.float(), y).backward()
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


def training_images_per_second(model, batch=100, foreach=None, channels=1, size=28, autocast=False):
    torch.manual_seed(0)
    x = torch.rand(batch, channels, size, size, device="cuda")
    y = torch.randint(0, 10, (batch,), device="cuda")
    return batch / seconds_per_training_step(model.cuda(), x, y, warmups=20, steps=100, foreach=foreach, autocast=autocast)


if __name__ == "__main__":
    print(f"torch_version={torch.__version__}")
    print(f"device={torch.cuda.get_device_name(0)}")
    print(f"bf16_matmul_tflops={bf16_matmul_tflops()}")
    print(f"mlp_step_ms={mlp_step_ms()}")
    assert sum(p.numel() for p in CourseCnn().parameters()) == 28938
    assert sum(p.numel() for p in CourseResNet().parameters()) == 42938
    print(f"course_cnn_images_per_s={training_images_per_second(CourseCnn())}")
    print(f"course_resnet_images_per_s={training_images_per_second(CourseResNet())}")
    assert sum(p.numel() for p in CourseViT().parameters()) == 213642
    print(f"course_vit_images_per_s={training_images_per_second(CourseViT(fused=True), batch=64)}")
    print(f"course_vit_explicit_images_per_s={training_images_per_second(CourseViT(fused=False), batch=64)}")
    # PyTorch's CUDA Adam updates all parameters with multi-tensor kernels (foreach); TorchSharp's Adam
    # updates one parameter at a time. The per-parameter variant isolates that difference.
    print(f"course_cnn_images_per_s_per_parameter_adam={training_images_per_second(CourseCnn(), foreach=False)}")
    print(f"course_resnet_images_per_s_per_parameter_adam={training_images_per_second(CourseResNet(), foreach=False)}")
    assert sum(p.numel() for p in ResNet18Cifar().parameters()) == 11173962
    print(f"resnet18_cifar_images_per_s={training_images_per_second(ResNet18Cifar(), batch=256, channels=3, size=32)}")
    print(f"resnet18_cifar_bf16_images_per_s={training_images_per_second(ResNet18Cifar(), batch=256, channels=3, size=32, autocast=True)}")
