"""The course's PyTorch model definitions, with the module names of the CS909 notebooks (their state-dict keys are
what TorchBinding.Models.PyTorchNames maps to), and a hand-written safetensors reader/writer, so these scripts need
nothing beyond Debian's python3-torch (the `safetensors` module is not packaged there)."""
import json
import struct

import torch
import torch.nn as nn


class ConvNet(nn.Module):
    """cnn_mnist_pytorch.ipynb: layer1/layer2 = Sequential(Conv2d 5x5 pad 2, ReLU, MaxPool 2), fc = Linear(7*7*32, 10)."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.layer1 = nn.Sequential(nn.Conv2d(1, 16, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2, 2))
        self.layer2 = nn.Sequential(nn.Conv2d(16, 32, 5, 1, 2), nn.ReLU(), nn.MaxPool2d(2, 2))
        self.fc = nn.Linear(7 * 7 * 32, num_classes)

    def forward(self, x):
        x = self.layer2(self.layer1(x))
        return self.fc(x.reshape(x.size(0), -1))


class ResidualBlock(nn.Module):
    """resnet_mnist.ipynb's block: conv1, bn1, relu, conv2, bn2, optional downsample, added, relu."""

    def __init__(self, cin, cout, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = downsample

    def forward(self, x):
        shortcut = self.downsample(x) if self.downsample is not None else x
        y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(y + shortcut)


class ResNet(nn.Module):
    """resnet_mnist.ipynb's ResNet(ResidualBlock, [2, 2]): stem conv/bn, layer1 (16), layer2 (32, stride 2), avg_pool, fc."""

    def __init__(self, layers=(2, 2), num_classes=10):
        super().__init__()
        self.channels = 16
        self.conv = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self._stage(16, layers[0], 1)
        self.layer2 = self._stage(32, layers[1], 2)
        self.avg_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(32, num_classes)

    def _stage(self, cout, blocks, stride):
        downsample = None
        if stride != 1 or self.channels != cout:
            downsample = nn.Sequential(nn.Conv2d(self.channels, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        stage = [ResidualBlock(self.channels, cout, stride, downsample)]
        self.channels = cout
        stage += [ResidualBlock(cout, cout) for _ in range(1, blocks)]
        return nn.Sequential(*stage)

    def forward(self, x):
        x = self.layer2(self.layer1(self.relu(self.bn(self.conv(x)))))
        return self.fc(self.avg_pool(x).flatten(1))


MODELS = {"cnn": ConvNet, "resnet": ResNet}

_DTYPES = {
    "F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64,
    "I32": torch.int32, "I16": torch.int16, "I8": torch.int8, "U8": torch.uint8, "BOOL": torch.bool,
}
_NAMES = {v: k for k, v in _DTYPES.items()}


def save_safetensors(path, tensors):
    """Writes {name: tensor} as safetensors: u64 header length, JSON header, raw little-endian data."""
    header, blobs, offset = {}, [], 0
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        data = t.view(torch.uint8).numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def load_safetensors(path):
    """Reads a safetensors file into {name: tensor}."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        dtype = _DTYPES[entry["dtype"]]
        chunk = bytearray(data[begin:end])
        flat = torch.frombuffer(chunk, dtype=torch.uint8) if chunk else torch.empty(0, dtype=torch.uint8)
        tensors[name] = flat.view(dtype).reshape(entry["shape"]).clone()
    return tensors
