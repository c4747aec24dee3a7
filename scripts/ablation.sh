#!/usr/bin/env bash
# The CA-GCL vs fVLM ablation on the synthetic phantoms (docs/evaluation.md, "Ablation"): trains the `small`
# preset three ways on the same data with the same seed, evaluates each with `cagcl eval` (all five template
# families, protocol fvlm16), and writes one comparison table.
#
#   arm              settings
#   fvlm_baseline    loss.w_global=0 augment.p_aug=0   (per-anatomy loss only, no text augmentation)
#   cagcl_no_aug     augment.p_aug=0                   (adds the global cross-anatomy loss)
#   cagcl            the preset                        (adds clinical-aware text augmentation)
#
# Knobs (environment): OUT (default ablation/), STEPS (train.steps, default: the preset's), VOLUMES (phantoms
# to synthesise, default 256), SIZE (phantom D x H x W, default 48x96x96: the small preset's synth.size and
# crop), NP (ranks; > 1 runs mpirun), PRESET (default small), CAGCL (the binary,
# default build/cagcl), EXTRA (more `--set k=v` for every arm). Re-running resumes finished/killed runs
# (`--resume auto`) and re-evaluates.
# Output: $OUT/ablation.md (Markdown table) and $OUT/ablation.csv; per arm $OUT/runs/ARM and $OUT/eval/ARM
# (report.html). Prints the table at the end.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cagcl=${CAGCL:-$root/build/cagcl}
out=${OUT:-$root/ablation}
preset=${PRESET:-small}
volumes=${VOLUMES:-256}
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
  "$cagcl" synth --out "$data" --volumes "$volumes" --shards 4 --seed 42 --size "$size"
fi

declare -A settings=(
  [fvlm_baseline]="loss.w_global=0 augment.p_aug=0"
  [cagcl_no_aug]="augment.p_aug=0"
  [cagcl]=""
)
arms=(fvlm_baseline cagcl_no_aug cagcl)
for arm in "${arms[@]}"; do
  sets=()
  for kv in ${settings[$arm]}; do sets+=(--set "$kv"); done
  echo "== ablation: $arm (${settings[$arm]:-preset}) =="
  set +e
  "${launch[@]}" "$cagcl" train --config "$preset" --data "$data" --out "$out/runs/$arm" --resume auto \
    "${steps_flag[@]}" "${sets[@]}" "${extra[@]}"
  code=$?
  set -e
  ((code == 0)) || { echo "ablation: training $arm failed (exit $code)" >&2; exit "$code"; }
  "${launch[@]}" "$cagcl" eval --run "$out/runs/$arm" --data "$data" --templates all --protocol fvlm16 \
    --out "$out/eval/$arm"
done

python3 - "$out" "${arms[@]}" <<'PY'
import json, os, sys
out, arms = sys.argv[1], sys.argv[2:]
rows = []
for arm in arms:
    r = json.load(open(os.path.join(out, "eval", arm, "report.json")))
    s, fams = r["summary"], r["families"]
    fmt = lambda v, scale=100: "n/a" if v is None else "%.2f" % (scale * v)
    per_family = " / ".join(fmt(f["macro"]["auc"]) for f in fams)
    ci = fams[0]["macro_ci"]["auc"] if fams else {"low": None, "high": None}
    rows.append((arm, fmt(s["macro_auc"]), fmt(s["template_sd"]), "n/a" if s["collapse_index"] is None else "%.3f" % s["collapse_index"],
                 "%s-%s" % (fmt(ci["low"]), fmt(ci["high"])), per_family,
                 "%d" % r["volumes"]))
header = ["arm", "macro AUC (mean of families)", "template SD", "collapse index",
          "95 % CI (first family)", "macro AUC per family (" + " / ".join(f["name"] for f in fams) + ")", "volumes"]
md = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
md += ["| " + " | ".join(row) + " |" for row in rows]
open(os.path.join(out, "ablation.md"), "w").write("\n".join(md) + "\n")
with open(os.path.join(out, "ablation.csv"), "w") as f:
    f.write("arm,macro_auc,template_sd,collapse_index\n")
    for arm in arms:
        s = json.load(open(os.path.join(out, "eval", arm, "report.json")))["summary"]
        f.write("%s,%s,%s,%s\n" % (arm, s["macro_auc"], s["template_sd"], s["collapse_index"]))
print("\n".join(md))
PY
echo "ablation: $out/ablation.md, reports in $out/eval/*/report.html"
