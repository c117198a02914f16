"""Writes the PyTorch fixtures of TorchBinding's weight tests (tests/TorchBinding.Models.Tests/Fixtures/pytorch):
the course CNN of cnn_mnist_pytorch.ipynb, trained by PyTorch for one epoch on the first 3000 MNIST training images
(Adam 1e-3, batch 100, seed 0), saved as torch.save(model.state_dict()) (.pt) and as safetensors, plus 10 MNIST test
images, their labels and the model's logits in eval mode. Run with Debian's python3-torch:
    /usr/bin/python3 scripts/pytorch/make_weight_fixtures.py [OUT_DIR]
MNIST is read from TorchBinding's cache (scripts/fetch-data.sh puts it there)."""
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from course_models import ConvNet, save_safetensors  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def mnist(name):
    cache = os.environ.get("TORCHBINDING_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "torchbinding")
    folder = os.path.join(cache, "datasets", "mnist")
    for candidate in (os.path.join(folder, name), os.path.join(folder, name + ".gz")):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as f:
                raw = f.read()
            dims = raw[3]
            shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
            return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)
    sys.exit(f"MNIST {name} not found in {folder}: run scripts/fetch-data.sh first")


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "tests", "TorchBinding.Models.Tests", "Fixtures", "pytorch")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    images = torch.tensor(mnist("train-images-idx3-ubyte")[:3000], dtype=torch.float32).unsqueeze(1) / 255
    labels = torch.tensor(mnist("train-labels-idx1-ubyte")[:3000], dtype=torch.int64)
    model = ConvNet()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    order = torch.randperm(len(images))
    for start in range(0, len(images), 100):
        batch = order[start:start + 100]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[batch]), labels[batch])
        loss.backward()
        optimizer.step()
    model.eval()
    test_images = torch.tensor(mnist("t10k-images-idx3-ubyte")[:10], dtype=torch.float32).unsqueeze(1) / 255
    test_labels = torch.tensor(mnist("t10k-labels-idx1-ubyte")[:10], dtype=torch.int64)
    with torch.no_grad():
        logits = model(test_images)
    state = model.state_dict()
    torch.save(state, os.path.join(out, "course_cnn.pt"))
    save_safetensors(os.path.join(out, "course_cnn.safetensors"), state)
    save_safetensors(os.path.join(out, "course_cnn_io.safetensors"), {"inputs": test_images, "labels": test_labels, "logits": logits})
    correct = int((logits.argmax(1) == test_labels).sum())
    print(f"torch {torch.__version__}: last batch loss {loss.item():.4f}; {correct}/10 of the test images right; keys {list(state)}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
