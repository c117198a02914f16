#!/usr/bin/env bash
# Runs the benchmark app in Release and prints its table of ratios (also written to runs/bench/results.md).
#   scripts/bench.sh [--quick] [--threads N] [case ...]
#   scripts/bench.sh pytorch-cpu   the course CNN, ResNet and ViT against Debian's python3-torch, alternating, at N threads
#                                  (default: all cores): images/s, ratios and per-phase times -> runs/bench/pytorch_cpu.json;
#                                  skipped, saying why, without a Python that imports torch (TORCHBINDING_PYTHON names one)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet build benchmarks/TorchBinding.Benchmarks -c Release -v quiet -nologo
dotnet run -c Release --no-build --project benchmarks/TorchBinding.Benchmarks -- "$@"
