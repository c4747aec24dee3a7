#!/usr/bin/env bash
# The namespace-cluster scripts pass shellcheck (warnings and style notes included). Exit 77 (skipped)
# when the shellcheck program is missing; scripts/setup.sh installs it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if ! command -v shellcheck >/dev/null; then
  echo "SKIP: shellcheck is not installed"
  exit 77
fi
cd "$root" # `# shellcheck source=` paths are relative to the repository root
files=(tests/cluster/*.sh)
shellcheck --version | sed -n 2p
shellcheck --external-sources "${files[@]}"
echo "PASS: shellcheck ${files[*]}"
