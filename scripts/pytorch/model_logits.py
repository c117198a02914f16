"""Loads weights written by TorchBinding into the course's PyTorch model and writes its eval-mode logits, for
TorchBinding's tests of weights going out to PyTorch:
    /usr/bin/python3 scripts/pytorch/model_logits.py cnn|resnet WEIGHTS(.pt|.safetensors) INPUTS.safetensors OUT.safetensors
INPUTS holds a tensor "inputs"; OUT gets "logits". load_state_dict is strict: every key and shape must match."""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from course_models import MODELS, load_safetensors, save_safetensors  # noqa: E402


def main():
    kind, weights, inputs, out = sys.argv[1:5]
    torch.set_num_threads(1)
    model = MODELS[kind]()
    state = load_safetensors(weights) if weights.endswith(".safetensors") else torch.load(weights)
    model.load_state_dict(state, strict=True)
    model.eval()
    with torch.no_grad():
        logits = model(load_safetensors(inputs)["inputs"])
    save_safetensors(out, {"logits": logits})
    print(f"{kind}: loaded {len(state)} tensors from {weights}; logits {list(logits.shape)}")


if __name__ == "__main__":
    main()
