#!/usr/bin/env bash
# GPU check (not CI; docs/gpu.md): builds the whole project against the GPU machine's pip torch and CUDA, then
# runs the GPU tests, the single-rank NCCL tests, the HF round trip and bench/train beside PyTorch eager.
#
#   scripts/gpu_check.sh pack [DIR]     on a Debian 12 machine set up by scripts/setup.sh: writes DIR (default
#                                       .gpu_carry) with sysroot.tar.xz, the headers, libraries, CMake files and
#                                       tools of the Debian packages the build needs beyond LibTorch and CUDA
#                                       (spdlog, fmt, yaml-cpp, nlohmann-json, CLI11, HDF5, prometheus-cpp, Open MPI,
#                                       GoogleTest, NIfTI, LZ4, libzip, OpenSSL, zlib, pkg-config) and the shared
#                                       libraries they load, for a machine that has pip torch but no apt.
#   scripts/gpu_check.sh run [DIR]      on the GPU machine: unpacks DIR/sysroot.tar.xz (when DIR is given), builds
#                                       and runs the stages below; CAGCL_GPU_BUILD_DIR (default /tmp/cagcl-gpu)
#                                       is the build folder, CAGCL_GPU_STAGES (default "build tests nccl hf bench")
#                                       picks stages, so that a build and its runs can go in separate calls.
#
# The carried libraries are Debian 12's, built with the new C++ ABI (_GLIBCXX_USE_CXX11_ABI=1): pip torch must be
# 2.7 or later (configure refuses older pip torch, cmake/CagclCxxAbi.cmake). They need glibc 2.36 or later.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# ---- pack (Debian 12) ----
# Debian packages whose headers, CMake/pkg-config files and libraries the build uses (civetweb: its CMake targets
# name the server binary; curl: prometheus-cpp's CMake files look for it), and the shared libraries they load,
# found with ldd.
dev_packages=(libspdlog-dev libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libhdf5-dev
  prometheus-cpp-dev libcivetweb-dev civetweb libcurl4-openssl-dev libopenmpi-dev openmpi-bin openmpi-common
  libgtest-dev libnifti2-dev libniftiio-dev libznz-dev liblz4-dev libzip-dev libssl-dev zlib1g-dev pkgconf
  libpkgconf3)
# Present on any glibc system: never carried (a second libc or libstdc++ beside the machine's would break it).
base_packages="libc6 libgcc-s1 libstdc++6 libcrypt1 libzstd1 liblzma5 libbz2-1.0"

# The package owning a file; Debian 12's merged /usr lists some files under /lib only.
owner_of() {
  local f=$1
  { dpkg -S "$f" 2>/dev/null || dpkg -S "${f#/usr}" 2>/dev/null || true; } | head -n1 | cut -d: -f1
}

