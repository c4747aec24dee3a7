#!/usr/bin/env bash
# The sanitizer build (docs/reliability.md): the LibTorch-free library cagcl_core, its tests and the fuzz-corpus
# replays (tests/fuzz/corpus/) built with g++ -fsanitize=address,undefined in build-sanitize/, then run by CTest.
# Any sanitizer report ends its test with a failure; exits non-zero when any test fails. CI runs it after
# scripts/test.sh.
#
# Environment: CAGCL_SANITIZE_BUILD_DIR (default build-sanitize/), CAGCL_JOBS (default 2).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${CAGCL_SANITIZE_BUILD_DIR:-$root/build-sanitize}"
jobs="${CAGCL_JOBS:-2}"
generator=()
if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAGCL_CORE_ONLY=ON \
  -DCAGCL_SANITIZE=ON >/dev/null
cmake --build "$build" -j "$jobs"

# UBSan findings abort (-fno-sanitize-recover at compile time) and print their stack; ASan also reports leaks.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
cd "$build"
# The architecture.* checks read sources only: the main build's CTest runs them already.
ctest --output-on-failure -j "$jobs" --timeout 300 -E '^architecture\.'
