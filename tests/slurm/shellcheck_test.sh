#!/usr/bin/env bash
# The job script and the Slurm test scripts pass shellcheck (warnings and style notes included).
# 77 (skipped) when shellcheck is not installed; scripts/setup.sh installs it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if ! command -v shellcheck >/dev/null; then
  echo "SKIP: shellcheck is not installed (Debian package shellcheck; scripts/setup.sh installs it)"
  exit 77
fi
cd "$root"   # `# shellcheck source=` paths are relative to the repository root
files=(slurm/*.sbatch slurm/*.sh tests/slurm/*.sh)
existing=()
for file in "${files[@]}"; do [[ -f $file ]] && existing+=("$file"); done
shellcheck --version | sed -n 2p
shellcheck --external-sources "${existing[@]}"
echo "PASS: shellcheck ${existing[*]}"
