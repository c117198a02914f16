#!/usr/bin/env bash
# Runs the benchmark app in Release and prints its table of ratios (also written to runs/bench/results.md).
#   scripts/bench.sh [--quick] [case ...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
dotnet build benchmarks/TorchBinding.Benchmarks -c Release -v quiet -nologo
dotnet run -c Release --no-build --project benchmarks/TorchBinding.Benchmarks -- "$@"
