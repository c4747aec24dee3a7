#!/usr/bin/env bash
# Fuzzes every parser (docs/reliability.md): builds the libFuzzer harnesses of tests/fuzz/ with clang, ASan and
# UBSan in build-fuzz/ (LibTorch-free: -DCAGCL_CORE_ONLY=ON), then runs each for SECONDS (default 60) over a
# scratch copy of its committed corpus tests/fuzz/corpus/<target>/. Prints libFuzzer's final status line per
# target (executions, cov, ft) and a summary; crash, leak, timeout and out-of-memory inputs are kept in the
# findings directory. Exits 1 when any target found something, 2 on a usage error.
#
#   scripts/fuzz.sh [SECONDS] [--target NAME]... [--runs N] [--findings DIR] [--merge] [--keep-going] [--no-build]
#                   [--list]
#
#   --target NAME   fuzz only NAME (repeatable; names as in tests/fuzz/NAME_fuzz.cpp)
#   --runs N        stop a target after N executions if SECONDS have not passed first (the goal is 10^7)
#   --findings DIR  where crash inputs and logs go (default: build-fuzz/findings/<date-time>/)
#   --merge         afterwards, add the inputs that raised coverage to tests/fuzz/corpus/<target>/ (libFuzzer
#                   -merge=1); without it the committed corpora are never written
#   --keep-going    fuzz on after a finding (libFuzzer -fork=1 -ignore_crashes=1 ...: one child process at a
#                   time), so that a known crash does not end a long run; the findings are kept all the same
#   --no-build      use the harnesses already built in build-fuzz/
#   --list          print the target names and exit
#
# Environment: CAGCL_FUZZ_BUILD_DIR (default build-fuzz/), CAGCL_JOBS (build jobs, default 2). One target runs
# at a time, in one process (no -jobs; --keep-going: one child at a time), so fuzzing takes one core.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${CAGCL_FUZZ_BUILD_DIR:-$root/build-fuzz}"
jobs="${CAGCL_JOBS:-2}"

usage() {
  sed -n '8,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

all_targets=()
for src in "$root"/tests/fuzz/*_fuzz.cpp; do
  name=$(basename "$src" .cpp)
  all_targets+=("${name%_fuzz}")
done

seconds=60
targets=()
findings=""
merge=0
do_build=1
mode=()
runs=()
while (($#)); do
  case "$1" in
    --target)
      (($# >= 2)) || usage
      known=0
      for t in "${all_targets[@]}"; do [[ "$t" == "$2" ]] && known=1; done
      ((known)) || { echo "fuzz.sh: unknown target '$2' (--list names them)" >&2; exit 2; }
      targets+=("$2")
      shift 2
      ;;
    --runs)
      (($# >= 2)) || usage
      [[ "$2" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --runs must be a positive integer, not '$2'" >&2; exit 2; }
      runs=(-runs="$2")
      shift 2
      ;;
    --findings)
      (($# >= 2)) || usage
      findings="$2"
      shift 2
      ;;
    --merge) merge=1; shift ;;
    --keep-going) mode=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1); shift ;;
    --no-build) do_build=0; shift ;;
    --list) printf '%s\n' "${all_targets[@]}"; exit 0 ;;
    -h | --help) usage ;;
    *)
      [[ "$1" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS must be a positive integer, not '$1'" >&2; exit 2; }
      seconds="$1"
      shift
      ;;
  esac
done
((${#targets[@]})) || targets=("${all_targets[@]}")
findings="${findings:-$build/findings/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$findings/logs"
findings=$(cd "$findings" && pwd)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# libFuzzer's fork mode starts its children through sh -c with these paths unquoted: allow only plain ones.
if ((${#mode[@]})); then
  for p in "$build" "$findings" "$scratch"; do
    [[ "$p" =~ ^[A-Za-z0-9._/+-]+$ ]] || { echo "fuzz.sh: --keep-going needs a plain path, not '$p'" >&2; exit 2; }
  done
fi

if ((do_build)); then
  command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (scripts/setup.sh installs clang)" >&2; exit 1; }
  generator=()
  if [[ ! -f "$build/CMakeCache.txt" ]] && command -v ninja >/dev/null; then generator=(-G Ninja); fi
  # -Wno-unknown-warning-option: the project's warning list has GCC-only flags (-Wno-subobject-linkage).
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_FLAGS=-Wno-unknown-warning-option -DCAGCL_FUZZ=ON -DCAGCL_CORE_ONLY=ON -DCAGCL_SANITIZE=ON >/dev/null
  harnesses=()
  for t in "${targets[@]}"; do harnesses+=("${t}_fuzz"); done
  cmake --build "$build" -j "$jobs" --target "${harnesses[@]}"
fi

# Sanitizer reports end the run at the first error, with a stack; leaks count as findings too.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
failed=()
summary=()
for t in "${targets[@]}"; do
  harness="$build/tests/${t}_fuzz"
  [[ -x "$harness" ]] || { echo "fuzz.sh: $harness is not built" >&2; exit 1; }
  corpus="$scratch/$t"
  mkdir -p "$corpus" "$findings/$t"
  if [[ -d "$root/tests/fuzz/corpus/$t" ]]; then cp -R "$root/tests/fuzz/corpus/$t/." "$corpus/"; fi
  log="$findings/logs/$t.log"
  echo "== $t: ${seconds}s over $(find "$corpus" -type f | wc -l) seed inputs (log: $log)"
  rc=0
  # -timeout: one input running this long is a hang; -rss_limit_mb: libFuzzer's default 2 GB, also the largest
  # single allocation (-malloc_limit_mb), which catches allocations sized by untrusted header fields.
  "$harness" -max_total_time="$seconds" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048 "${runs[@]}" "${mode[@]}" \
    -artifact_prefix="$findings/$t/" "$corpus" >"$log" 2>&1 || rc=$?
  # Status lines: "#N  DONE cov: C ft: F ..." in-process, "#N: cov: C ft: F ... oom/timeout/crash: ..." forked.
  final=$(grep -E '^#[0-9]+(:|[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse))' "$log" | tail -n 1 || true)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  [[ -n "$execs" ]] || execs=$(grep -oE '^#[0-9]+' <<<"$final" | tr -d '#' || true)
  found=$(find "$findings/$t" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) \
    | wc -l)
  echo "   ${final:-no status line}"
  if ((rc != 0 || found > 0)); then
    failed+=("$t")
    echo "   FINDING (exit $rc, $found input(s) kept):"
    grep -E '^(==[0-9]+==ERROR|SUMMARY:|.*runtime error:|.*Test unit written to|.*(ALARM|Timeout|out-of-memory))' \
      "$log" | sort -u | head -n 8 | sed 's/^/     /'
    summary+=("$(printf '%-20s FINDING exit %d, execs %s, %d input(s) in %s' "$t" "$rc" "${execs:-?}" "$found" \
      "$findings/$t")")
  else
    summary+=("$(printf '%-20s ok  execs %s  %s' "$t" "${execs:-?}" "$(grep -oE 'cov: [0-9]+ ft: [0-9]+' <<<"$final" || true)")")
  fi
  if ((merge)); then
    mkdir -p "$root/tests/fuzz/corpus/$t"
    "$harness" -merge=1 "$root/tests/fuzz/corpus/$t" "$corpus" >>"$log" 2>&1 || echo "   merge failed (see $log)"
  fi
  rmdir "$findings/$t" 2>/dev/null || true  # keep only the directories of targets with findings
done

echo "== summary (${seconds}s per target; findings and logs in $findings)"
printf '  %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz.sh: findings in ${#failed[@]} target(s): ${failed[*]}" >&2
  exit 1
fi
