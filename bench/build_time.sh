#!/usr/bin/env bash
# Measures cold builds of cagcl, one per build-speed lever, each from a fresh clone into an empty build directory
# with ccache off (unless the variant is about ccache), and prints wall time and a per-target breakdown from
# .ninja_log. Usage: bench/build_time.sh [VARIANT...]   (default: all but `baseline`)
#   current      Ninja, unity batches, precompiled header, lld (what scripts/build.sh does)
#   no-unity     as current, -DCAGCL_UNITY_BUILD=OFF
#   no-pch       as current, -DCAGCL_PCH=OFF
#   make         as current, Unix Makefiles instead of Ninja
#   links        relinks everything of `current` with GNU ld, then with lld (link time only)
#   ccache       a cold build through an empty ccache, then `ninja -t clean` and a rebuild from the warm cache
#   baseline=C   commit C, Ninja, its own defaults
# CAGCL_JOBS (default 2) parallel jobs. Scratch space: $TMPDIR (about 3 GB per variant, removed after each).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jobs="${CAGCL_JOBS:-2}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAGCL_USE_CCACHE=OFF)

clone() {  # clone COMMIT -> $scratch/src (fresh each time)
  rm -rf "$scratch/src" "$scratch/build"
  git clone --quiet "$root" "$scratch/src"
  git -C "$scratch/src" checkout --quiet "$1"
}

timed() {  # timed LABEL COMMAND... : prints "LABEL: N s"
  local label=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" >"$scratch/log" 2>&1 || { tail -20 "$scratch/log"; echo "$label: FAILED" >&2; return 1; }
  end=$(date +%s.%N)
  printf '%-44s %7.1f s\n' "$label:" "$(echo "$end - $start" | bc)"
}

breakdown() {  # CPU seconds per target from .ninja_log (the last run in it)
  python3 - "$scratch/build/.ninja_log" <<'PY'
import collections, re, sys
rows = [l.split('\t') for l in open(sys.argv[1]) if not l.startswith('#')]
per = collections.Counter()
links = 0.0
for start, end, _, out, _ in rows:
    seconds = (int(end) - int(start)) / 1000
    m = re.search(r'CMakeFiles/([^/]+)\.dir/', out)
    if m and out.endswith('.gch'):
        per['precompiled header (' + m.group(1) + ')'] += seconds
    elif m:
        per[m.group(1) + ' objects'] += seconds
    else:
        per['links and archives'] += seconds
for name, seconds in per.most_common():
    print(f'    {name:<40} {seconds:7.1f} s CPU')
print(f'    {"sum":<40} {sum(per.values()):7.1f} s CPU')
PY
}

cold() {  # cold LABEL GENERATOR CMAKE_ARGS...
  local label=$1 generator=$2
  shift 2
  timed "$label configure" cmake -S "$scratch/src" -B "$scratch/build" -G "$generator" "${common[@]}" "$@"
  timed "$label build -j$jobs" cmake --build "$scratch/build" -j "$jobs"
  if [[ $generator == Ninja ]]; then breakdown; fi
}

variant() {
  case "$1" in
    current) clone HEAD; cold current Ninja ;;
    no-unity) clone HEAD; cold no-unity Ninja -DCAGCL_UNITY_BUILD=OFF ;;
    no-pch) clone HEAD; cold no-pch Ninja -DCAGCL_PCH=OFF ;;
    make) clone HEAD; cold make "Unix Makefiles" ;;
    links)
      clone HEAD
      cold links-setup Ninja
      timed "reconfigure for GNU ld" cmake -S "$scratch/src" -B "$scratch/build" -DCAGCL_USE_LLD=OFF
      timed "relink everything with GNU ld" cmake --build "$scratch/build" -j "$jobs"
      timed "reconfigure for lld" cmake -S "$scratch/src" -B "$scratch/build" -DCAGCL_USE_LLD=ON
      timed "relink everything with lld" cmake --build "$scratch/build" -j "$jobs" ;;
    ccache)
      command -v ccache >/dev/null || { echo "ccache: not installed, skipped"; return 0; }
      clone HEAD
      export CCACHE_DIR="$scratch/ccache"
      common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAGCL_USE_CCACHE=ON)
      cold "ccache cold" Ninja
      ninja -C "$scratch/build" -t clean >/dev/null
      timed "ccache warm rebuild -j$jobs" cmake --build "$scratch/build" -j "$jobs"
      common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAGCL_USE_CCACHE=OFF)
      unset CCACHE_DIR ;;
    baseline=*) clone "${1#baseline=}"; cold "baseline ${1#baseline=}" Ninja ;;
    *) echo "build_time: unknown variant '$1' (see the header of $0)" >&2; exit 2 ;;
  esac
  rm -rf "$scratch/src" "$scratch/build"
}

echo "build_time: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), -j$jobs," \
  "$(c++ --version | head -1), $(cmake --version | head -1)"
variants=("$@")
((${#variants[@]})) || variants=(current no-unity no-pch make links ccache)
for v in "${variants[@]}"; do variant "$v"; done
