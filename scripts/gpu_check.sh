#!/usr/bin/env bash
# GPU check (not CI): builds the NCCL communicator and its tests against the Python environment's LibTorch
# with CUDA, then runs them on the visible GPU. Usage: scripts/gpu_check.sh [gtest flags]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${CAGCL_GPU_BUILD_DIR:-/tmp/cagcl-gpu-check}"
torch_dir=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "share/cmake/Torch"))')
nccl_root=$(python3 -c 'import os, nvidia.nccl as n; print(os.path.dirname(n.__file__) if n.__file__ else list(n.__path__)[0])' 2>/dev/null || true)
echo "gpu_check: Torch_DIR=$torch_dir NCCL_ROOT=${nccl_root:-system}"
cmake -S "$root/tests/gpu" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$torch_dir" \
  ${nccl_root:+-DNCCL_ROOT="$nccl_root"} >/dev/null
cmake --build "$build" -j "$(nproc)"
"$build/cagcl_gpu_check" "$@"
