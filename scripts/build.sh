#!/usr/bin/env bash
# Configures and builds cagcl in build/ (RelWithDebInfo) with at most 2 parallel jobs by default.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${CAGCL_BUILD_DIR:-$root/build}"
jobs="${CAGCL_JOBS:-2}"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="${CAGCL_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build" -j "$jobs"
