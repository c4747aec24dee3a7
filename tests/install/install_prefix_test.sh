#!/usr/bin/env bash
# install.prefix_run: `cmake --install` into a temporary prefix, then the installed binary, from a directory
# outside both trees, with the source and build trees hidden: synth -> train (tiny) -> convert ct-rate and
# rad-chestct (their default mapping, lexicon and label map are installed data files) -> eval (with the installed
# held-out prompt templates). The trees are hidden by empty tmpfs mounts over them in a private mount namespace
# (`unshare --mount`), so nothing under them is visible to the binary while the real trees stay in place for
# everyone else. Also: `--help` names the installed files as defaults, and without them convert fails naming the
# paths it searched. Root only (mount namespaces); 77 = skipped when the namespace cannot be made.
#
#   install_prefix_test.sh CMAKE BUILD_DIR SOURCE_DIR
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs one step, its output into $log_dir/NAME.log; a non-zero exit fails the test with the log's tail.
step() {
  local name=$1
  shift
  echo "-- $name: $*"
  if ! "$@" >"$log_dir/$name.log" 2>&1; then
    tail -n 30 "$log_dir/$name.log" >&2
    fail "$name exited non-zero"
  fi
}

# ---- inside the private mount namespace: hide the trees, run the installed binary ----
inside() {
  local prefix=$1 work=$2 source=$3 build=$4 host_ns=$5
  [[ $(readlink /proc/self/ns/mnt) != "$host_ns" ]] || fail "not in a private mount namespace; refusing to mount"
  mount -t tmpfs -o size=1m,mode=0755 cagcl-hidden "$source"
  case $build/ in "$source"/*) ;; *) mount -t tmpfs -o size=1m,mode=0755 cagcl-hidden "$build" ;; esac
  [[ -z $(ls -A "$source") && ! -e $build/CMakeCache.txt ]] || fail "the trees are still visible"
  export PATH=$prefix/bin:/usr/bin:/bin
  log_dir=$work/logs
  local configs=$prefix/share/cagcl/configs
  cd "$work/run"

  # Defaults shown by --help are the installed files.
  "$prefix/bin/cagcl" convert ct-rate --help >"$log_dir/help.log" 2>&1 || fail "convert ct-rate --help"
  grep -qF "$configs/totalsegmentator_v2.yaml" "$log_dir/help.log" ||
    fail "convert ct-rate --help does not name $configs/totalsegmentator_v2.yaml: $(grep -F .yaml "$log_dir/help.log")"
  grep -qF "$configs/anatomy_lexicon.yaml" "$log_dir/help.log" || fail "--help: no installed lexicon"
  "$prefix/bin/cagcl" convert rad-chestct --help >"$log_dir/help_rad.log" 2>&1 || fail "convert rad-chestct --help"
  grep -qF "$configs/rad_chestct_labels.yaml" "$log_dir/help_rad.log" || fail "--help: no installed label map"

  step synth cagcl synth --out data --volumes 8 --size 32x64x64 --seed 1
  # Two ranks, as a cluster job would run the installed binary.
  step train mpirun --allow-run-as-root --oversubscribe -np 2 cagcl train --config tiny --data data --out run \
    --steps 2
  [[ -f run/config.yaml && -f run/metrics.jsonl && -d run/checkpoints ]] || fail "train left no run directory"
  grep -q '"world_size":2' run/metrics.jsonl || fail "train did not run on 2 ranks: $(head -n 1 run/metrics.jsonl)"

  step synth_ct_rate cagcl synth --format ct-rate --out ct-rate-raw --volumes 3 --size 32x48x48 \
    --valid-fraction 0.34 --seed 3
  # Without the installed configs, convert names every path it searched.
  mv "$configs" "$configs.away"
  if cagcl convert ct-rate --root ct-rate-raw/dataset --masks ct-rate-raw/totalsegmentator --out missing \
    >"$log_dir/missing.log" 2>&1; then
    fail "convert succeeded without its mapping file"
  fi
  mv "$configs.away" "$configs"
  grep -qF "$configs/totalsegmentator_v2.yaml" "$log_dir/missing.log" ||
    fail "the error does not name the installed path searched: $(cat "$log_dir/missing.log")"

  step convert_ct_rate cagcl convert ct-rate --root ct-rate-raw/dataset --masks ct-rate-raw/totalsegmentator \
    --out ct-rate --spacing 10,7.5,7.5
  [[ -f ct-rate/dataset.json ]] || fail "convert ct-rate wrote no dataset.json"
  step synth_rad cagcl synth --format rad-chestct --out rad-raw --volumes 2 --size 32x48x48 --valid-fraction 0.5
  step convert_rad cagcl convert rad-chestct --root rad-raw/volumes --masks rad-raw/totalsegmentator \
    --out rad --source-spacing 10,7.5,7.5 --spacing 10,7.5,7.5
  [[ -f rad/dataset.json ]] || fail "convert rad-chestct wrote no dataset.json"

  step eval cagcl eval --run run --data ct-rate --split all --bootstrap 20 --out report \
    --templates "fvlm,$configs/prompts_heldout.yaml"
  [[ -f report/report.json && -f report/report.html ]] || fail "eval wrote no report"
  # The report's plot script is compiled in: with matplotlib present it must draw from the installed binary alone.
  if /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    compgen -G 'report/plots/*.svg' >/dev/null || fail "eval drew no plots: $(cat report/plots/plot_report.log 2>&1)"
  else
    echo "note: no matplotlib for /usr/bin/python3; the plots are not checked"
  fi
  echo "PASS (inside): synth, train, convert ct-rate, convert rad-chestct, eval with the trees hidden"
}

if [[ ${1:-} == --inside ]]; then
  shift
  inside "$@"
  exit 0
fi

cmake=$1
build=$(cd "$2" && pwd -P)
source=$(cd "$3" && pwd -P)
if [[ $(id -u) != 0 ]]; then
  echo "SKIP: needs root for a private mount namespace"
  exit 77
fi
if ! unshare --mount --propagation private true 2>/dev/null; then
  echo "SKIP: unshare --mount is not allowed here"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cagcl-install-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
work=$(cd "$work" && pwd -P)
case $work/ in "$source"/* | "$build"/*) fail "the work directory $work is inside a tree that will be hidden" ;; esac
prefix=$work/prefix
mkdir -p "$work/run" "$work/logs"
log_dir=$work/logs

step install "$cmake" --install "$build" --prefix "$prefix"
# The layout docs/building.md promises; nothing of the tests or benchmarks.
for f in bin/cagcl share/cagcl/configs/totalsegmentator_v2.yaml share/cagcl/configs/anatomy_lexicon.yaml \
  share/cagcl/configs/rad_chestct_labels.yaml share/cagcl/configs/prompts_heldout.yaml \
  share/cagcl/configs/tiny.yaml share/cagcl/slurm/train.sbatch share/cagcl/slurm/README.md \
  share/cagcl/monitoring/grafana/dashboard.json share/cagcl/monitoring/prometheus/alerts.yml \
  share/cagcl/monitoring/prometheus/prometheus-static.yml share/doc/cagcl/README.md share/doc/cagcl/docs/building.md; do
  [[ -f $prefix/$f ]] || fail "not installed: $prefix/$f"
done
[[ -x $prefix/bin/cagcl ]] || fail "$prefix/bin/cagcl is not executable"
[[ $(ls "$prefix/bin") == cagcl ]] || fail "$prefix/bin holds more than cagcl: $(ls "$prefix/bin")"
if find "$prefix" -name '*_test*' -o -name 'bench_*' | grep -q .; then
  fail "tests or benchmarks installed: $(find "$prefix" -name '*_test*' -o -name 'bench_*')"
fi

# From a copy: bash reads a script as it goes, and this one lies in the tree about to be hidden.
cp "${BASH_SOURCE[0]}" "$work/inside.sh"
unshare --mount --propagation private "$BASH" "$work/inside.sh" --inside "$prefix" "$work" "$source" "$build" \
  "$(readlink /proc/self/ns/mnt)"
echo "PASS: installed into $prefix and ran synth -> train -> convert -> eval without the source tree"
