#!/usr/bin/env bash
# Configures and builds cagcl in build/ (RelWithDebInfo) with at most 2 parallel jobs by default.
# Ninja when present (a build directory keeps the generator it was first configured with); lld and ccache
# are picked up by CMakeLists.txt when present. docs/building.md has the measured effect of each.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${CAGCL_BUILD_DIR:-$root/build}"
jobs="${CAGCL_JOBS:-2}"
generator=()
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE="${CAGCL_BUILD_TYPE:-RelWithDebInfo}" >/dev/null
cmake --build "$build" -j "$jobs"
