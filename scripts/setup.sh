#!/usr/bin/env bash
# Installs the Debian 12 packages cagcl needs to build, run and test. Idempotent: it asks apt only when
# a package is missing, and runs `apt-get update` only then. Needs root (or sudo) only in that case.
set -euo pipefail

PACKAGES=(
  build-essential cmake git pkg-config
  ninja-build lld                     # scripts/build.sh: Ninja and the LLVM linker (docs/building.md)
  clang-format                        # the tree's style, checked by CTest architecture.clang_format
  clang libclang-rt-14-dev            # scripts/fuzz.sh: libFuzzer and the ASan/UBSan runtimes (the runtimes are only
                                      # a Recommends of clang, which --no-install-recommends skips)
  libtorch-dev libopenblas0-pthread   # without OpenBLAS, Debian's LibTorch uses the ~20x slower reference BLAS
  libopenmpi-dev openmpi-bin
  libhdf5-dev hdf5-tools hdf5-filter-plugin   # the plugin brings the LZ4 filter the shards prefer
  prometheus-cpp-dev
  libgtest-dev libgmock-dev
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libnifti2-dev libssl-dev
  liblz4-dev zlib1g-dev                # chunk decoding outside HDF5's lock (data/chunk_decoder.cpp)
  libzip-dev                          # Rad-ChestCT's .npz volumes are zip archives (data/npz/)
  python3-h5py                        # the tests check that shards are readable with h5py, as documented
  python3-matplotlib                  # cagcl eval draws its report plots (eval/plot_report.py)
  prometheus                          # promtool and the server of the monitoring tests (docs/monitoring.md)
  # tests/slurm: a throw-away one-node Slurm the tests start on loopback with their own config and munge key.
  # Installing these starts nothing that tests rely on (policy-rc.d or no systemd: nothing starts; with
  # systemd, slurmd/slurmctld start only where /etc/slurm/slurm.conf exists, and the system munged uses its
  # own socket and key, never the tests').
  slurm-wlm munge
  shellcheck                          # slurm/*.sbatch and the test scripts must pass it (CTest slurm.shellcheck)
)

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
  as_root=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "setup: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    as_root=(sudo)
  fi
  "${as_root[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all ${#PACKAGES[@]} packages present"
fi

# The BLAS alternative is normally switched to OpenBLAS by its higher priority; a manual choice of the
# reference BLAS survives the install, so say so (cagcl also warns at start-up).
blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 || true)
case "$blas" in
  *openblas*) echo "setup: BLAS is OpenBLAS ($blas)" ;;
  *) echo "setup: WARNING: libblas.so.3 resolves to $blas, not OpenBLAS;" \
          "run: update-alternatives --set libblas.so.3-x86_64-linux-gnu" \
          "/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3" >&2 ;;
esac
