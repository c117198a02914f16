"""The PyTorch side of `scripts/bench.sh pytorch-cpu`: a worker that trains the course models on command, so that the
benchmark app (which starts it) can alternate blocks of PyTorch steps with blocks of its own in one run.

    python3 bench_worker.py --threads N [--batch 100] [--samples 2000]

Reads one command per line on stdin and answers one JSON line on stdout:
    info                   versions, threads, oneDNN
    train MODEL STEPS      STEPS training steps (a block), answers {"ms_per_step": ...}
    phases MODEL STEPS     STEPS steps timed by phase, answers {"forward_ms", "backward_ms", "optimizer_ms"} per step
    quit
MODEL is cnn, resnet or vit. A step is the usual PyTorch loop: forward, cross-entropy, zero_grad, backward,
torch.optim.Adam(lr=1e-3) with its defaults (in 1.13 that is the per-tensor for-loop: foreach is off unless asked),
and loss.item(), on batches drawn by index from an in-memory set of random 28x28 images (reshuffled every epoch).
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from course_models import ConvNet, ResNet  # noqa: E402


class Attention(nn.Module):
    """The course ViT's attention: to_qkv (no bias), 8 heads, scores scaled by dim ** -0.5 (the model dimension), to_out."""

    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.scale = dim ** -0.5
        self.to_qkv = nn.Linear(dim, dim * 3, bias=False)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x):
        b, n, d = x.shape
        # 'b n (qkv h d) -> qkv b h n d'
        q, k, v = self.to_qkv(x).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        attn = (torch.matmul(q, k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        # 'b h n d -> b n (h d)'
        return self.to_out(torch.matmul(attn, v).transpose(1, 2).reshape(b, n, d))


class Block(nn.Module):
    """Pre-norm block: x + attn(norm1(x)), then x + mlp(norm2(x)), MLP dim -> mlp_dim -> GELU -> dim."""

    def __init__(self, dim, heads, mlp_dim):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, dim))

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class ViT(nn.Module):
    """The course MNIST ViT as TorchBinding's VisionTransformer.Course() builds it: 7x7 patches flattened (p1 p2 c),
    Linear 49 -> 64, class token, position embedding 17 x 64, 6 blocks (8 heads, MLP 128), head 64 -> 128 -> GELU -> 10:
    213,642 parameters."""

    def __init__(self, image=28, patch=7, channels=1, classes=10, dim=64, depth=6, heads=8, mlp_dim=128):
        super().__init__()
        self.patch = patch
        patches = (image // patch) ** 2
        self.pos_embedding = nn.Parameter(torch.randn(1, patches + 1, dim))
        self.patch_to_embedding = nn.Linear(patch * patch * channels, dim)
        self.cls_token = nn.Parameter(torch.randn(1, 1, dim))
        self.transformer = nn.ModuleList([Block(dim, heads, mlp_dim) for _ in range(depth)])
        self.mlp_head = nn.Sequential(nn.Linear(dim, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, classes))

    def forward(self, img):
        n, c, h, w = img.shape
        p = self.patch
        # 'b c (h p1) (w p2) -> b (h w) (p1 p2 c)'
        x = img.view(n, c, h // p, p, w // p, p).permute(0, 2, 4, 3, 5, 1).reshape(n, (h // p) * (w // p), p * p * c)
        x = self.patch_to_embedding(x)
        x = torch.cat([self.cls_token.expand(n, -1, -1), x], dim=1) + self.pos_embedding
        for block in self.transformer:
            x = block(x)
        return self.mlp_head(x[:, 0])


MODELS = {"cnn": ConvNet, "resnet": ResNet, "vit": ViT}


class Run:
    """One model, its Adam, its data, and where the current epoch is."""

    def __init__(self, name, batch, samples):
        torch.manual_seed(0)
        self.model = MODELS[name]()
        self.model.train()
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        generator = torch.Generator().manual_seed(1)
        self.x = torch.rand(samples, 1, 28, 28, generator=generator)
        self.y = torch.randint(0, 10, (samples,), generator=generator)
        self.batch = batch
        self.order = None
        self.position = 0
        self.generator = torch.Generator().manual_seed(2)

    def next_batch(self):
        if self.order is None or self.position + self.batch > len(self.order):
            self.order = torch.randperm(len(self.x), generator=self.generator)
            self.position = 0
        index = self.order[self.position:self.position + self.batch]
        self.position += self.batch
        return self.x.index_select(0, index), self.y.index_select(0, index)

    def train(self, steps):
        start = time.perf_counter()
        for _ in range(steps):
            x, y = self.next_batch()
            loss = F.cross_entropy(self.model(x), y)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            loss.item()
        return {"ms_per_step": (time.perf_counter() - start) * 1e3 / steps}

    def phases(self, steps):
        forward = backward = optimizer = 0.0
        for _ in range(steps):
            x, y = self.next_batch()
            t0 = time.perf_counter()
            loss = F.cross_entropy(self.model(x), y)
            loss.item()
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            self.optimizer.step()
            self.optimizer.zero_grad()
            t3 = time.perf_counter()
            forward, backward, optimizer = forward + t1 - t0, backward + t2 - t1, optimizer + t3 - t2
        return {"forward_ms": forward * 1e3 / steps, "backward_ms": backward * 1e3 / steps, "optimizer_ms": optimizer * 1e3 / steps}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    runs = {}
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            if words[0] == "info":
                answer = {
                    "torch_version": torch.__version__, "threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available(),
                    "cpu_capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else "unknown",
                    "parameters": {name: sum(p.numel() for p in make().parameters()) for name, make in MODELS.items()},
                    "optimizer": "torch.optim.Adam(lr=1e-3), defaults (foreach off in 1.13: one tensor at a time)",
                }
            elif words[0] in ("train", "phases") and len(words) == 3 and words[1] in MODELS:
                run = runs.get(words[1]) or runs.setdefault(words[1], Run(words[1], args.batch, args.samples))
                steps = int(words[2])
                answer = run.train(steps) if words[0] == "train" else run.phases(steps)
                if not all(math.isfinite(v) for v in answer.values()):
                    raise ValueError(f"non-finite timing {answer}")
            else:
                answer = {"error": f"unknown command: {line.strip()}"}
        except Exception as e:  # the benchmark app reports it
            answer = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