pack() {
  local out=${1:-$root/.gpu_carry}
  command -v dpkg >/dev/null || { echo "gpu_check pack: needs dpkg (a Debian 12 machine)" >&2; exit 2; }
  local staging
  staging=$(mktemp -d)
  trap 'rm -rf "$staging"' RETURN
  declare -A packages=() owners=()
  for p in "${dev_packages[@]}"; do
    dpkg-query -W "$p" >/dev/null 2>&1 || { echo "gpu_check pack: $p is not installed (scripts/setup.sh)" >&2; exit 2; }
    packages[$p]=1
  done
  # The closure over the shared libraries the packages' libraries and tools load.
  local queue=("${!packages[@]}") p f dep owner
  while [ ${#queue[@]} -gt 0 ]; do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    while IFS= read -r f; do
      [ -f "$f" ] || continue
      case "$f" in *.so* | */bin/*) ;; *) continue ;; esac
      # A -dev package's libfoo.so is a link into the runtime package: the target and its package come along.
      f=$(readlink -f "$f")
      while IFS= read -r dep; do
        if [ -z "${owners[$dep]+set}" ]; then  # dpkg -S is slow: once per library
          owner=$(owner_of "$(readlink -f "$dep")")
          [ -n "$owner" ] || owner=$(owner_of "$dep")
          owners[$dep]=$owner
        fi
        owner=${owners[$dep]}
        [ -n "$owner" ] || continue
        case " $base_packages " in *" $owner "*) continue ;; esac
        if [ -z "${packages[$owner]:-}" ]; then
          packages[$owner]=1
          queue+=("$owner")
        fi
      done < <({ echo "$f"; ldd "$f" 2>/dev/null | awk '/=> \//{print $3}'; } | grep '\.so')
    done < <(dpkg -L "$p" 2>/dev/null)
  done
  # Files only: documentation, manuals and static libraries with a shared twin stay behind (size).
  local list="$staging/files"
  for p in "${!packages[@]}"; do dpkg -L "$p"; done | sort -u | while IFS= read -r f; do
    [ -f "$f" ] || [ -L "$f" ] || continue
    [ -L "$f" ] && [ -d "$f" ] && continue  # merged /usr: /lib is a link to usr/lib
    # Merged /usr: dpkg lists some libraries under /lib, which is usr/lib on the machine that unpacks them too.
    case "$f" in /lib/* | /lib64/* | /bin/* | /sbin/*) [ -e "/usr$f" ] && f=/usr$f ;; esac
    case "$f" in
      /usr/share/doc/* | /usr/share/man/* | /usr/share/lintian/* | /usr/share/info/*) continue ;;
      *.a) [ -e "${f%.a}.so" ] && continue ;;
    esac
    echo "${f#/}"
  done >"$list"
  mkdir -p "$out"
  tar -C / -cJf "$out/sysroot.tar.xz" -T "$list"
  printf '%s\n' "${!packages[@]}" | sort >"$out/packages.txt"
  echo "gpu_check pack: $(wc -l <"$list") files of $(wc -l <"$out/packages.txt") packages," \
    "$(du -h "$out/sysroot.tar.xz" | cut -f1) in $out/sysroot.tar.xz"
}

# ---- run (the GPU machine) ----
stage_failed=()
run_stage() {  # name, command...: runs it in a subshell that stops at its first failure, notes it, goes on
  local name=$1 rc=0
  shift
  echo "==== gpu_check: $name"
  set +e
  (
    set -e
    "$@"
  )
  rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then echo "==== gpu_check: $name: ok"; else
    echo "==== gpu_check: $name: FAILED (exit $rc)" >&2
    stage_failed+=("$name")
  fi
}
wants() { case " ${CAGCL_GPU_STAGES:-build tests nccl hf bench} " in *" $1 "*) return 0 ;; esac; return 1; }

configure_and_build() {
  local cmake_args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DTorch_DIR="$torch_dir" -DCAGCL_USE_CCACHE=OFF
    -DCAGCL_WITH_NCCL=ON)
  if [ -n "$sys" ]; then
    local lib=$sys/usr/lib/x86_64-linux-gnu
    cmake_args+=(-DCMAKE_PREFIX_PATH="$sys/usr;$lib/cmake"
      # FindHDF5 would ask Debian's h5cc, whose paths are absolute: name the serial HDF5 directly.
      -DHDF5_C_COMPILER_EXECUTABLE=/nonexistent -DHDF5_C_INCLUDE_DIR="$sys/usr/include/hdf5/serial"
      -DHDF5_C_LIBRARY_hdf5="$lib/hdf5/serial/libhdf5.so" -DHDF5_C_LIBRARY_dl=dl -DHDF5_C_LIBRARY_m=m
      -DHDF5_C_LIBRARY_pthread=pthread -DHDF5_C_LIBRARY_z="$lib/libz.so" -DHDF5_C_LIBRARY_sz="$lib/libsz.so"
      -DHDF5_C_LIBRARY_crypto="$lib/libcrypto.so" -DHDF5_C_LIBRARY_curl="$lib/libcurl.so"
      -DMPI_CXX_COMPILER="$sys/usr/bin/mpicxx.openmpi" -DOPENSSL_ROOT_DIR="$sys/usr" -DZLIB_ROOT="$sys/usr"
      -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$lib -Wl,-rpath-link,$lib/openmpi/lib -Wl,-rpath-link,$lib/hdf5/serial")
  fi
  cmake -S "$root" -B "$build" "${cmake_args[@]}"
  cmake --build "$build" -j "$(nproc)" --target cagcl cagcl_tests train
}

gpu_tests() {
  # The tests that take the CUDA branches (autocast on the CUDA flag, NCCL over a real device); the whole
  # cagcl_tests binary runs too, bounded, since every test must pass against LibTorch 2.x as well.
  timeout -k 10 300 "$build/tests/cagcl_tests" --gtest_filter='AutocastScope.*:Nccl*:GpuUtilization.*'
  timeout -k 10 480 "$build/tests/cagcl_tests" --gtest_brief=1  # within one device call (10 min)
}

nccl_single_rank() {
  # Rank 0 of 2 alone (a bootstrap that claims a world of two; one GPU cannot hold two NCCL ranks): NCCL's init
  # waits for rank 1 forever unless it is aborted after comm.failure_timeout_s (3 s in the test), and the error
  # must name the init. Bounded here, so that a hang shows as a failure and not as a script that never returns.
  local rc=0
  timeout -k 10 120 "$build/tests/cagcl_tests" --gtest_filter='NcclCommunicator.RankZeroOfTwoAlone*' || rc=$?
  [ "$rc" -eq 0 ] || echo "gpu_check: rank 0 of 2 alone exited $rc (124 or 137: still in ncclCommInitRank after 120 s)" >&2
  return "$rc"
}

hf_round_trip() {
  local work=$scratch/hf
  rm -rf "$work"
  # The tiny preset on the GPU in bf16: the CUDA autocast branch and the CUDA memory figures run here.
  "$build/cagcl" synth --out "$work/data" --volumes 8 --shards 2 --size 32x64x64
  "$build/cagcl" train --config tiny --data "$work/data" --out "$work/run" --steps 4 --set train.precision=bf16
  grep -h '"memory_bytes"' "$work/run"/metrics.jsonl | tail -n 1 || true
  "$build/cagcl" export --checkpoint "$work/run" --out "$work/bert" --bert-only
  if ! python3 -c 'import transformers' 2>/dev/null; then
    echo "gpu_check: transformers is not installed: exported, not loaded"
    return 0
  fi
  python3 - "$work/bert" <<'EOF'
import sys, torch, transformers
path = sys.argv[1]
model, info = transformers.BertModel.from_pretrained(path, output_loading_info=True)
bad = {k: v for k, v in info.items() if v}
assert not bad, f"HF BertModel.from_pretrained({path}): {bad}"
tokenizer = transformers.AutoTokenizer.from_pretrained(path)
batch = tokenizer(["no pleural effusion", "cardiomegaly"], return_tensors="pt", padding=True)
device = "cuda" if torch.cuda.is_available() else "cpu"
out = model.to(device)(**{k: v.to(device) for k, v in batch.items()})
print("gpu_check: HF BertModel loaded", path, "last_hidden_state", tuple(out.last_hidden_state.shape),
      "transformers", transformers.__version__)
EOF
}

bench_pair() {
  local work=$scratch/bench
  rm -rf "$work"
  mkdir -p "$work"
  # bench/train needs MPI initialised: one rank under the carried Open MPI's mpirun.
  local mpirun
  mpirun=$(command -v mpirun || command -v mpirun.openmpi)  # the carried one has no /etc/alternatives link
  timeout -k 10 420 "$mpirun" --allow-run-as-root -np 1 "$build/bench/train" --config base --set train.precision=bf16 \
    --data "$work/data" --synthesize 16 --global-batch 4 --steps 6 --out "$work/runs" | tee "$work/cagcl.txt"
  if python3 -c 'import torch' 2>/dev/null; then
    timeout -k 10 150 python3 "$root/bench/torch_eager_train.py" --config "$root/configs/base.yaml" --batch 4 \
      --steps 6 | tee "$work/eager.txt"
  else
    echo "gpu_check: no torch in python3: PyTorch eager not run"
  fi
}

run() {
  local carry=${1:-}
  build=${CAGCL_GPU_BUILD_DIR:-/tmp/cagcl-gpu}
  scratch=${CAGCL_GPU_SCRATCH:-/tmp/cagcl-gpu-work}
  mkdir -p "$scratch"
  torch_dir=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "share/cmake/Torch"))')
  python3 -c 'import torch; print("gpu_check: torch", torch.__version__, "CUDA", torch.version.cuda,
    "cxx11 ABI", torch.compiled_with_cxx11_abi(), "GPU",
    torch.cuda.get_device_name() if torch.cuda.is_available() else None)'
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  sys=""
  if [ -n "$carry" ]; then
    sys=${CAGCL_GPU_SYSROOT:-/tmp/cagcl-sysroot}
    if [ ! -d "$sys/usr" ]; then
      mkdir -p "$sys"
      tar -C "$sys" -xJf "$carry/sysroot.tar.xz"
    fi
    local lib=$sys/usr/lib/x86_64-linux-gnu
    export PATH="$sys/usr/bin:$PATH"
    # pkg-config reads only the carried .pc files and prefixes their /usr paths with the sysroot.
    export PKG_CONFIG_LIBDIR="$lib/pkgconfig:$sys/usr/share/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$sys"
    # Open MPI finds its wrappers' data, components and helper programs under OPAL_PREFIX instead of /usr.
    export OPAL_PREFIX="$sys/usr" OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export LD_LIBRARY_PATH="$lib:$lib/hdf5/serial:$lib/openmpi/lib:${LD_LIBRARY_PATH:-}"
  fi
  wants build && run_stage "build (whole project against pip torch)" configure_and_build
  wants tests && run_stage "GPU tests and cagcl_tests" gpu_tests
  wants nccl && run_stage "single-rank NCCL init abort" nccl_single_rank
  wants hf && run_stage "HF round trip" hf_round_trip
  wants bench && run_stage "bench/train base bf16 beside PyTorch eager" bench_pair
  if [ ${#stage_failed[@]} -gt 0 ]; then
    echo "gpu_check: FAILED: ${stage_failed[*]}" >&2
    exit 1
  fi
  echo "gpu_check: all stages passed"
}

case "${1:-run}" in
  pack) pack "${2:-}" ;;
  run) run "${2:-}" ;;
  *)
    echo "usage: scripts/gpu_check.sh pack [DIR] | run [CARRY_DIR]" >&2
    exit 2
    ;;
esac
