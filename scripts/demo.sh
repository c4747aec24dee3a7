#!/usr/bin/env bash
# README command 1: install what is missing, build, then run the main job on the embedded synthetic data:
# synthesise a small chest-CT phantom dataset and inspect it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
cagcl="${CAGCL_BUILD_DIR:-$root/build}/cagcl"
out="${CAGCL_DEMO_DIR:-$root/demo}"
data="$out/data"
if [[ ! -f "$data/dataset.json" ]]; then
  "$cagcl" synth --out "$data" --volumes 64 --shards 2 --seed 42
fi
"$cagcl" inspect "$data"
echo "demo: dataset in $data (inspect it again with: $cagcl inspect $data --json)"
