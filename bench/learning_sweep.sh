#!/usr/bin/env bash
# A logged hyperparameter sweep on the train and valid splits only (docs/learning.md): for each line of
# overrides, trains the `small` preset under mpirun on DATA and prints the validation loss before and after,
# the linear-probe mean AUC on valid, and valid retrieval Recall@5 (`cagcl eval --split valid`; its zero-shot
# AUC is printed for watching, never used to choose). The test split is not read.
#   bench/learning_sweep.sh DATA OUT 'train.lr=3e-4 train.steps=800' 'train.lr=1e-3 train.steps=800' ...
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${CAGCL_BUILD_DIR:-$root/build}"
ranks="${CAGCL_SWEEP_RANKS:-2}"
data=$1 out=$2
shift 2
mkdir -p "$out"
echo "| overrides | train s | valid loss start -> end (local) | probe AUC valid | R@5 valid | zero-shot AUC valid (watch only) |"
echo "| --- | --- | --- | --- | --- | --- |"
n=0
for overrides in "$@"; do
  n=$((n + 1))
  run="$out/run-$n"
  sets=()
  for kv in $overrides; do sets+=(--set "$kv"); done
  start=$(date +%s)
  mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$build/cagcl" train --config small --data "$data" \
    --out "$run" "${sets[@]}" --set monitoring.port_base=0 >"$run.train.log" 2>&1
  seconds=$(( $(date +%s) - start ))
  losses=$(grep -o '"event":"validation".*' "$run/metrics.jsonl" | sed -n '1p;$p' |
    sed -E 's/.*"loss":([0-9.]+).*"loss_local":([0-9.]+).*/\1 (\2)/' | paste -sd' ' | sed 's/ (/(/g; s/) /) -> /')
  mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$build/cagcl" eval --run "$run" --data "$data" \
    --split valid --out "$run/eval-valid" --bootstrap 100 >"$run.eval.log" 2>&1
  auc=$(grep -o 'macro AUC[^:]*: [0-9.]*' "$run.eval.log" | grep -o '[0-9.]*$' || echo "?")
  r5=$(python3 -c "import json;r=json.load(open('$run/eval-valid/report.json'))['retrieval'];print(round(r['mean']['image_to_report']['R@5'],3) if r else '?')" 2>/dev/null || echo "?")
  probe=$("$build/bench/linear_probe" --run "$run" --data "$data" 2>/dev/null | grep -o 'trained [0-9.]*' | grep -o '[0-9.]*' || echo "?")
  echo "| \`$overrides\` | $seconds | $losses | $probe | $r5 | $auc |"
done
