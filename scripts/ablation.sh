#!/usr/bin/env bash
# The CA-GCL vs fVLM ablation on the synthetic phantoms (docs/evaluation.md, "Ablation"): trains the `small`
# preset three ways on the same data, once per seed (train.seed: initialisation, sampling, augmentation),
# evaluates each on the held-out test split with `cagcl eval` (all five template families, protocol fvlm16),
# and writes one table of mean +- SD over the seeds.
#
#   arm              settings
#   fvlm_baseline    loss.w_global=0 augment.p_aug=0   (per-anatomy loss only, no text augmentation)
#   cagcl_no_aug     augment.p_aug=0                   (adds the global cross-anatomy loss)
#   cagcl            the preset                        (adds clinical-aware text augmentation)
#
# Knobs (environment): OUT (default ablation/), SEEDS (default "1 2 3"), STEPS (train.steps, default: the
# preset's), VOLUMES (phantoms to synthesise, default: the preset's synth.volumes, 800), SIZE (phantom D x H x W,
# default 48x96x96: the small preset's synth.size and crop), NP (ranks; > 1 runs mpirun), PRESET (default
# small), CAGCL (the binary, default build/cagcl), EXTRA (more `--set k=v` for every run). The data is
# synthesised with the preset's valid (0.125) and test (0.25) fractions. Re-running resumes finished/killed
# runs (`--resume auto`) and re-evaluates.
# Output: $OUT/ablation.md (Markdown table) and $OUT/ablation.csv (one row per run); per run
# $OUT/runs/ARM-seedS and $OUT/eval/ARM-seedS (report.html). Prints the table at the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cagcl=${CAGCL:-$root/build/cagcl}
out=${OUT:-$root/ablation}
preset=${PRESET:-small}
volumes=${VOLUMES:-800}
seeds=${SEEDS:-1 2 3}
size=${SIZE:-48x96x96}
np=${NP:-1}
steps_flag=()
[[ -n "${STEPS:-}" ]] && steps_flag=(--steps "$STEPS")
extra=()
for kv in ${EXTRA:-}; do extra+=(--set "$kv"); done
launch=()
((np > 1)) && launch=(mpirun --allow-run-as-root --oversubscribe -np "$np")

[[ -x "$cagcl" ]] || { echo "ablation: no binary at $cagcl (run scripts/build.sh)" >&2; exit 1; }
mkdir -p "$out"
data="$out/data"
if [[ ! -f "$data/dataset.json" ]]; then
  "$cagcl" synth --out "$data" --volumes "$volumes" --shards 4 --seed 42 --size "$size" \
    --valid-fraction 0.125 --test-fraction 0.25
fi

declare -A settings=(
  [fvlm_baseline]="loss.w_global=0 augment.p_aug=0"
  [cagcl_no_aug]="augment.p_aug=0"
  [cagcl]=""
)
arms=(fvlm_baseline cagcl_no_aug cagcl)
runs=()
for seed in $seeds; do
  for arm in "${arms[@]}"; do
    run="$arm-seed$seed"
    runs+=("$run")
    sets=(--set "train.seed=$seed")
    for kv in ${settings[$arm]}; do sets+=(--set "$kv"); done
    echo "== ablation: $run (${settings[$arm]:-preset}) =="
    set +e
    "${launch[@]}" "$cagcl" train --config "$preset" --data "$data" --out "$out/runs/$run" --resume auto \
      "${steps_flag[@]}" "${sets[@]}" "${extra[@]}"
    code=$?
    set -e
    ((code == 0)) || { echo "ablation: training $run failed (exit $code)" >&2; exit "$code"; }
    "${launch[@]}" "$cagcl" eval --run "$out/runs/$run" --data "$data" --split test --templates all \
      --protocol fvlm16 --out "$out/eval/$run"
  done
done

python3 - "$out" "${runs[@]}" <<'PY'
import json, os, statistics, sys
out, runs = sys.argv[1], sys.argv[2:]

def figures(run):
    r = json.load(open(os.path.join(out, "eval", run, "report.json")))
    s, ret = r["summary"], r.get("retrieval")
    r5 = ret["mean"]["image_to_report"]["R@5"] if ret else None
    return {"macro_auc": s["macro_auc"], "template_sd": s["template_sd"], "collapse": s["collapse_index"],
            "recall5": r5, "volumes": r["volumes"]}

rows = {run: figures(run) for run in runs}
arms = []
for run in runs:
    arm = run.rsplit("-seed", 1)[0]
    if arm not in arms: arms.append(arm)

def mean_sd(values, scale):
    v = [scale * x for x in values if x is not None]
    if not v: return "n/a"
    return "%.2f +- %.2f" % (statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0)

header = ["arm", "seeds", "macro AUC % (mean of 5 families)", "template SD (AUC points)", "collapse index",
          "image->report R@5", "test volumes"]
md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
for arm in arms:
    mine = [rows[r] for r in runs if r.rsplit("-seed", 1)[0] == arm]
    md.append("| %s | %d | %s | %s | %s | %s | %d |" % (
        arm, len(mine), mean_sd([m["macro_auc"] for m in mine], 100), mean_sd([m["template_sd"] for m in mine], 100),
        mean_sd([m["collapse"] for m in mine], 1), mean_sd([m["recall5"] for m in mine], 1), mine[0]["volumes"]))
open(os.path.join(out, "ablation.md"), "w").write("\n".join(md) + "\n")
with open(os.path.join(out, "ablation.csv"), "w") as f:
    f.write("run,macro_auc,template_sd,collapse_index,recall_at_5\n")
    for run in runs:
        m = rows[run]
        f.write("%s,%s,%s,%s,%s\n" % (run, m["macro_auc"], m["template_sd"], m["collapse"], m["recall5"]))
print("\n".join(md))
PY
echo "ablation: $out/ablation.md, reports in $out/eval/*/report.html"
