#!/usr/bin/env bash
# README command 1: install what is missing, build, then run the main job on the embedded synthetic data:
# `cagcl train` with no arguments under mpirun with 2 ranks -- it synthesises the `small` preset's phantom
# dataset when missing (demo/data/synthetic: train, valid and a held-out test split), trains the `small` preset
# on the CPU into demo/runs/small, scoring the validation split live (loss and zero-shot figures, for
# watching); then `cagcl eval` scores the trained model zero-shot on the held-out test split and prints the
# macro AUC, the template SD, the collapse index, retrieval Recall@K and the path of the HTML report. Running
# it again resumes (or, when finished, re-reports) the same run.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cagcl="${CAGCL_BUILD_DIR:-$root/build}/cagcl"
out="${CAGCL_DEMO_DIR:-$root/demo}"
ranks="${CAGCL_DEMO_RANKS:-2}"
mkdir -p "$out"
cd "$out"
mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$cagcl" train
mpirun --allow-run-as-root --oversubscribe -np "$ranks" "$cagcl" eval --run runs/small --split test --out runs/small/eval
echo "demo: run in $out/runs/small (metrics: runs/small/metrics.jsonl, checkpoints: runs/small/checkpoints/," \
  "evaluation: runs/small/eval/report.html)"
