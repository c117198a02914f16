#!/usr/bin/env bash
# GPU check: the CUDA smoke test and GPU benchmarks of TorchBinding, run against the CUDA libtorch of
# an existing PyTorch install (no TorchSharp CUDA package exists for Linux).
#
#   scripts/gpu-check.sh              build here, then run here (a machine with .NET, an NVIDIA GPU and PyTorch)
#   scripts/gpu-check.sh --build-only publish the self-contained app to artifacts/gpu-check (needs .NET, no GPU)
#   scripts/gpu-check.sh --run-only   run the published app (needs the GPU and PyTorch, not .NET)
#
# The app is self-contained linux-x64 and carries no libtorch (-p:TorchBindingLibTorch=external), so it
# can be copied (about 30 MB) to a GPU machine that has no .NET SDK. There it runs on
# TORCHBINDING_LIBTORCH (default "python": the torch package of $TORCHBINDING_PYTHON or python3), then
# runs scripts/gpu/pytorch_baseline.py for the same work in PyTorch and prints the ratios: TorchBinding's default
# (flat, fused) Adam against PyTorch's default Adam (foreach on CUDA) and against Adam(fused=True); bf16 as mixed
# precision with float32 master weights on both sides, the input cast inside every timed step.
#
# CUBLAS_WORKSPACE_CONFIG (default :4096:8) makes cuBLAS deterministic for the FlatAdam-equals-TorchSharp check, which
# runs under deterministic algorithms; cuBLAS reads it once, when CUDA starts, so it is set here, before the app starts.
# The PyTorch baseline inherits it, so both sides are timed with the same cuBLAS workspaces.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
app="$root/artifacts/gpu-check"
mode=${1:-all}

build() {
  echo "gpu-check: publishing the self-contained GPU app to $app"
  rm -rf "$app"
  dotnet publish "$root/benchmarks/TorchBinding.GpuCheck" -c Release -r linux-x64 --self-contained \
    -p:TorchBindingLibTorch=external -p:PublishTrimmed=true -p:TrimMode=partial -o "$app" -v quiet -nologo
  echo "gpu-check: $(du -sh "$app" | cut -f1) in $app"
}

run() {
  [ -x "$app/TorchBinding.GpuCheck" ] || { echo "gpu-check: $app/TorchBinding.GpuCheck is missing; run with --build-only first" >&2; exit 2; }
  command -v nvidia-smi >/dev/null && nvidia-smi -L || echo "gpu-check: nvidia-smi not found"
  export TORCHBINDING_LIBTORCH=${TORCHBINDING_LIBTORCH:-python}
  export TORCHBINDING_VERBOSE=${TORCHBINDING_VERBOSE:-1}
  export CUBLAS_WORKSPACE_CONFIG=${CUBLAS_WORKSPACE_CONFIG:-:4096:8}
  "$app/TorchBinding.GpuCheck" --pytorch-baseline "$root/scripts/gpu/pytorch_baseline.py"
}

case "$mode" in
  --build-only) build ;;
  --run-only) run ;;
  all) build; run ;;
  *) echo "usage: $0 [--build-only | --run-only]" >&2; exit 2 ;;
esac
