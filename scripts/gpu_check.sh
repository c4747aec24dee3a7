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
# Rank 0 of 2 alone (a bootstrap that claims a world of two; one GPU cannot hold two NCCL ranks): NCCL's init
# waits for rank 1 forever unless it is aborted after comm.failure_timeout_s (3 s in the test), and the error
# must name the init. Bounded here, so that a hang shows as a failure and not as a script that never returns.
echo "gpu_check: rank 0 of 2 alone must end its NCCL init within the failure timeout"
rc=0
timeout -k 10 120 "$build/cagcl_gpu_check" --gtest_filter='NcclCommunicator.RankZeroOfTwoAlone*' || rc=$?
if [ "$rc" -ne 0 ]; then
  echo "gpu_check: FAILED: rank 0 of 2 alone (exit $rc; 124 or 137: still in ncclCommInitRank after 120 s)" >&2
  exit 1
fi
timeout -k 10 900 "$build/cagcl_gpu_check" "$@"
