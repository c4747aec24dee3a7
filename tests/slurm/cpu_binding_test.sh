#!/usr/bin/env bash
# slurm/train.sbatch on a Slurm that binds tasks to cores (task/affinity with autobind=cores, as sites that bind
# cores are configured), the `tiny` preset for 2 steps. Each `cagcl train` rank logs its CPU affinity at the start
# ("CPU affinity 0-1 (2 CPUs)"), and this test reads it:
#   - --ntasks-per-node=1 --cpus-per-task=2: the rank may run on 2 CPUs and uses 2 intra-op threads. srun in Slurm >= 22.05
#     no longer takes --cpus-per-task from the job, so without the script's SRUN_CPUS_PER_TASK the rank is bound
#     to 1 CPU and this fails;
#   - --ntasks-per-node=2 --cpus-per-task=1: the two ranks are bound to one CPU each, not the same one (with task/none
#     both would have the whole machine and this fails), and each logs its own Slurm procid;
#   - the same 2 ranks via mpirun: no rank logs a Slurm procid (mpirun's ranks inherit its daemon's, the same
#     for all of them);
#   - the site hook: every job runs with CAGCL_ENV_SCRIPT pointing at a script that puts a directory holding
#     `cagcl` on PATH (as `module load` would) and CAGCL_BIN is left at its default, `cagcl`, so the jobs can only
#     start the trainer if the script was sourced; a job whose CAGCL_ENV_SCRIPT does not exist fails with exit
#     code 2 and a message naming it.
# Usage: cpu_binding_test.sh CAGCL_BINARY
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/slurm/slurm_cluster.sh
source "$here/slurm_cluster.sh"
# shellcheck source=tests/slurm/job_helpers.sh
source "$here/job_helpers.sh"

cagcl=$(realpath "${1:?usage: cpu_binding_test.sh CAGCL_BINARY}")
slurm_cluster_start
((SLURM_CLUSTER_CPUS == 2)) || fail "the expectations below are for a node of 2 CPUs, not $SLURM_CLUSTER_CPUS"
work=$SLURM_CLUSTER_DIR/work
mkdir -p "$work/site/bin"
ln -s "$cagcl" "$work/site/bin/cagcl"
cat >"$work/site/env.sh" <<EOF
export PATH="$work/site/bin:\$PATH"
echo "site environment: cagcl is \$(command -v cagcl)"
EOF

"$cagcl" synth --out "$work/data" --volumes 16 --shards 2 --size 32x64x64 --seed 42 >/dev/null

# submit NAME LAUNCHER SBATCH-OPTIONS...: train.sbatch for 2 steps, its output in $work/NAME.out; prints the job id.
submit() {
  local name=$1 launcher=$2
  shift 2
  env -u CAGCL_BIN -u SRUN_CPUS_PER_TASK -u SLURM_CPU_BIND CAGCL_ENV_SCRIPT="${ENV_SCRIPT:-$work/site/env.sh}" \
    CAGCL_CONFIG=tiny CAGCL_DATA="$work/data" CAGCL_RUNS="$work/runs" CAGCL_STEPS=2 CAGCL_LAUNCHER="$launcher" \
    sbatch --parsable --job-name="$name" --chdir="$work" --output="$work/$name.out" --nodes=1 --gpus-per-node=0 \
    --time=10 "$@" "$root/slurm/train.sbatch" --set train.checkpoint_every=100000 --set train.val_every=100000 \
    --set train.val_zero_shot=false
}
wide=$(submit wide srun --ntasks-per-node=1 --cpus-per-task=2)
narrow=$(submit narrow srun --ntasks-per-node=2 --cpus-per-task=1)
mpirun_job=$(submit mpirun mpirun --ntasks-per-node=2 --cpus-per-task=1)
no_env=$(ENV_SCRIPT=$work/site/missing.sh submit missing srun --ntasks-per-node=1 --cpus-per-task=1)
echo "submitted jobs: wide $wide, narrow $narrow, mpirun $mpirun_job, missing env script $no_env"

