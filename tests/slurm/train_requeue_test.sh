#!/usr/bin/env bash
# slurm/train.sbatch on a real (throw-away, single-node) Slurm: the `tiny` preset on the CPU, 2 ranks
# started by `srun --mpi=pmix`. In mid-run the batch shell gets USR1 (as `--signal=B:USR1@...` would send
# it before the time limit); then:
#   - the ranks commit a checkpoint at the step they stopped at and exit 5,
#   - the script requeues the job, which starts again with SLURM_RESTART_COUNT=1 in the same run dir,
#   - the second start resumes from that checkpoint's step and the job ends COMPLETED at the configured step,
#   - the JSON-lines metrics log holds every step exactly once: no gap, no repeat.
# Usage: train_requeue_test.sh CAGCL_BINARY [LAUNCHER]   (LAUNCHER: srun (default) or mpirun)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
# shellcheck source=tests/slurm/slurm_cluster.sh
source "$here/slurm_cluster.sh"
# shellcheck source=tests/slurm/job_helpers.sh
source "$here/job_helpers.sh"

cagcl=$(realpath "${1:?usage: train_requeue_test.sh CAGCL_BINARY [srun|mpirun]}")
launcher=${2:-srun}
# The ranks are held while USR1 is on its way (signal_batch_mid_run), so the stop lands mid-run however fast a
# step is (40 steps of 15 ms once ended before Slurm delivered it).
steps=${CAGCL_TEST_STEPS:-40}

slurm_cluster_start
work=$SLURM_CLUSTER_DIR/work
mkdir -p "$work"

# The dataset of the tiny preset's synth section (16 phantoms of 32x64x64, 2 shards).
"$cagcl" synth --out "$work/data" --volumes 16 --shards 2 --size 32x64x64 --seed 42 >/dev/null

# Periodic checkpoints and validation off: the only checkpoint of the first start is the one the stop
# request writes, so the resume below can only come from it.
job=$(CAGCL_BIN=$cagcl CAGCL_CONFIG=tiny CAGCL_DATA=$work/data CAGCL_RUNS=$work/runs CAGCL_STEPS=$steps \
  CAGCL_LAUNCHER=$launcher CAGCL_MAX_RESTARTS=3 \
  sbatch --parsable --job-name=requeue-test --chdir="$work" --output="$work/job.out" --nodes=1 \
  --ntasks-per-node=2 --gpus-per-node=0 --cpus-per-task=1 --time=10 \
  "$root/slurm/train.sbatch" --set train.checkpoint_every=100000 --set train.val_every=100000 \
  --set train.val_zero_shot=false)
run=$work/runs/requeue-test-$job
metrics=$run/metrics.jsonl
echo "submitted job $job, run dir $run"

show_job_output() {
  echo "----- job output ($work/job.out)" >&2
  cat "$work/job.out" >&2 || true
  echo "----- metrics log ($metrics)" >&2
  cat "$metrics" >&2 || true
}
# Shows what the job printed whenever the test ends early, then stops the cluster.
on_exit() {
  local status=$?
  ((status == 0)) || show_job_output
  slurm_cluster_stop "$status"
}
trap on_exit EXIT

# Stop it in mid-run: once two steps are logged, while many remain.
wait_for_match 90 "$metrics" '"event": ?"step".*"step": ?2[,}]|"step": ?2[,}].*"event": ?"step"' || fail "job $job logged no second step in 90 s"
signal_batch_mid_run "$job" "$work/job.out" "$run"
echo "sent USR1 to the batch shell of job $job"

wait_for_restarts 60 "$job" 1 || fail "job $job was not requeued within 60 s of USR1"
echo "job $job requeued"
wait_for_state 120 "$job" COMPLETED || fail "job $job did not complete after its requeue"
[[ $(job_field "$job" Restarts) == 1 ]] || fail "job $job restarted $(job_field "$job" Restarts) times, expected 1"
[[ $(job_field "$job" ExitCode) == 0:0 ]] || fail "job $job exit code $(job_field "$job" ExitCode), expected 0:0"

cat "$work/job.out"
expect_line "$work/job.out" "SIGUSR1: asking the ranks to checkpoint and stop"
expect_line "$work/job.out" "stopped with a checkpoint; requeueing job $job"
expect_line "$work/job.out" "(SLURM_RESTART_COUNT=1)"
expect_line "$work/job.out" "finished: $run"

# The metrics log: two starts (restarts 0 and 1), the stop checkpoint at step S committed before the second
# start, which continues at S+1, every step 1..steps exactly once, and the finish.
python3 - "$metrics" "$steps" "$run" <<'EOF'
import json, os, sys

