#!/usr/bin/env bash
# README command 2: install what is missing, build, run every test (unit, multi-rank under mpirun,
# integration). Prints CTest's summary; exits non-zero when anything fails.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cd "${CAGCL_BUILD_DIR:-$root/build}"
ctest --output-on-failure -j "${CAGCL_JOBS:-2}" --timeout 300