on_exit() {
  local status=$? name
  if ((status != 0)); then
    for name in wide narrow mpirun missing; do
      echo "----- $work/$name.out" >&2
      cat "$work/$name.out" >&2 || true
    done
  fi
  slurm_cluster_stop "$status"
}
trap on_exit EXIT

for job in "$wide" "$narrow" "$mpirun_job"; do
  wait_for_state 120 "$job" COMPLETED || fail "job $job did not complete"
done
wait_for_state 60 "$no_env" FAILED || fail "job $no_env with a missing CAGCL_ENV_SCRIPT did not fail"
[[ $(job_field "$no_env" ExitCode) == 2:0 ]] || fail "job $no_env exit code $(job_field "$no_env" ExitCode), expected 2:0"
expect_line "$work/missing.out" "CAGCL_ENV_SCRIPT='$work/site/missing.sh': no such readable file"
for name in wide narrow mpirun; do
  expect_line "$work/$name.out" "site environment: cagcl is $work/site/bin/cagcl"
done

# The ranks' start lines: "rank R/W (local ...) on HOST, device cpu, T intra-op threads, CPU affinity LIST (N CPUs),
# Slurm job J [procid P node D] of NODES restart 0".
python3 - "$work" <<'EOF'
import re, sys

work = sys.argv[1]
line_re = re.compile(r"rank (\d+)/(\d+) \(local .*?, (\d+) intra-op threads, CPU affinity ([0-9,-]+) \((\d+) CPUs?\), "
                     r"Slurm job \d+( procid (\d+) node \d+)? of ")
def ranks(name, world):
    found = {}
    for line in open(f"{work}/{name}.out"):
        m = line_re.search(line)
        if m:
            found[int(m.group(1))] = {"world": int(m.group(2)), "threads": int(m.group(3)), "mask": m.group(4),
                                      "cpus": int(m.group(5)), "procid": m.group(7)}
    if sorted(found) != list(range(world)) or any(r["world"] != world for r in found.values()):
        sys.exit(f"FAIL: {name}: start lines of ranks {sorted(found)}, expected ranks 0..{world - 1} of {world}")
    return found
def fail(message):
    sys.exit(f"FAIL: {message}")

wide = ranks("wide", 1)[0]
if wide["cpus"] != 2:
    fail(f"--cpus-per-task=2: the rank may run on CPUs {wide['mask']} ({wide['cpus']}), expected 2 "
         "(srun >= 22.05 takes --cpus-per-task from SRUN_CPUS_PER_TASK only)")
if wide["threads"] != 2:
    fail(f"--cpus-per-task=2: {wide['threads']} intra-op threads, expected 2 (the CPUs of its mask)")

narrow = ranks("narrow", 2)
for rank, r in narrow.items():
    if r["cpus"] != 1:
        fail(f"--cpus-per-task=1: rank {rank} may run on CPUs {r['mask']}, expected 1 CPU (is the task plugin binding?)")
    if r["procid"] != str(rank):
        fail(f"srun: rank {rank} logs Slurm procid {r['procid']}, expected its own ({rank})")
if narrow[0]["mask"] == narrow[1]["mask"]:
    fail(f"--cpus-per-task=1: both ranks are bound to CPU {narrow[0]['mask']}, expected different CPUs")

mpirun = ranks("mpirun", 2)
for rank, r in mpirun.items():
    if r["procid"] is not None:
        fail(f"mpirun: rank {rank} logs Slurm procid {r['procid']}, which is mpirun's daemon's, not its own")
print(f"wide: CPUs {wide['mask']}, {wide['threads']} threads; narrow: rank 0 on {narrow[0]['mask']}, "
      f"rank 1 on {narrow[1]['mask']}; mpirun: no Slurm procid")
EOF
echo "PASS: srun gives each rank its --cpus-per-task CPUs (SRUN_CPUS_PER_TASK), distinct per task;" \
  "the ranks log their own masks and Slurm ids; CAGCL_ENV_SCRIPT is sourced, a missing one refused"