path, steps, run = sys.argv[1], int(sys.argv[2]), sys.argv[3]
events = [json.loads(line) for line in open(path) if line.strip()]
def fail(message):
    sys.exit(f"FAIL: {path}: {message}")

starts = [i for i, e in enumerate(events) if e["event"] == "start"]
if len(starts) != 2:
    fail(f"{len(starts)} start events, expected 2 (first start and one restart)")
if [events[i]["restarts"] for i in starts] != [0, 1]:
    fail(f"restarts of the starts: {[events[i]['restarts'] for i in starts]}, expected [0, 1]")
first, second = events[starts[0]:starts[1]], events[starts[1]:]

stop_checkpoints = [e for e in first if e["event"] == "checkpoint"]
if len(stop_checkpoints) != 1 or not stop_checkpoints[0]["ok"]:
    fail(f"first start: checkpoint events {stop_checkpoints}, expected one committed (ok) at the stop step")
stopped_at = stop_checkpoints[0]["step"]
first_steps = [e["step"] for e in first if e["event"] == "step"]
second_steps = [e["step"] for e in second if e["event"] == "step"]
if not first_steps or first_steps[-1] != stopped_at:
    fail(f"first start logged steps up to {first_steps[-1:]}, its checkpoint is at step {stopped_at}")
if stopped_at >= steps:
    fail(f"the stop landed at step {stopped_at}, not before the end ({steps}): the test proves nothing")
if not second_steps or second_steps[0] != stopped_at + 1:
    fail(f"second start began at step {second_steps[:1]}, expected {stopped_at + 1} (resumed from {stopped_at})")

all_steps = first_steps + second_steps
expected = list(range(all_steps[0], steps + 1)) if all_steps else []
if all_steps != expected or all_steps[0] not in (0, 1):
    repeated = sorted({s for s in all_steps if all_steps.count(s) > 1})
    missing = sorted(set(expected) - set(all_steps))
    fail(f"steps are not each logged once in order: repeated {repeated}, missing {missing}")
if events[-1]["event"] != "finish":
    fail(f"last event is {events[-1]['event']}, expected finish")

stop_dir = os.path.join(run, "checkpoints", f"step-{stopped_at:08d}")
latest = open(os.path.join(run, "checkpoints", "LATEST")).read().strip()
if os.path.basename(latest.rstrip("/")) != f"step-{steps:08d}":
    fail(f"checkpoints/LATEST names {latest!r}, expected step-{steps:08d}")
print(f"stopped at step {stopped_at} with checkpoint {stop_dir}, resumed at {stopped_at + 1}, "
      f"finished at {steps}; steps {all_steps[0]}..{steps} each logged once")
EOF

# A continuation at another size: a new job with CAGCL_RUN_DIR and 1 rank instead of 2 resumes the
# finished run from its last checkpoint and trains 4 more steps (the optimizer state is re-split).
more=$((steps + 4))
job2=$(CAGCL_BIN=$cagcl CAGCL_CONFIG=tiny CAGCL_DATA=$work/data CAGCL_RUN_DIR=$run CAGCL_STEPS=$more \
  CAGCL_LAUNCHER=$launcher \
  sbatch --parsable --job-name=resize-test --chdir="$work" --output="$work/job2.out" --nodes=1 \
  --ntasks-per-node=1 --gpus-per-node=0 --cpus-per-task=1 --time=10 \
  "$root/slurm/train.sbatch" --set train.checkpoint_every=100000 --set train.val_every=100000 \
  --set train.val_zero_shot=false)
echo "submitted job $job2: continue $run with 1 rank to step $more"
wait_for_state 120 "$job2" COMPLETED || { cat "$work/job2.out" >&2; fail "job $job2 (1 rank) did not complete"; }
python3 - "$metrics" "$steps" "$more" <<'EOF'
import json, sys

path, steps, more = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
events = [json.loads(line) for line in open(path) if line.strip()]
starts = [i for i, e in enumerate(events) if e["event"] == "start"]
if len(starts) != 3:
    sys.exit(f"FAIL: {path}: {len(starts)} start events after the 1-rank continuation, expected 3")
sizes = [events[i].get("world_size") for i in starts]
if sizes != [2, 2, 1]:
    sys.exit(f"FAIL: {path}: world sizes of the starts {sizes}, expected [2, 2, 1]")
cont = [e["step"] for e in events[starts[-1]:] if e["event"] == "step"]
if cont != list(range(steps + 1, more + 1)):
    sys.exit(f"FAIL: {path}: the 1-rank continuation logged steps {cont}, expected {steps + 1}..{more}")
print(f"continued at world size 1: steps {steps + 1}..{more}")
EOF
echo "PASS: USR1 -> checkpoint -> requeue -> resume -> complete, then a 1-rank continuation, via $launcher"
