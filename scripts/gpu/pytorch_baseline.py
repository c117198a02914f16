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


def mlp_step_ms(batch=256, warmups=50, steps=500, repeats=5):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 10)).cuda()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(batch, 784, device="cuda")
    y = torch.randint(0, 10, (batch,), device="cuda")

    def step():
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(warmups):
        step()
    torch.cuda.synchronize()
    results = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        results.append((time.perf_counter() - start) / steps * 1e3)
    return statistics.median(results)


if __name__ == "__main__":
    print(f"torch_version={torch.__version__}")
    print(f"device={torch.cuda.get_device_name(0)}")
    print(f"bf16_matmul_tflops={bf16_matmul_tflops()}")
    print(f"mlp_step_ms={mlp_step_ms()}")
